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
from adjudication.services import assignment, ingest, metrics, studies
from adjudication.services.reads import read_save_annotations, read_submit

DEMO_PASSWORD = "demo-oct-2026"
USERS = [
    ("coordinator", "Study coordinator"),
    ("analyst1", "OCT analyst"),
    ("analyst2", "OCT analyst"),
    ("adjudicator", "Senior analyst"),
]


def annotation_from_truth(truth: dict[str, Any], *, scale: float = 1.0) -> dict[str, Any]:
    """A SPEC §4 document from the synthetic ground truth, every 5th annotated frame.

    ``scale`` shrinks the lumen contours about their centroid, as a second reader tracing
    inside the true border would.
    """
    frames = {}
    for key, frame in sorted(truth["frames"].items(), key=lambda kv: int(kv[0])):
        if int(key) % 5:
            continue
        entry: dict[str, Any] = {}
        lumen = frame.get("lumen")
        if lumen:
            cx = sum(p[0] for p in lumen) / len(lumen)
            cy = sum(p[1] for p in lumen) / len(lumen)
            entry["lumen"] = [[cx + (x - cx) * scale, cy + (y - cy) * scale] for x, y in lumen]
        for name in ("stent", "struts", "calcium"):
            if frame.get(name):
                entry[name] = frame[name]
        if entry:
            frames[key] = entry
    return {
        "stent": truth["stent"],
        "calcium_segments": truth["calcium_segments"],
        "frames": frames,
    }


class Command(BaseCommand):
    help = "Create demo users, a demo study and synthetic pullbacks (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--pullbacks", type=int, default=3)
        parser.add_argument("--frames", type=int, default=60)

    def _ingest(
        self, study: Study, coordinator: Any, i: int, n_frames: int
    ) -> tuple[Pullback, dict[str, Any]]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"demo-{i}.dcm"
            truth = make_synthetic_pullback(
                path, n_frames=n_frames, rows=512, columns=512, seed=i, encoding="jpeg_baseline"
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
        # Run ingest now (the same service the worker runs) so the demo is ready at once;
        # the queued task then finds nothing to do.
        ingest.pullback_ingest(pullback_pk=pullback.pk)
        pullback.refresh_from_db()
        return pullback, truth

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
            pullback, truth = self._ingest(study, coordinator, i, options["frames"])
            if pullback.status != "ready":
                self.stderr.write(f"pullback {pullback.pk} failed: {pullback.error}")
                continue
            reads = assignment.pullback_assign_readers(
                pullback=pullback, actor=coordinator, usernames=["analyst1", "analyst2"]
            )
            # The first pullback stays untouched for the analysts to try; the second is read
            # by both with different lumen tracings (a flagged case for the adjudicator); a
            # third, when asked for, is read alike (a consensus without adjudication).
            if i % 3 == 0:
                continue
            scales = (1.0, 0.8) if i % 3 == 1 else (1.0, 1.0)
            for read, scale in zip(reads, scales, strict=True):
                read_save_annotations(
                    read=read,
                    actor=read.reader,
                    version=read.version,
                    annotations=annotation_from_truth(truth, scale=scale),
                )
                # Every 5th frame is annotated, not the 1-mm grid: an incomplete read, said so.
                read_submit(
                    read=read,
                    actor=read.reader,
                    password=DEMO_PASSWORD,
                    allow_incomplete=True,
                    reason="demo data: every 5th frame annotated from the synthetic truth",
                )
                metrics.read_compute_metrics(read_pk=read.pk)
            metrics.pullback_compare_reads(pullback_pk=pullback.pk)
        self.stdout.write(self.style.SUCCESS("Demo study ready."))
        self.stdout.write(f"  users (password for all: {DEMO_PASSWORD}):")
        for username, role in [(u, r) for u, r in USERS] + [("admin", "Site administrator")]:
            member = Membership.objects.filter(study=study, user__username=username).first()
            self.stdout.write(f"    {username:<12} {member.role if member else role}")
