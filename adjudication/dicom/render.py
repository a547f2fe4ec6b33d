"""Frames → 8-bit JPEG bytes for the viewer, one frame at a time.

- JPEG baseline (1.2.840.10008.1.2.4.50) with MONOCHROME2 / YBR_FULL / YBR_FULL_422: each
  frame is served as its encapsulated bytes (no decode/re-encode generation loss), after
  ``pixels.clean_frames`` rewrote every frame to the segments a decoder needs and checked it
  (``jpeg``: one marker walker, structural checks on every frame, a decoded sample with
  decoder warnings as errors). What the structural walk does not catch — table contents
  libjpeg rejects, or damage inside the entropy-coded data of a frame outside the decoded
  sample — is accepted, and the browser shows that one frame broken.
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
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from PIL import Image
from pydicom.uid import UID, JPEGBaseline8Bit

from .inspect import DicomRefused, InspectedPullback
from .jpeg import jpeg_structure_problem
from .pixels import source_frames

__all__ = ["iter_frame_images", "jpeg_structure_problem", "passthrough_applies"]

JPEG = "image/jpeg"
PASSTHROUGH_PHOTOMETRICS = frozenset({"MONOCHROME2", "YBR_FULL", "YBR_FULL_422"})


def passthrough_applies(inspected: InspectedPullback) -> bool:
    """True when the frames are served as the source's own (rewritten) JPEG bytes."""
    return (
        inspected.transfer_syntax_uid == JPEGBaseline8Bit
        and inspected.photometric in PASSTHROUGH_PHOTOMETRICS
    )


def _passthrough(inspected: InspectedPullback) -> Iterator[tuple[int, bytes, str]]:
    """The dataset's frames as they are: ``pixels.clean_frames`` rewrote and checked them."""
    for index, data in enumerate(source_frames(inspected)):
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
        return np.asarray(np.clip(np.rint(out), 0, 255).astype(np.uint8))
    if array.dtype == np.uint8:
        return array
    shift = max(inspected.bits_stored - 8, 0)
    return np.asarray(np.clip(array.astype(np.int64) >> shift, 0, 255).astype(np.uint8))


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
