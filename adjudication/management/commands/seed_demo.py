"""Seed a demo study: role-named users with printed passwords and a synthetic pullback."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Membership, Pullback, Study
from adjudication.services import assignment, ingest, studies

DEMO_PASSWORD = "demo-oct-2026"
USERS = [
    ("coordinator", "Study coordinator"),
    ("analyst1", "OCT analyst"),
    ("analyst2", "OCT analyst"),
    ("adjudicator", "Senior analyst"),
]


class Command(BaseCommand):
    help = "Create demo users, a demo study and synthetic pullbacks (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--pullbacks", type=int, default=2)
        parser.add_argument("--frames", type=int, default=60)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords; it runs only with DEBUG=true")
        User = get_user_model()
        users = {}
        for username, first_name in USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first_name}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[username] = user
        users["coordinator"].user_permissions.add(
            Permission.objects.get(codename="add_study", content_type__app_label="adjudication")
        )
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        coordinator = User.objects.get(pk=users["coordinator"].pk)
        study = Study.objects.filter(code="demo").first()
        if study is None:
            study = studies.study_create(
                actor=coordinator,
                name="Demo: stent malapposition in calcified lesions",
                code="demo",
                description="Synthetic pullbacks for trying the platform.",
            )
            for username, role in [
                ("analyst1", "analyst"),
                ("analyst2", "analyst"),
                ("adjudicator", "adjudicator"),
            ]:
                studies.study_add_member(
                    study=study, actor=coordinator, username=username, role=role
                )
        existing = Pullback.objects.filter(study=study).count()
        for i in range(existing, options["pullbacks"]):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"demo-{i}.dcm"
                make_synthetic_pullback(
                    path, n_frames=options["frames"], rows=512, columns=512, seed=i
                )
                with open(path, "rb") as fh:
                    pullback = ingest.pullback_create_from_upload(
                        study=study,
                        actor=coordinator,
                        fileobj=fh,
                        filename=path.name,
                        size_bytes=path.stat().st_size,
                        subject_code=f"S-{i + 1:04d}",
                        timepoint="post",
                        lesion="LAD",
                    )
            # Run ingest now (the same service the worker runs) so the demo is ready at once.
            ingest.pullback_ingest(pullback_pk=pullback.pk)
            pullback.refresh_from_db()
            if pullback.status == "ready":
                assignment.pullback_assign_readers(
                    pullback=pullback, actor=coordinator, usernames=["analyst1", "analyst2"]
                )
            else:
                self.stderr.write(f"pullback {pullback.pk} failed: {pullback.error}")
        self.stdout.write(self.style.SUCCESS("Demo study ready."))
        self.stdout.write(f"  users (password for all: {DEMO_PASSWORD}):")
        for username, role in [(u, r) for u, r in USERS] + [("admin", "Site administrator")]:
            member = Membership.objects.filter(study=study, user__username=username).first()
            self.stdout.write(f"    {username:<12} {member.role if member else role}")
