"""Import DICOM pullbacks from disk through the same service as the upload API.

``PATH`` is a DICOM file, a zip of DICOMs, or a folder: each file in it (recursively; hidden
files and ``DICOMDIR`` skipped) is one upload — so one bad file refuses only itself, and a zip
in the folder becomes one pullback per member. Refusals print their reason; the command
exits non-zero when anything was not imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from adjudication.dicom.archives import SKIPPED_NAMES
from adjudication.domain.errors import DomainError
from adjudication.models import Pullback, Study
from adjudication.roles import Role
from adjudication.services import ingest


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return [root] if root.is_file() else []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.name not in SKIPPED_NAMES
    )


class Command(BaseCommand):
    help = "Import a DICOM file, a zip of DICOMs, or every file of a folder as pullbacks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--study", required=True, help="study code")
        parser.add_argument("--subject", required=True, help="pseudonymous subject code")
        parser.add_argument("--timepoint", required=True, choices=["pre", "post", "followup"])
        parser.add_argument("--lesion", default="")
        parser.add_argument("--as-user", required=True, help="a coordinator of the study")
        parser.add_argument(
            "--now", action="store_true", help="ingest in this process instead of the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        study = Study.objects.filter(code=options["study"]).first()
        if study is None:
            raise CommandError(f"no study with code {options['study']!r}")
        user = get_user_model().objects.filter(username=options["as_user"]).first()
        if (
            user is None
            or not study.memberships.filter(user=user, role=Role.COORDINATOR.value).exists()
        ):
            raise CommandError("--as-user must name a coordinator of the study")
        files = _files(Path(options["path"]))
        if not files:
            raise CommandError(f"nothing to import at {options['path']}")
        failed = 0
        for path in files:
            try:
                with open(path, "rb") as fh:
                    pullbacks = ingest.pullbacks_create_from_upload(
                        study=study,
                        actor=user,
                        sources=[ingest.UploadSource(path.name, fh, path.stat().st_size)],
                        subject_code=options["subject"],
                        timepoint=options["timepoint"],
                        lesion=options["lesion"],
                        schedule_ingest=not options["now"],
                    )
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"{path}: refused: {exc.message}")
                continue
            for pullback in pullbacks:
                failed += self._report(pullback, ingest_now=options["now"])
        if failed:
            raise CommandError(f"{failed} pullback(s) or file(s) were not imported")

    def _report(self, pullback: Pullback, *, ingest_now: bool) -> int:
        if ingest_now:
            ingest.pullback_ingest(pullback_pk=pullback.pk)
        pullback.refresh_from_db()
        line = f"{pullback.original_filename}: pullback {pullback.pk} {pullback.status}"
        if pullback.error:
            self.stderr.write(f"{line} ({pullback.error})")
            return 1
        self.stdout.write(line)
        return 0
