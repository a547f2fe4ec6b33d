"""Pullbacks uploaded (and ingested) through the ingest services, as the upload view does.

Without a worker process the test runs the ingest itself with the same service the queued task
runs (the task, should a worker take it later, finds nothing to do). ``ready`` schedules one
more, light task: each frame as a file of its own, which a reverse proxy sends; until it has
run the app sends the frames itself. Tests that need those files say so (``frame_files``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Pullback
from adjudication.services import ingest
from adjudication.services.ingest import UploadSource


def uploaded(
    study: Any,
    actor: Any,
    path: Path,
    *,
    subject_code: str = "S-0001",
    timepoint: str = "post",
    **service: Any,
) -> Pullback:
    """``path`` uploaded as one pullback under its own file name; ``service`` goes to
    ``pullbacks_create_from_upload`` (``lesion``, ``schedule_ingest=False``, ...). The ingest
    task is scheduled on commit unless ``schedule_ingest=False``."""
    with open(path, "rb") as fh:
        [pullback] = ingest.pullbacks_create_from_upload(
            study=study,
            actor=actor,
            sources=[UploadSource(path.name, fh, path.stat().st_size)],
            subject_code=subject_code,
            timepoint=timepoint,
            **service,
        )
    return pullback


def ingested(
    study: Any, actor: Any, path: Path, *, frame_files: bool, subject_code: str = "S-0001"
) -> Pullback:
    """``path`` uploaded and ingested here; with ``frame_files`` the light task that ``ready``
    schedules has run too (each frame as a file). Refreshed; its status is the ingest's."""
    pullback = uploaded(study, actor, path, subject_code=subject_code)
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    if frame_files:
        ingest.pullback_write_frame_files(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    return pullback


def ingested_synthetic(
    study: Any,
    actor: Any,
    path: Path,
    *,
    frame_files: bool,
    subject_code: str = "S-0001",
    **synthetic: Any,
) -> tuple[Pullback, dict[str, Any]]:
    """The phantom written to ``path`` (``synthetic`` goes to ``make_synthetic_pullback``),
    uploaded and ingested as ``ingested`` does; returns it with the phantom's truth."""
    truth = make_synthetic_pullback(path, **synthetic)
    return ingested(study, actor, path, frame_files=frame_files, subject_code=subject_code), truth
