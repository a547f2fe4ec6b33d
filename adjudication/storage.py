"""Where a pullback's files live on disk (MEDIA_ROOT/pullbacks/<storage_key>/)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings


def pullback_dir(pullback: Any) -> Path:
    return Path(settings.MEDIA_ROOT) / "pullbacks" / str(pullback.storage_key)


def upload_path(pullback: Any) -> Path:
    """The file as uploaded (may hold PHI); deleted once ingest ends either way."""
    return pullback_dir(pullback) / "upload.bin"


def source_path(pullback: Any) -> Path:
    """The de-identified DICOM kept for the study."""
    return pullback_dir(pullback) / "source.dcm"


def frames_dir(pullback: Any) -> Path:
    return pullback_dir(pullback) / "frames"


def frame_path(storage_key: str, frame: int, extension: str) -> Path:
    return (
        Path(settings.MEDIA_ROOT)
        / "pullbacks"
        / storage_key
        / "frames"
        / f"{frame:05d}.{extension}"
    )


def remove_pullback_files(pullback: Any) -> None:
    shutil.rmtree(pullback_dir(pullback), ignore_errors=True)
