"""L-mode images of a ready pullback, cached on disk **per user** (issue 12, blinding).

A cache shared by every user of a pullback leaks through its timing: an angle someone else
already viewed answers in milliseconds, any other in a full computation, so one probe of the
angle the reading page opens with would tell a reader whether the other reader has started.
Each user therefore has their own cache folder (``storage.lmode_path(…, user_pk=…)``): how
fast an L-mode answers depends only on what *that* user asked for before.
"""

from __future__ import annotations

from collections.abc import Iterator

from adjudication import storage
from adjudication.dicom.lmode import lmode_array, png_bytes


def pullback_lmode_png(
    *,
    storage_key: str,
    user_pk: int,
    n_frames: int,
    content_type: str,
    rows: int,
    columns: int,
    angle_deg: int,
) -> bytes:
    """The L-mode PNG of a ready pullback at a whole-degree angle (``dicom.lmode``) for one
    user.

    Computed from the stored frames on that user's first request and kept in that user's
    cache (``storage.lmode_path``), together with its mirror image at ``angle_deg + 180``,
    which is the same line read the other way. Writes files only, never a row.
    """
    path = storage.lmode_path(storage_key, angle_deg, user_pk=user_pk)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass

    def frames() -> Iterator[bytes]:
        for f in range(n_frames):
            data = storage.read_frame(storage_key, f, content_type)
            if data is None:
                raise FileNotFoundError(f"frame {f} of pullback {storage_key} is missing")
            yield data

    array = lmode_array(frames(), rows=rows, columns=columns, angle_deg=angle_deg)
    data = png_bytes(array)
    storage.write_atomically(path, data)
    mirror = storage.lmode_path(storage_key, (angle_deg + 180) % 360, user_pk=user_pk)
    if not mirror.exists():
        storage.write_atomically(mirror, png_bytes(array[::-1]))
    return data
