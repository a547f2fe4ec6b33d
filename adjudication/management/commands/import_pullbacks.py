"""Import DICOM pullbacks from disk through the same services as the upload API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from adjudication.domain.errors import DomainError
from adjudication.models import Study
from adjudication.roles import Role
from adjudication.services import ingest


class Command(BaseCommand):
    help = "Import one DICOM file, or every file of a folder, as pullbacks of a study."

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
        root = Path(options["path"])
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        if not files:
            raise CommandError(f"nothing to import at {root}")
        failed = 0
        for path in files:
            try:
                with open(path, "rb") as fh:
                    pullback = ingest.pullback_create_from_upload(
                        study=study,
                        actor=user,
                        fileobj=fh,
                        filename=path.name,
                        size_bytes=path.stat().st_size,
                        subject_code=options["subject"],
                        timepoint=options["timepoint"],
                        lesion=options["lesion"],
                    )
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"{path}: refused: {exc.message}")
                continue
            if options["now"]:
                ingest.pullback_ingest(pullback_pk=pullback.pk)
            pullback.refresh_from_db()
            line = f"{path}: pullback {pullback.pk} {pullback.status}"
            if pullback.error:
                failed += 1
                line += f" ({pullback.error})"
            self.stdout.write(line)
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) were not imported")
