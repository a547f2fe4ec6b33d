"""Remove text-bearing marker segments from encapsulated JPEG frames (de-identification).

Frames of JPEG-family sources are served to readers byte for byte. Some vendors write
comments (COM, 0xFFFE) or application segments (APP1–APP13 and APP15: EXIF, XMP, vendor
blocks) into each frame, and those can carry names, dates or free text. PS3.15's Basic
Profile requires removing such burned-in or embedded identifying information, so before the
de-identified dataset is stored every frame loses those segments. Kept: APP0 (JFIF) and
APP14 (Adobe: it tells the decoder the colour transform), and everything from the first
scan on. A frame without such segments is left untouched, byte for byte.
"""

from __future__ import annotations

import struct

from pydicom import Dataset
from pydicom.encaps import encapsulate, generate_frames

JPEG_FAMILY = {
    "1.2.840.10008.1.2.4.50",  # baseline
    "1.2.840.10008.1.2.4.51",  # extended
    "1.2.840.10008.1.2.4.57",  # lossless
    "1.2.840.10008.1.2.4.70",  # lossless SV1
}
TEXT_MARKERS = {0xFE} | set(range(0xE1, 0xEE)) | {0xEF}
STANDALONE = {0x01} | set(range(0xD0, 0xD8))


def strip_text_segments(frame: bytes) -> bytes:
    """``frame`` without COM/APPn text segments before its first scan (see module doc).

    Returns ``frame`` itself when there is nothing to strip or its structure is not the
    expected one (the structural check elsewhere refuses malformed frames).
    """
    if len(frame) < 4 or frame[0] != 0xFF or frame[1] != 0xD8:
        return frame
    kept = bytearray(frame[:2])
    pos = 2
    stripped = False
    while pos + 4 <= len(frame):
        if frame[pos] != 0xFF:
            return frame
        marker = frame[pos + 1]
        if marker == 0xFF:  # fill byte
            kept.append(0xFF)
            pos += 1
            continue
        if marker in STANDALONE:
            kept += frame[pos : pos + 2]
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", frame, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > len(frame):
            return frame
        if marker == 0xDA:  # start of scan: the rest is image data
            kept += frame[pos:]
            return bytes(kept) if stripped else frame
        if marker in TEXT_MARKERS:
            stripped = True
        else:
            kept += frame[pos:end]
        pos = end
    return frame


def strip_dataset_frames(ds: Dataset, n_frames: int) -> int:
    """Strip every frame of an encapsulated JPEG dataset in place; returns how many changed.

    The pixel data is re-encapsulated (one fragment per frame, with a basic offset table)
    only when at least one frame changed.
    """
    meta = getattr(ds, "file_meta", None)
    syntax = str(getattr(meta, "TransferSyntaxUID", "")) if meta is not None else ""
    if syntax not in JPEG_FAMILY or "PixelData" not in ds:
        return 0
    frames = list(generate_frames(ds.PixelData, number_of_frames=n_frames))
    cleaned = [strip_text_segments(bytes(f)) for f in frames]
    changed = sum(1 for a, b in zip(frames, cleaned, strict=True) if bytes(a) != b)
    if changed:
        for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
            if keyword in ds:
                delattr(ds, keyword)
        ds.PixelData = encapsulate(cleaned, has_bot=True)
        ds["PixelData"].is_undefined_length = True
    return changed
