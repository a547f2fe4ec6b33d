"""A synthetic pullback uploaded and ingested through the services (no worker needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.services import ingest


def ingested_synthetic_pullback(
    *, study: Any, coordinator: Any, path: Path, subject_code: str, **synthetic: Any
) -> tuple[Any, dict[str, Any]]:
    """Writes the phantom (``synthetic`` goes to ``make_synthetic_pullback``), uploads it as a
    post-procedure pullback and runs the ingest service here; returns it with its truth."""
    truth = make_synthetic_pullback(path, **synthetic)
    with open(path, "rb") as fh:
        pullback = ingest.pullback_create_from_upload(
            study=study,
            actor=coordinator,
            fileobj=fh,
            filename=path.name,
            size_bytes=path.stat().st_size,
            subject_code=subject_code,
            timepoint="post",
        )
    # The upload scheduled the ingest on commit; the same service runs here, the queued task
    # later finds nothing to do. So does the light task ready schedules: each frame as a file
    # of its own, which nginx sends (until then the app sends the frames itself).
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    ingest.pullback_write_frame_files(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    return pullback, truth
