"""Build (and keep) every DICOM SR report a study's export zip carries, ahead of the export.

A report takes one to a few seconds to build; the zip export builds the missing ones while
the coordinator waits. Run this after reading finishes (or from cron) so the export only
reads kept files: ``manage.py render_reports --study CODE``. Already-kept reports are skipped
at the cost of a file read.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from adjudication import reports
from adjudication.models import Study


class Command(BaseCommand):
    help = "Build the DICOM SR reports (consensus and reads) of a study's export zip."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--study", required=True, help="the study's code")

    def handle(self, *args: Any, **options: Any) -> None:
        study = Study.objects.filter(code=options["study"]).first()
        if study is None:
            raise CommandError(f"No study with code {options['study']!r}.")
        for level in ("pullback", "reader"):
            t0 = time.perf_counter()
            files = reports.study_sr_files(study, level)
            self.stdout.write(
                f"{level}: {len(files)} report(s) ready in {time.perf_counter() - t0:.1f} s"
            )
