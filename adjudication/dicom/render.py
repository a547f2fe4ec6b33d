"""Frames → 8-bit JPEG bytes for the viewer, one frame at a time.

- JPEG baseline (1.2.840.10008.1.2.4.50) with MONOCHROME2 / YBR_FULL / YBR_FULL_422: each
  frame's encapsulated bytes are passed through unchanged (no decode/re-encode generation loss).
  Every frame is checked **structurally** (``jpeg_structure_problem``, microseconds per frame):
  SOI first; then the marker segments parsed one by one, each wholly inside the fragment; one
  sequential-Huffman 8-bit frame header (SOF0 or SOF1; progressive, lossless, arithmetic and
  hierarchical JPEG are refused, as the transfer syntax does not allow them) whose height,
  width and component count equal Rows, Columns and the photometric's samples per pixel, every
  component's quantisation table defined by a DQT before the scan, and every Huffman table a
  scan uses defined when the stream defines any; a scan header (SOS) naming components of the
  frame; and EOI as the last two bytes (or followed by the one 0x00 byte of DICOM's even-length
  padding). On top of that, the first and the last frame (by ``inspect``, through pydicom) and
  ``DECODE_SAMPLE`` other frames picked at random (unpredictably: ``random.SystemRandom``; by
  Pillow at reduced DCT scale, which still Huffman-decodes every byte of the scan) are fully
  entropy-decoded.
  **What this no longer catches** (the previous version Pillow-decoded every frame): a frame
  outside the decoded sample whose segments are well-formed but that a decoder still refuses —
  e.g. Huffman table code lengths that over-subscribe the code space, or other table contents
  libjpeg rejects as fatal. Such a frame is accepted and the browser shows it broken (it never
  affects another frame, calibration or de-identification). Damage *inside* the entropy-coded
  scan (flipped, zeroed or missing bytes between intact markers) was never caught: libjpeg only
  warns and fills the rest grey (``tests/ingest/test_frame_storage.py`` pins both). Still
  refused for every frame: a missing SOI, a stream cut before its EOI, a malformed or
  truncated segment, a frame of another size, component count or JPEG process, undefined
  quantisation/Huffman tables, no scan, and a wrong frame count.
  JPEG baseline labelled RGB is re-encoded instead: such streams carry no colour transform and
  browsers would show them in the wrong colours.
- Everything else is decoded with pydicom (YBR → RGB) frame by frame and encoded as JPEG at
  ``jpeg_quality`` (default 90): fast and small, and viewing quality is all the frames are used
  for — measurements are coordinates, never pixel values. Every frame is decoded, so every
  frame is proven.
- Windowing: 8-bit unsigned data is shown as stored. 16-bit (or signed) grayscale is windowed
  linearly to the **whole pullback's** min..max, so brightness does not flicker from frame to
  frame in cine; that costs one extra decoding pass for such files. 16-bit colour is shifted
  down to its 8 most significant stored bits.

Only one decoded frame is held at a time. Pillow's decompression-bomb guard applies: a JPEG
whose header disagrees with the declared Rows/Columns is refused before its pixels are decoded.
"""

from __future__ import annotations

import io
import random
import struct
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from PIL import Image
from pydicom.encaps import generate_frames
from pydicom.uid import UID, JPEGBaseline8Bit

from .inspect import DicomRefused, InspectedPullback

JPEG = "image/jpeg"
PASSTHROUGH_PHOTOMETRICS = frozenset({"MONOCHROME2", "YBR_FULL", "YBR_FULL_422"})
# Passed-through JPEG frames fully decoded at ingest besides the first and the last (which
# ``inspect`` decodes already).
DECODE_SAMPLE = 6

_SOF_SEQUENTIAL = frozenset({0xC0, 0xC1})  # baseline, extended sequential (Huffman)
_SOF_OTHER = frozenset({0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length field


class _Malformed(Exception):
    """Why a JPEG stream is refused (``jpeg_structure_problem``)."""


class _JpegHeader:
    """The marker segments of one JPEG stream up to its first scan header."""

    def __init__(self, rows: int, columns: int, components: int) -> None:
        self.expected = (rows, columns, components)
        self.quant: set[int] = set()
        self.huffman: set[tuple[int, int]] = set()
        self.frame: dict[int, int] | None = None  # component id → quantisation table

    def dqt(self, segment: memoryview) -> None:
        at = 0
        while at < len(segment):
            precision, table = segment[at] >> 4, segment[at] & 0x0F
            at += 1 + (128 if precision else 64)
            if precision > 1 or table > 3 or at > len(segment):
                raise _Malformed("malformed (bad quantisation table)")
            self.quant.add(table)

    def dht(self, segment: memoryview) -> None:
        at = 0
        while at < len(segment):
            if at + 17 > len(segment):
                raise _Malformed("malformed (bad Huffman table)")
            klass, table = segment[at] >> 4, segment[at] & 0x0F
            at += 17 + sum(segment[at + 1 : at + 17])
            if klass > 1 or table > 3 or at > len(segment):
                raise _Malformed("malformed (bad Huffman table)")
            self.huffman.add((klass, table))

    def sof(self, segment: memoryview) -> None:
        rows, columns, components = self.expected
        if self.frame is not None:
            raise _Malformed("malformed (two frame headers)")
        if len(segment) < 6:
            raise _Malformed("malformed (short frame header)")
        precision, height, width, count = struct.unpack_from(">BHHB", segment, 0)
        if precision != 8:
            raise _Malformed(f"{precision}-bit samples, not 8-bit")
        if (height, width) != (rows, columns):
            raise _Malformed(f"{width}×{height} pixels but the header declares {columns}×{rows}")
        if count != components:
            raise _Malformed(
                f"{count} components but the photometric interpretation needs {components}"
            )
        if len(segment) != 6 + 3 * count:
            raise _Malformed("malformed (frame header length)")
        self.frame = {}
        for c in range(count):
            ident, sampling, table = struct.unpack_from(">BBB", segment, 6 + 3 * c)
            if not (1 <= sampling >> 4 <= 4 and 1 <= sampling & 0x0F <= 4) or table > 3:
                raise _Malformed("malformed (frame header component)")
            if table not in self.quant:
                raise _Malformed("malformed (a quantisation table is used but not defined)")
            self.frame[ident] = table

    def sos(self, segment: memoryview) -> None:
        if self.frame is None:
            raise _Malformed("malformed (scan before the frame header)")
        if len(segment) < 4 or segment[0] == 0 or len(segment) != 4 + 2 * segment[0]:
            raise _Malformed("malformed (scan header length)")
        for c in range(segment[0]):
            ident, tables = segment[1 + 2 * c], segment[2 + 2 * c]
            if ident not in self.frame:
                raise _Malformed("malformed (the scan names a component the frame does not have)")
            if self.huffman and not {(0, tables >> 4), (1, tables & 0x0F)} <= self.huffman:
                raise _Malformed("malformed (a Huffman table is used but not defined)")

    def segment(self, marker: int, segment: memoryview) -> bool:
        """Take one marker segment; True once the scan header has been read."""
        if marker == 0xDB:
            self.dqt(segment)
        elif marker == 0xC4:
            self.dht(segment)
        elif marker in _SOF_SEQUENTIAL:
            self.sof(segment)
        elif marker in _SOF_OTHER:
            raise _Malformed(f"not sequential 8-bit JPEG (frame type 0xFF{marker:02X})")
        elif marker == 0xCC:
            raise _Malformed("arithmetic-coded JPEG, which baseline does not allow")
        elif marker == 0xDA:
            self.sos(segment)
            return True
        return False


def _jpeg_end(view: memoryview) -> int:
    """Where the EOI marker starts (DICOM may pad an odd-length stream with one 0x00)."""
    size = len(view)
    if size < 4 or view[0] != 0xFF or view[1] != 0xD8:
        raise _Malformed("not a JPEG stream (no SOI marker)")
    if view[size - 2] == 0xFF and view[size - 1] == 0xD9:
        return size - 2
    if size >= 5 and view[size - 3] == 0xFF and view[size - 2] == 0xD9 and view[size - 1] == 0:
        return size - 3
    raise _Malformed("cut short (it does not end with an EOI marker)")


def _next_marker(view: memoryview, pos: int, end: int) -> tuple[int, int]:
    """The marker at ``pos`` (after any 0xFF fill bytes) and the position after it."""
    if pos + 2 > end or view[pos] != 0xFF:
        raise _Malformed(f"malformed (no marker at byte {pos})")
    while pos < end and view[pos] == 0xFF:
        pos += 1
    if pos >= end:
        raise _Malformed("malformed (no scan before the end)")
    marker = view[pos]
    if marker in (0x00, 0xD8, 0xD9):
        raise _Malformed(f"malformed (unexpected marker 0xFF{marker:02X} at byte {pos})")
    return marker, pos + 1


def jpeg_structure_problem(
    data: bytes | memoryview, *, rows: int, columns: int, components: int
) -> str | None:
    """Why ``data`` is not a well-formed sequential 8-bit JPEG of ``columns``×``rows`` with
    ``components`` components, or None. Parses the marker segments up to the first scan
    header and checks the end; never decodes (see the module doc for what that covers)."""
    view = memoryview(data)
    header = _JpegHeader(rows, columns, components)
    try:
        end = _jpeg_end(view)
        pos = 2
        while True:
            marker, pos = _next_marker(view, pos, end)
            if marker in _STANDALONE:
                continue
            if pos + 2 > end:
                raise _Malformed("malformed (a segment runs past the end)")
            (length,) = struct.unpack_from(">H", view, pos)
            if length < 2 or pos + length > end:
                raise _Malformed(f"malformed (segment 0xFF{marker:02X} runs past the end)")
            if header.segment(marker, view[pos + 2 : pos + length]):
                return None
            pos += length
    except _Malformed as exc:
        return str(exc)


def check_jpeg_frame(index: int, data: bytes | memoryview, inspected: InspectedPullback) -> None:
    """Structural check of one passed-through frame (``jpeg_structure_problem``)."""
    problem = jpeg_structure_problem(
        data,
        rows=inspected.rows,
        columns=inspected.columns,
        components=inspected.samples_per_pixel,
    )
    if problem is not None:
        raise DicomRefused("truncated", f"Frame {index} is a broken JPEG: {problem}.")


def passthrough_applies(inspected: InspectedPullback) -> bool:
    """True when the frames are served as the source's own JPEG bytes."""
    return (
        inspected.transfer_syntax_uid == JPEGBaseline8Bit
        and inspected.photometric in PASSTHROUGH_PHOTOMETRICS
    )


def decode_sample(n_frames: int, sample: int = DECODE_SAMPLE) -> set[int]:
    """Frames decoded here: ``sample`` picked at random among all but the first and the last
    (``inspect`` decoded those two)."""
    rest = range(1, max(n_frames - 1, 1))
    return set(random.SystemRandom().sample(rest, min(sample, len(rest))))


def verify_passthrough_frames(
    inspected: InspectedPullback,
    frames: Sequence[bytes | memoryview],
    *,
    on_frame: Callable[[int], None] | None = None,
) -> None:
    """Check every passed-through frame structurally and decode a sample (module doc);
    ``on_frame(i)`` after frame ``i``. Raises :class:`DicomRefused` on the first bad one."""
    if len(frames) != inspected.n_frames:
        raise DicomRefused(
            "truncated", f"Only {len(frames)} of {inspected.n_frames} frames could be read."
        )
    for index, data in enumerate(frames):
        check_jpeg_frame(index, data, inspected)
        if on_frame is not None:
            on_frame(index)
    for index in sorted(decode_sample(inspected.n_frames)):
        _verify_jpeg(index, bytes(frames[index]), inspected)


def _encapsulated_frames(inspected: InspectedPullback) -> Iterator[bytes]:
    ds = inspected.dataset
    extended = None
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        extended = (bytes(ds.ExtendedOffsetTable), bytes(ds.ExtendedOffsetTableLengths))
    return generate_frames(
        ds.PixelData, number_of_frames=inspected.n_frames, extended_offsets=extended
    )


def _verify_jpeg(index: int, data: bytes, inspected: InspectedPullback) -> None:
    if not data.startswith(b"\xff\xd8"):
        raise DicomRefused("truncated", f"Frame {index} is not a JPEG stream (no SOI marker).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.size != (inspected.columns, inspected.rows):
                    raise DicomRefused(
                        "truncated",
                        f"Frame {index} is {image.size[0]}×{image.size[1]} pixels but the "
                        f"header declares {inspected.columns}×{inspected.rows}.",
                    )
                image.draft(image.mode, (image.size[0] // 8, image.size[1] // 8))
                image.load()
    except DicomRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, bomb errors
        raise DicomRefused(
            "truncated", f"Frame {index} is a broken JPEG ({type(exc).__name__}: {exc})."
        ) from exc


def _passthrough(inspected: InspectedPullback) -> Iterator[tuple[int, bytes, str]]:
    """The source's frames, each checked structurally; the decode sample is checked before
    the first frame is yielded."""
    try:
        frames = [
            bytes(data)
            for _, data in zip(
                range(inspected.n_frames), _encapsulated_frames(inspected), strict=False
            )
        ]
    except DicomRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed encapsulation
        raise DicomRefused(
            "truncated", f"The frames could not be read ({type(exc).__name__}: {exc})."
        ) from exc
    verify_passthrough_frames(inspected, frames)
    for index, data in enumerate(frames):
        yield index, data, JPEG


def _frames_from(decoder: Any, inspected: InspectedPullback) -> Iterator[np.ndarray]:
    """Decoded frames in order. Native data is read frame by frame with ``as_array(index=)``
    (cheap: a slice of the buffer) because pydicom 3.0's ``iter_array`` miscounts the frame
    length of native YBR_FULL_422 data after the first frame."""
    if not inspected.is_encapsulated:
        for index in range(inspected.n_frames):
            array, _meta = decoder.as_array(inspected.dataset, index=index, as_rgb=True)
            yield array
        return
    for array, _meta in decoder.iter_array(inspected.dataset, as_rgb=True):
        yield array


def _decoded_frames(inspected: InspectedPullback) -> Iterator[np.ndarray]:
    from pydicom.pixels import get_decoder

    decoder = get_decoder(UID(inspected.transfer_syntax_uid))
    index = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for array in _frames_from(decoder, inspected):
                yield array
                index += 1
    except DicomRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure
        raise DicomRefused(
            "truncated",
            f"Frame {index} could not be decoded ({type(exc).__name__}): the pixel data is "
            "truncated or corrupt.",
        ) from exc
    if index != inspected.n_frames:
        raise DicomRefused(
            "truncated", f"Only {index} of {inspected.n_frames} frames could be decoded."
        )


def _needs_window(inspected: InspectedPullback) -> bool:
    signed = int(inspected.dataset.get("PixelRepresentation", 0) or 0) == 1
    return inspected.samples_per_pixel == 1 and (inspected.bits_allocated > 8 or signed)


def _pullback_range(inspected: InspectedPullback) -> tuple[float, float]:
    """Min and max stored value over every frame (first decoding pass)."""
    lo, hi = np.inf, -np.inf
    for array in _decoded_frames(inspected):
        lo = min(lo, float(array.min()))
        hi = max(hi, float(array.max()))
    return lo, hi


def _to_uint8(
    array: np.ndarray, inspected: InspectedPullback, window: tuple[float, float] | None
) -> np.ndarray:
    if window is not None:
        lo, hi = window
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        out = (array.astype(np.float32) - np.float32(lo)) * np.float32(scale)
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if array.dtype == np.uint8:
        return array
    shift = max(inspected.bits_stored - 8, 0)
    return np.clip(array.astype(np.int64) >> shift, 0, 255).astype(np.uint8)


def _encode(array: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    mode = "L" if array.ndim == 2 else "RGB"
    Image.fromarray(np.ascontiguousarray(array), mode=mode).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _reencode(inspected: InspectedPullback, quality: int) -> Iterator[tuple[int, bytes, str]]:
    window = _pullback_range(inspected) if _needs_window(inspected) else None
    for index, array in enumerate(_decoded_frames(inspected)):
        if array.shape[:2] != (inspected.rows, inspected.columns):
            raise DicomRefused(
                "truncated",
                f"Frame {index} decoded to {array.shape}, not {inspected.rows}×{inspected.columns}.",
            )
        yield index, _encode(_to_uint8(array, inspected, window), quality), JPEG


def iter_frame_images(
    inspected: InspectedPullback, *, jpeg_quality: int = 90
) -> Iterator[tuple[int, bytes, str]]:
    """Yield ``(frame_index, image_bytes, content_type)`` for every frame, in order.

    Raises :class:`DicomRefused` (code ``truncated``) on the first frame that cannot be read,
    after the frames before it were yielded (passed-through JPEG: before any is yielded) —
    callers write to a temporary place and discard it on failure.
    """
    if not 1 <= jpeg_quality <= 95:
        raise ValueError("jpeg_quality must be in 1..95")
    if passthrough_applies(inspected):
        yield from _passthrough(inspected)
    else:
        yield from _reencode(inspected, jpeg_quality)
