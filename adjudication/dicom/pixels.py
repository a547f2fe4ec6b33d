"""Rewrite a dataset's encapsulated frames so that only what a decoder needs is stored.

Run at ingest on the accepted (``inspect``) dataset, before it is written anywhere:

- JPEG baseline: every frame through ``jpeg.clean_jpeg_in`` where it lies in the Pixel Data
  (never copied out: marker walk, structural checks, rebuilt from the decoder's segments),
  then the first, the last, ``DECODE_SAMPLE`` random frames and every frame whose last bytes
  before EOI read as text (``looks_like_text_before_eoi``) decoded with warnings as errors
  (``jpeg.hidden_bytes_problem``): bytes hidden inside the entropy-coded data refuse the file
  (code ``hidden_data``), any other decoder complaint refuses it as corrupt (code
  ``truncated``).
- JPEG-LS and JPEG 2000: every frame through ``codestreams``; the first and the last frame are
  decoded before and after and must give the same pixels.
- RLE and native pixel data carry no metadata: untouched.

The rewritten frames are re-encapsulated one fragment per frame with a Basic Offset Table
(an Extended Offset Table, if any, is dropped: it would point at the old fragments).
"""

from __future__ import annotations

import random
import struct
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from pydicom.encaps import generate_frames
from pydicom.uid import (
    JPEG2000,
    UID,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    JPEGLSNearLossless,
)

from .codestreams import CodestreamMalformed, clean_jpeg_2000, clean_jpeg_ls
from .inspect import DicomRefused, InspectedPullback, encapsulated_fragments
from .jpeg import (
    Buffer,
    JpegMalformed,
    clean_jpeg_in,
    hidden_bytes_problem,
    is_hidden_bytes_warning,
)

# JPEG-baseline frames decoded (warnings as errors) besides the first and the last.
DECODE_SAMPLE = 8
_LS = frozenset({JPEGLSLossless, JPEGLSNearLossless})
_J2K = frozenset({JPEG2000Lossless, JPEG2000})


def decode_sample(n_frames: int, sample: int = DECODE_SAMPLE) -> set[int]:
    """The frames decoded at ingest: the first, the last and ``sample`` others picked at
    random (unpredictably: ``random.SystemRandom``)."""
    rest = range(1, max(n_frames - 1, 1))
    picked = set(random.SystemRandom().sample(rest, min(sample, len(rest))))
    return picked | {0, n_frames - 1}


_TEXT_PROBE_BYTES = 8


def looks_like_text_before_eoi(data: Buffer, start: int = 0, end: int | None = None) -> bool:
    """True when the bytes right before EOI (of the stream ``data[start:end]``) read as text
    (ASCII or UTF-16LE): then the frame is decoded too, whether or not it is in the random
    sample. Entropy-coded data ends in such a run by chance in about 1 frame in 3,000, which
    only costs one decode."""
    end = len(data) if end is None else end
    eoi = data.rfind(b"\xff\xd9", start, end)
    tail = data[max(eoi - 2 * _TEXT_PROBE_BYTES, start) : eoi]
    if eoi < 0 or len(tail) < 2 * _TEXT_PROBE_BYTES:
        return False
    ascii_tail = tail[-_TEXT_PROBE_BYTES:]
    utf16 = tail[0::2] if tail[1::2] == bytes(_TEXT_PROBE_BYTES) else b""
    return any(
        len(run) == _TEXT_PROBE_BYTES and all(0x20 <= c <= 0x7E for c in run)
        for run in (ascii_tail, utf16)
    )


def source_frames(inspected: InspectedPullback) -> list[bytes]:
    """The encapsulated frames of the dataset, one ``bytes`` per frame."""
    ds = inspected.dataset
    fragments = frame_fragments(inspected)
    if fragments is not None:
        # The usual layout: sliced straight from the fragment table (pydicom's generator
        # reads it item by item through a file object, 6× slower).
        view = inspected.pixel_view()
        return [bytes(view[offset : offset + length]) for offset, length in fragments]
    inspected.load_pixel_data()
    extended = None
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        extended = (bytes(ds.ExtendedOffsetTable), bytes(ds.ExtendedOffsetTableLengths))
    try:
        frames = [
            bytes(f)
            for _, f in zip(
                range(inspected.n_frames),
                generate_frames(
                    ds.PixelData, number_of_frames=inspected.n_frames, extended_offsets=extended
                ),
                strict=False,
            )
        ]
    except Exception as exc:  # noqa: BLE001 - malformed encapsulation
        raise DicomRefused(
            "truncated", f"The frames could not be read ({type(exc).__name__}: {exc})."
        ) from exc
    if len(frames) != inspected.n_frames:
        raise DicomRefused(
            "truncated", f"Only {len(frames)} of {inspected.n_frames} frames could be read."
        )
    return frames


Frame = bytes | memoryview


def _jpeg_streams(inspected: InspectedPullback) -> list[tuple[Buffer, int, int]]:
    """Each frame as (buffer, start, end): where it lies in the Pixel Data value in the usual
    layout (one fragment per frame: nothing copied), else a frame of its own."""
    fragments = frame_fragments(inspected)
    if fragments is not None:
        data, base = inspected.pixel_data_at()
        return [(data, base + offset, base + offset + length) for offset, length in fragments]
    return [(frame, 0, len(frame)) for frame in source_frames(inspected)]


def _clean_jpeg_frames(
    inspected: InspectedPullback, on_frame: Callable[[int], None] | None
) -> tuple[list[Frame], int]:
    """Every frame through ``jpeg.clean_jpeg_in`` where it lies, then the decode checks
    (module doc); returns the frames (unchanged ones as views of the source, never copied)
    and how many changed."""
    cleaned: list[Frame] = []
    changed = 0
    suspects = set()
    for index, (buffer, start, end) in enumerate(_jpeg_streams(inspected)):
        try:
            rebuilt = clean_jpeg_in(
                buffer,
                start,
                end,
                rows=inspected.rows,
                columns=inspected.columns,
                components=inspected.samples_per_pixel,
            )
        except JpegMalformed as exc:
            raise DicomRefused("truncated", f"Frame {index} is a broken JPEG: {exc}.") from exc
        if rebuilt is None or rebuilt == buffer[start:end]:
            cleaned.append(memoryview(buffer)[start:end])
            if looks_like_text_before_eoi(buffer, start, end):
                suspects.add(index)
        else:
            cleaned.append(rebuilt)
            changed += 1
            if looks_like_text_before_eoi(rebuilt):
                suspects.add(index)
        if on_frame is not None:
            on_frame(index)
    for index in sorted(decode_sample(len(cleaned)) | suspects):
        frame = bytes(cleaned[index])
        problem = hidden_bytes_problem(frame, components=inspected.samples_per_pixel)
        if problem is None:
            continue
        if is_hidden_bytes_warning(problem):
            raise DicomRefused(
                "hidden_data",
                f"Frame {index} carries bytes inside its image data that a decoder skips "
                f"({problem}): they may hide patient details. Export the pullback again from "
                "the imaging system.",
            )
        raise DicomRefused("truncated", f"Frame {index} is a broken JPEG ({problem}).")
    return cleaned, changed


_ITEM_TAG = b"\xfe\xff\x00\xe0"
_PIXEL_DATA = 0x7FE00010


def frame_fragments(inspected: InspectedPullback) -> list[tuple[int, int]] | None:
    """Each frame's (offset, length) in the Pixel Data value when there is exactly one
    fragment per frame and no Extended Offset Table; otherwise None."""
    ds = inspected.dataset
    if "ExtendedOffsetTable" in ds:
        return None
    fragments = encapsulated_fragments(inspected.pixel_view())
    return fragments if len(fragments) == inspected.n_frames else None


def _encapsulate(frames: list[Frame]) -> bytes:
    """PS3.5 A.4 encapsulation, one fragment per frame (odd lengths padded with one 0x00)
    and a Basic Offset Table — what ``pydicom.encaps.encapsulate`` writes, joined once."""
    parts: list[Frame] = []
    offsets: list[int] = []
    position = 0
    for frame in frames:
        padded = len(frame) + len(frame) % 2
        offsets.append(position)
        parts += [_ITEM_TAG + struct.pack("<I", padded), frame]
        if padded != len(frame):
            parts.append(b"\x00")
        position += 8 + padded
    if position >= 2**32:
        raise DicomRefused("too_large", "The frames are too large for one DICOM file (4 GB).")
    table = struct.pack(f"<{len(offsets)}I", *offsets)
    return b"".join([_ITEM_TAG + struct.pack("<I", len(table)), table, *parts])


def _decoded(ds: Any, ts: UID, index: int) -> np.ndarray:
    from pydicom.pixels import get_decoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        array, _ = get_decoder(ts).as_array(ds, index=index)
    return array


def _clean_other(
    inspected: InspectedPullback, frames: list[bytes], clean: Callable[[bytes], bytes]
) -> list[bytes]:
    cleaned = []
    for index, data in enumerate(frames):
        try:
            cleaned.append(clean(data))
        except CodestreamMalformed as exc:
            raise DicomRefused("truncated", f"Frame {index} is broken: {exc}.") from exc
    return cleaned


def clean_frames(
    inspected: InspectedPullback, *, on_frame: Callable[[int], None] | None = None
) -> int:
    """Rewrite ``inspected.dataset``'s encapsulated frames in place (module doc); returns how
    many frames changed. ``on_frame(i)`` after JPEG frame ``i``. Raises
    :class:`DicomRefused` for a broken frame or hidden data."""
    ts = UID(inspected.transfer_syntax_uid)
    if not inspected.is_encapsulated or ts not in (_LS | _J2K | {JPEGBaseline8Bit}):
        return 0
    ds = inspected.dataset
    cleaned: list[Frame]
    if ts == JPEGBaseline8Bit:
        cleaned, changed = _clean_jpeg_frames(inspected, on_frame)
    else:
        frames = source_frames(inspected)
        cleaned = list(
            _clean_other(inspected, frames, clean_jpeg_ls if ts in _LS else clean_jpeg_2000)
        )
        changed = sum(1 for a, b in zip(frames, cleaned, strict=True) if a is not b and a != b)
        del frames
    if not changed and frame_fragments(inspected) is not None:
        return 0  # nothing to drop: the pixel data stays as it is, no copy
    checked = sorted({0, len(cleaned) - 1}) if ts != JPEGBaseline8Bit else []
    before = {i: _decoded(ds, ts, i) for i in checked}
    for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.add_new(_PIXEL_DATA, "OB", _encapsulate(cleaned))
    ds["PixelData"].is_undefined_length = True
    cleaned.clear()  # no view of a mapped source left: it can be closed
    inspected.close()
    for index, array in before.items():
        if not np.array_equal(_decoded(ds, ts, index), array):
            raise DicomRefused(
                "unsupported_transfer_syntax",
                f"Frame {index} decodes differently once its metadata segments are removed; "
                "export the pullback again (uncompressed or JPEG baseline).",
            )
    return changed
