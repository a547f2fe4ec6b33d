"""Where a pullback's files live on disk (MEDIA_ROOT/pullbacks/<storage_key>/).

```text
MEDIA_ROOT/
  staging/<uuid>/            an upload being received/expanded; removed when the request ends
  pullbacks/<storage_key>/
    upload.bin               the file as uploaded (may hold PHI); deleted when ingest ends
    source.dcm               the de-identified DICOM kept for the study
    frames/00000.jpg …       one image per frame, served as is (JPEG baseline: the fragment)
    lmode/000.png …          L-mode images per whole degree, computed on first request
```
Everything under a pullback's folder is written to a temporary name and renamed into place,
so a reader never sees half a file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


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


def read_frame(storage_key: str, frame: int, content_type: str) -> bytes | None:
    """The stored image bytes of one frame, or None when the file is missing."""
    try:
        with open(frame_path(storage_key, frame, EXTENSIONS[content_type]), "rb") as fh:
            return fh.read()
    except (FileNotFoundError, KeyError):
        return None


def lmode_path(storage_key: str, angle_deg: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "pullbacks" / storage_key / "lmode" / f"{angle_deg:03d}.png"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def new_staging_dir() -> Path:
    """A fresh folder for one upload request (same filesystem as the pullbacks: renames)."""
    path = Path(settings.MEDIA_ROOT) / "staging" / uuid.uuid4().hex
    path.mkdir(parents=True)
    return path


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def remove_pullback_files(pullback: Any) -> None:
    shutil.rmtree(pullback_dir(pullback), ignore_errors=True)
