"""Frame layout on disk (``storage``): ``source.dcm``, the frames in it or in ``frames.bin``,
``frames.idx`` and ``frames.files/``.

Frames are stored once: a JPEG-baseline source with one fragment per frame (always the case
after ``pixels.clean_frames`` re-encapsulated it) is written as ``source.dcm`` only and its
frames indexed in place; any other source gets its frames encoded into one ``frames.bin``.
``source.dcm`` holds exactly the frame bytes ``clean_frames`` checked: the header through
pydicom, the Pixel Data straight from its bytes (``deidentify.write_dicom_pixels_last``), so
each frame's place in the file is known without reading it back. When the frames are the
uploaded file's own, mapped by ``inspect``, ``SourceWriter`` writes them on a second thread
while ``clean_frames`` checks them (kept if they come through unchanged, written again if
not); copying them in the kernel measured no faster once the copy had to be compared with the
checked bytes.
Everything is written under temporary names and renamed, index last, so nothing half-written
is ever visible and a re-run after a killed worker simply writes the same files again.

After the pullback is ``ready``, ``write_frame_files`` (a light task, scheduled when ingest
commits) writes each frame to a file of its own under ``frames.files/`` (and aligned batches
of them),
which the reverse proxy sends with ``sendfile`` once the app has authorised a request
(``FRAMES_VIA_PROXY``). Until that folder is renamed into place the app sends the bytes from
the index itself, so a reader never waits for it; creating hundreds of files is the slowest
part of storing a pullback on a busy disk and is kept off the upload → ready path.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from adjudication import storage
from adjudication.dicom.deidentify import (
    header_before_pixels,
    write_dicom,
    write_dicom_pixels_last,
    write_header_and_pixels,
)
from adjudication.dicom.inspect import InspectedPullback
from adjudication.dicom.pixels import frame_fragments
from adjudication.dicom.render import iter_frame_images, passthrough_applies
from adjudication.domain.errors import Refused
from adjudication.models import Pullback

_TMP_SUFFIX = ".tmp"


def remove_temporaries(pullback: Pullback) -> None:
    folder = storage.pullback_dir(pullback)
    for name in (storage.SOURCE_NAME, storage.FRAMES_BIN_NAME, storage.INDEX_NAME):
        (folder / (name + _TMP_SUFFIX)).unlink(missing_ok=True)
    if folder.is_dir():
        for left in folder.glob(storage.FRAME_FILES_NAME + ".*" + _TMP_SUFFIX):
            shutil.rmtree(left, ignore_errors=True)


def _write_frame_files(
    data_path: Path, entries: list[tuple[int, int]], target: Path, extension: str
) -> None:
    """One file per frame (``storage.frame_file_name``) and the frames again in aligned
    batches of ``FRAMES_BATCH_MAX_COUNT`` (``storage.batch_file_name``), each frame read once
    from the indexed bytes: what the reverse proxy sends with ``sendfile`` after the app
    authorised a request, for a single frame and for the viewer's bulk download."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()  # not its parents: a pullback folder removed meanwhile stays removed
    batch = max(1, int(settings.FRAMES_BATCH_MAX_COUNT))
    src = os.open(data_path, os.O_RDONLY)
    try:
        for start in range(0, len(entries), batch):
            frames = []
            for frame, (offset, length) in enumerate(entries[start : start + batch], start):
                data = os.pread(src, length, offset)
                (target / storage.frame_file_name(frame, extension)).write_bytes(data)
                frames.append((frame, data))
            (target / storage.batch_file_name(start, batch)).write_bytes(
                b"".join(storage.batch_body(frames))
            )
    finally:
        os.close(src)


def _single_fragment_frames(inspected: InspectedPullback) -> list[tuple[int, int]] | None:
    """Passed-through JPEG with exactly one fragment per frame: each fragment's (offset,
    length) in the Pixel Data value; otherwise None (frames go to ``frames.bin``)."""
    return frame_fragments(inspected) if passthrough_applies(inspected) else None


def _write_frames_bin(
    inspected: InspectedPullback, target: Path, progress: Callable[[int], None]
) -> tuple[str, list[tuple[int, int]]]:
    """Every frame image into one file; returns their content type and (offset, length)s."""
    content_type = ""
    entries: list[tuple[int, int]] = []
    offset = 0
    with open(target, "wb") as out:
        for index, data, ctype in iter_frame_images(inspected):
            content_type = ctype
            out.write(data)
            entries.append((offset, len(data)))
            offset += len(data)
            progress(index)
    if len(entries) != inspected.n_frames:
        raise Refused(
            f"Only {len(entries)} of {inspected.n_frames} frames could be decoded.",
            code="truncated",
        )
    return content_type, entries


class SourceWriter:
    """``source.dcm``'s temporary file written on a thread of its own, from the de-identified
    header and the frames as uploaded (mapped), while ``pixels.clean_frames`` checks them: the
    copy into the page cache runs in ``write``, outside the GIL, on the other core. Used by
    ``store_frames`` when the frames came through unchanged; written again when they did not.
    """

    def __init__(self, path: Path, head: bytes, value: memoryview) -> None:
        self.start: int | None = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.start = write_header_and_pixels(path, head, value)
            except BaseException as exc:  # handed to the caller by ``result``
                self.error = exc
            finally:
                value.release()

        self.thread = threading.Thread(target=run, name="source-writer", daemon=True)
        self.thread.start()

    def result(self) -> int:
        """Where the Pixel Data value starts in the file written (its error, raised)."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.start is not None
        return self.start

    def wait(self) -> None:
        """Until the thread is done, whatever its outcome (before the files are removed)."""
        self.thread.join()


def source_write_start(pullback: Pullback, inspected: InspectedPullback) -> SourceWriter | None:
    """Start writing ``source.dcm`` (temporary name) from the mapped upload and the already
    de-identified header (``SourceWriter``); None when the frames are not mapped JPEG frames
    served as they are, or the header is not of the simple form."""
    if inspected.mapped is None or not passthrough_applies(inspected):
        return None
    head = header_before_pixels(inspected.dataset)
    if head is None:
        return None
    folder = storage.pullback_dir(pullback)
    return SourceWriter(folder / (storage.SOURCE_NAME + _TMP_SUFFIX), head, inspected.mapped.view())


def store_frames(
    pullback: Pullback,
    inspected: InspectedPullback,
    progress: Callable[[int], None],
    early: SourceWriter | None = None,
) -> str:
    """``source.dcm``, the frames and ``frames.idx`` in place (index last); returns the
    frames' content type. ``early``: ``source.dcm``'s temporary file, written meanwhile from
    the frames as uploaded (``source_write_start``): kept when they are still the ones mapped.
    Written under temporary names and renamed, so nothing half-written is ever visible; on
    failure the caller removes the folder."""
    folder = storage.pullback_dir(pullback)
    source = folder / storage.SOURCE_NAME
    source_tmp = folder / (storage.SOURCE_NAME + _TMP_SUFFIX)
    bin_tmp = folder / (storage.FRAMES_BIN_NAME + _TMP_SUFFIX)
    index_tmp = folder / (storage.INDEX_NAME + _TMP_SUFFIX)
    entries: list[tuple[int, int]] | None = None
    fragments = _single_fragment_frames(inspected)
    written = early.result() if early is not None else None
    if fragments is not None:  # rewritten and checked by ``pixels.clean_frames``
        # The frames as uploaded, unchanged and still mapped, were written by ``early`` (None:
        # the header is not of the simple form); otherwise they are in the dataset (a mapped
        # upload's frames rewritten, or read by pydicom).
        start = (
            written
            if inspected.mapped is not None
            else write_dicom_pixels_last(inspected.dataset, source_tmp)
        )
        if start is not None:  # the frames are where it wrote them
            entries = [(start + offset, length) for offset, length in fragments]
            content_type = "image/jpeg"
    if entries is None:  # re-encoded, several fragments per frame, or an unexpected layout
        inspected.load_pixel_data()  # pydicom's decoders and writer take it from the dataset
        content_type, entries = _write_frames_bin(inspected, bin_tmp, progress)
        write_dicom(inspected.dataset, source_tmp)
    in_source = not bin_tmp.exists()
    index_tmp.write_bytes(storage.frame_index_bytes(entries, in_source=in_source))
    if bin_tmp.exists():
        os.replace(bin_tmp, folder / storage.FRAMES_BIN_NAME)
    os.replace(source_tmp, source)
    # Frame files of a killed earlier run: written again after ``ready`` (write_frame_files).
    shutil.rmtree(folder / storage.FRAME_FILES_NAME, ignore_errors=True)
    os.replace(index_tmp, folder / storage.INDEX_NAME)
    return content_type


def write_frame_files(pullback: Pullback) -> bool:
    """Each indexed frame copied to a file of its own under ``frames.files/`` (module doc);
    returns whether this call wrote them. Idempotent and safe to run twice at once: each run
    writes its own temporary folder and only one rename can put a folder in place."""
    folder = storage.pullback_dir(pullback)
    final = folder / storage.FRAME_FILES_NAME
    try:  # read here, not from the per-process cache: the files may have been removed since
        index = storage.FrameIndex.parse(str(folder), (folder / storage.INDEX_NAME).read_bytes())
    except FileNotFoundError:
        return False
    if index.has_files:
        return False
    extension = storage.EXTENSIONS.get(pullback.frame_content_type, "bin")
    files_tmp = folder / f"{storage.FRAME_FILES_NAME}.{uuid.uuid4().hex}{_TMP_SUFFIX}"
    try:
        _write_frame_files(Path(index.data_path), list(index.entries), files_tmp, extension)
        os.replace(files_tmp, final)
    except FileNotFoundError:
        return False  # the pullback's files were removed meanwhile
    except OSError:
        if not final.is_dir():
            raise  # not a concurrent run that got there first: the task retries
        return False
    finally:
        shutil.rmtree(files_tmp, ignore_errors=True)
    return True
