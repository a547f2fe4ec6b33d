"""Pullback ingest services, by step (SPEC §3, §8):

- ``upload``: uploaded files (DICOMs, zips of DICOMs) → ``ingesting`` pullbacks, all or nothing;
- ``worker``: the worker's ingest — claim, work with no transaction open, finish (``ready`` /
  ``failed``);
- ``layout``: how the frames are laid out on disk;
- ``calibration``: calibration entered by a coordinator;
- ``lmode``: per-user L-mode images;
- ``progress``: ingest progress in the shared cache.
"""

from .calibration import pullback_set_calibration
from .lmode import pullback_lmode_png
from .manifest import manifest_read
from .progress import ingest_progress_pct
from .upload import (
    UploadSource,
    pullback_create_from_upload,
    pullback_ingest_enqueue,
    pullbacks_create_from_upload,
)
from .worker import (
    LockNotAcquired,
    limits_from_settings,
    pullback_ingest,
    pullback_write_frame_files,
    source_uid_digest,
)

__all__ = [
    "LockNotAcquired",
    "UploadSource",
    "ingest_progress_pct",
    "limits_from_settings",
    "manifest_read",
    "pullback_create_from_upload",
    "pullback_ingest",
    "pullback_ingest_enqueue",
    "pullback_lmode_png",
    "pullback_set_calibration",
    "pullback_write_frame_files",
    "pullbacks_create_from_upload",
    "source_uid_digest",
]
