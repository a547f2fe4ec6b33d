"""Where a pullback's files live on disk (MEDIA_ROOT/pullbacks/<storage_key>/).

```text
MEDIA_ROOT/
  staging/<uuid>/            an upload being received/expanded; removed when the request ends
  pullbacks/<storage_key>/
    upload.bin               the file as uploaded (may hold PHI); deleted when ingest ends
    source.dcm               the de-identified DICOM kept for the study
    frames.idx               where each frame's bytes are: in source.dcm or in frames.bin
    frames.bin               re-encoded sources only: every frame's JPEG, one after another
    frames.files/0.jpg …     each frame again as a file of its own, copied in the kernel at
                             ingest: what nginx sends (sendfile) when FRAMES_VIA_PROXY
    lmode/u<user>/000.png …  L-mode images per whole degree, computed on a user's first
                             request and cached for that user only (no shared timing)
```
Frames are stored **once**. A JPEG-baseline source with one fragment per frame is served
straight from ``source.dcm``: each fragment is contiguous in the file, and ``frames.idx``
records its (offset, length) — so the de-identified file and the served frames are the same
bytes on disk, and a frame is one ``os.pread``. Other sources are encoded once at ingest into
``frames.bin`` and indexed the same way.

``frames.idx`` (little-endian): a 16-byte header — magic ``CLFRIDX1``, u32 frame count, u8
data file (0 = source.dcm, 1 = frames.bin), 3 zero bytes — then per frame a u64 offset and a
u64 length. It is written last, so its presence means the frames are complete. A pullback's
files never change once it is ``ready``, so each process keeps the indexes it has read
(``_INDEXES``, bounded) and answers a frame with one ``open`` + ``pread`` + ``close``.

Everything under a pullback's folder is written to a temporary name and renamed into place,
so a reader never sees half a file.
"""

from __future__ import annotations

import os
import shutil
import struct
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
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


INDEX_NAME = "frames.idx"
FRAME_FILES_NAME = "frames.files"
_BATCH_ENTRY = struct.Struct(">II")
FRAMES_BIN_NAME = "frames.bin"
SOURCE_NAME = "source.dcm"
_INDEX_MAGIC = b"CLFRIDX1"
_INDEX_HEADER = struct.Struct("<8sIB3x")
_INDEX_ENTRY = struct.Struct("<QQ")
_DATA_FILES = (SOURCE_NAME, FRAMES_BIN_NAME)
# Contiguous-range reads: small frames whose gaps (DICOM item headers: 8 bytes) are at most
# _MAX_GAP_BYTES apart are fetched with one pread per run. Frames of _SPAN_MAX_FRAME_BYTES
# or more are read one pread each, straight into the bytes object the response sends:
# slicing a span would copy every byte once more (measured: no faster at 300 KB frames).
_MAX_GAP_BYTES = 64
_SPAN_MAX_FRAME_BYTES = 64 * 1024
_INDEXES_MAX = 512


def frame_index_bytes(entries: Sequence[tuple[int, int]], *, in_source: bool) -> bytes:
    """The ``frames.idx`` content for ``(offset, length)`` per frame (module doc)."""
    header = _INDEX_HEADER.pack(_INDEX_MAGIC, len(entries), 0 if in_source else 1)
    return header + b"".join(_INDEX_ENTRY.pack(o, n) for o, n in entries)


def frame_file_name(frame: int, extension: str) -> str:
    """``7.jpg``: the frame number as the URL has it, so nginx maps a URL to its file."""
    return f"{frame}.{extension}"


def batch_file_name(start: int, count: int) -> str:
    """``batch-64-64.bin``: frames ``start … start+count−1`` (fewer at the end of the pullback)
    in the batched-frames body format, under the name nginx derives from the batch URL's
    ``start`` and ``count`` (``deploy/nginx.conf.template``)."""
    return f"batch-{start}-{count}.bin"


def batch_body(frames: Sequence[tuple[int, bytes]]) -> list[bytes]:
    """The batched-frames body for ``(index, image bytes)`` pairs, as chunks: per frame its
    index and length (4 bytes each, big-endian), then its bytes."""
    parts: list[bytes] = []
    for index, image in frames:
        parts += [_BATCH_ENTRY.pack(index, len(image)), image]
    return parts


def frame_proxy_path(storage_key: str, frame: int, content_type: str) -> str | None:
    """The path under the proxy's internal frames location (``deploy/nginx.conf.template``:
    ``/_frames/`` → ``MEDIA_ROOT/pullbacks/``) of a frame's own file, or None when the
    pullback has no per-frame files (ingested before they existed: the app sends the bytes)."""
    index = frame_index(storage_key)
    if index is None or not index.has_files:
        return None
    extension = EXTENSIONS.get(content_type, "bin")
    return f"{storage_key}/{FRAME_FILES_NAME}/{frame_file_name(frame, extension)}"


class FrameIndex:
    """One pullback's ``frames.idx``, parsed: the data file and per frame (offset, length);
    ``has_files``: whether ``frames.files/`` holds each frame as a file. That folder is renamed
    into place once complete, after the pullback became ready (``services.ingest.layout``), so
    while it is missing every look checks again (one ``stat``); once seen it is remembered."""

    __slots__ = ("_files_dir", "_has_files", "data_path", "entries")

    def __init__(
        self, data_path: str, entries: tuple[tuple[int, int], ...], files_dir: str = ""
    ) -> None:
        self.data_path = data_path
        self.entries = entries
        self._files_dir = files_dir
        self._has_files = False

    @property
    def has_files(self) -> bool:
        if not self._has_files and self._files_dir:
            self._has_files = os.path.isdir(self._files_dir)
        return self._has_files

    @classmethod
    def parse(cls, folder: str, data: bytes) -> FrameIndex:
        if len(data) < _INDEX_HEADER.size:
            raise ValueError("frames.idx is too short")
        magic, count, kind = _INDEX_HEADER.unpack_from(data)
        if magic != _INDEX_MAGIC or kind > 1:
            raise ValueError("frames.idx has an unknown format")
        if len(data) != _INDEX_HEADER.size + count * _INDEX_ENTRY.size:
            raise ValueError("frames.idx has the wrong length")
        entries = tuple(_INDEX_ENTRY.iter_unpack(data[_INDEX_HEADER.size :]))
        return cls(
            os.path.join(folder, _DATA_FILES[kind]),
            entries,
            os.path.join(folder, FRAME_FILES_NAME),
        )


_INDEXES: OrderedDict[str, FrameIndex] = OrderedDict()
_INDEXES_LOCK = threading.Lock()


def frame_index(storage_key: str) -> FrameIndex | None:
    """The pullback's frame index (cached per process), or None when it has none."""
    folder = os.path.join(settings.MEDIA_ROOT, "pullbacks", storage_key)
    cached = _INDEXES.get(folder)
    if cached is not None:
        return cached
    try:
        with open(os.path.join(folder, INDEX_NAME), "rb") as fh:
            index = FrameIndex.parse(folder, fh.read())
    except FileNotFoundError:
        return None  # not cached: not ingested yet
    with _INDEXES_LOCK:
        _INDEXES[folder] = index
        while len(_INDEXES) > _INDEXES_MAX:
            _INDEXES.popitem(last=False)
    return index


def forget_frame_index(storage_key: str) -> None:
    """Drop this process's cached index (the pullback's files were removed)."""
    folder = os.path.join(settings.MEDIA_ROOT, "pullbacks", storage_key)
    with _INDEXES_LOCK:
        _INDEXES.pop(folder, None)


def _pread_exactly(fd: int, length: int, offset: int) -> bytes | None:
    data = os.pread(fd, length, offset)
    return data if len(data) == length else None


def read_frame(storage_key: str, frame: int, content_type: str) -> bytes | None:
    """The stored image bytes of one frame, or None when they are missing."""
    index = frame_index(storage_key)
    if index is None or not 0 <= frame < len(index.entries):
        return None
    offset, length = index.entries[frame]
    try:
        fd = os.open(index.data_path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return _pread_exactly(fd, length, offset)
    finally:
        os.close(fd)


def _runs(entries: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Positions in ``entries`` grouped into runs that one pread covers (small frames only)."""
    runs: list[list[int]] = []
    end = None
    for i, (offset, length) in enumerate(entries):
        small = length < _SPAN_MAX_FRAME_BYTES
        if small and end is not None and 0 <= offset - end <= _MAX_GAP_BYTES:
            runs[-1].append(i)
        else:
            runs.append([i])
        end = offset + length if small else None
    return runs


def read_frames(storage_key: str, start: int, stop: int, content_type: str) -> list[bytes] | None:
    """The stored bytes of frames ``start … stop−1``, or None when any is missing. Small
    frames that lie next to each other on disk are read with one ``pread`` per run, larger
    ones with one ``pread`` each (see ``_SPAN_MAX_FRAME_BYTES``); one ``open`` in all."""
    index = frame_index(storage_key)
    if index is None or not 0 <= start <= stop <= len(index.entries):
        return None
    entries = index.entries[start:stop]
    try:
        fd = os.open(index.data_path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    out: list[bytes] = []
    try:
        for run in _runs(entries):
            first, last = entries[run[0]], entries[run[-1]]
            if len(run) == 1:
                data = _pread_exactly(fd, first[1], first[0])
                if data is None:
                    return None
                out.append(data)
                continue
            span = _pread_exactly(fd, last[0] + last[1] - first[0], first[0])
            if span is None:
                return None
            view = memoryview(span)
            out.extend(
                bytes(view[o - first[0] : o - first[0] + n]) for o, n in (entries[i] for i in run)
            )
    finally:
        os.close(fd)
    return out


def lmode_path(storage_key: str, angle_deg: int, *, user_pk: int) -> Path:
    """One user's cached L-mode image: per user, so its timing reveals nothing about what
    anyone else viewed (``services.ingest.lmode``)."""
    return (
        Path(settings.MEDIA_ROOT)
        / "pullbacks"
        / storage_key
        / "lmode"
        / f"u{int(user_pk)}"
        / f"{angle_deg:03d}.png"
    )


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def incoming_dir() -> Path:
    """Where the reverse proxy writes raw uploads for the app to take (``UPLOAD_PROXY_TOKEN``;
    the same filesystem as staging: a rename)."""
    return Path(settings.MEDIA_ROOT) / "incoming"


def new_staging_dir() -> Path:
    """A fresh folder for one upload request (same filesystem as the pullbacks: renames)."""
    path = Path(settings.MEDIA_ROOT) / "staging" / uuid.uuid4().hex
    path.mkdir(parents=True)
    return path


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def remove_pullback_files(pullback: Any) -> None:
    forget_frame_index(str(pullback.storage_key))
    shutil.rmtree(pullback_dir(pullback), ignore_errors=True)
