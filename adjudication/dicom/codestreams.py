"""Strip metadata from JPEG-LS and JPEG 2000 codestreams (the encapsulated syntaxes besides
JPEG baseline that ``inspect`` accepts). RLE (PS3.5 G) has no place for metadata: a header of
segment offsets and the PackBits runs, so RLE frames are kept as they are.

- **JPEG-LS** (ITU T.87): rebuilt from SOI, SOF55, LSE, DRI, SOS + scan data (restart
  markers included) and EOI. COM and every APPn segment are dropped wherever they sit, as are
  bytes between segments and after EOI. In JPEG-LS scan data a 0xFF is followed by a byte
  below 0x80, so any 0xFF followed by a byte of 0x80 or more ends the scan.
- **JPEG 2000** (ITU T.800): the main header and every tile-part header lose their COM
  segments; each tile-part's ``Psot`` length is rewritten to match, and the main header's TLM
  segments (optional tile-part length index) are dropped because those lengths change. A
  frame wrapped in a JP2 file (boxes) is reduced to its ``jp2c`` codestream: the boxes around
  it (XML, UUID, colour profile, …) are metadata. Bytes after EOC are dropped.

The pixel data itself (scan / tile data) is copied unchanged, so the frames decode to the
same pixels; ingest proves it on the first and the last frame (``pixels.clean_frames``).
Malformed streams raise :class:`CodestreamMalformed`.
"""

from __future__ import annotations

import re
import struct


class CodestreamMalformed(Exception):
    """Why a codestream is refused; completes "Frame n is broken: …"."""


# ------------------------------------------------------------------------------------------
# JPEG-LS
# ------------------------------------------------------------------------------------------

_LS_KEEP = frozenset({0xF7, 0xF8, 0xDD})  # SOF55, LSE, DRI
_LS_DROP = frozenset({0xFE, 0xDC, *range(0xE0, 0xF0)})  # COM, DNL, APPn
_LS_MARKER_AFTER_SCAN = re.compile(rb"\xff+[\x80-\xcf\xd8-\xfe]")


def _ls_next_marker(data: bytes, pos: int) -> tuple[int, int]:
    at = data.find(b"\xff", pos)
    while at >= 0:
        nxt = at + 1
        while nxt < len(data) and data[nxt] == 0xFF:
            nxt += 1
        if nxt < len(data) and data[nxt] >= 0x80:
            return data[nxt], nxt + 1
        at = data.find(b"\xff", nxt)
    raise CodestreamMalformed("cut short (no EOI marker)")


def clean_jpeg_ls(data: bytes) -> bytes:
    """``data`` with only the segments a JPEG-LS decoder needs (module doc)."""
    data = bytes(data)
    if not data.startswith(b"\xff\xd8"):
        raise CodestreamMalformed("not a JPEG-LS stream (no SOI marker)")
    kept = [b"\xff\xd8"]
    pos, scans = 2, 0
    while True:
        marker, pos = _ls_next_marker(data, pos)
        if marker == 0xD9:
            if not scans:
                raise CodestreamMalformed("no scan before EOI")
            kept.append(b"\xff\xd9")
            return b"".join(kept)
        if 0xD0 <= marker <= 0xD7:
            continue
        if pos + 2 > len(data):
            raise CodestreamMalformed("a segment runs past the end")
        (length,) = struct.unpack_from(">H", data, pos)
        end = pos + length
        if length < 2 or end > len(data):
            raise CodestreamMalformed(f"segment 0xFF{marker:02X} runs past the end")
        if marker == 0xDA:
            found = _LS_MARKER_AFTER_SCAN.search(data, end)
            if found is None:
                raise CodestreamMalformed("cut short (no EOI marker)")
            kept.append(data[pos - 2 : found.start()])
            scans += 1
            pos = found.start()
            continue
        if marker in _LS_KEEP:
            kept.append(data[pos - 2 : end])
        elif marker not in _LS_DROP:
            raise CodestreamMalformed(f"unexpected marker 0xFF{marker:02X}")
        pos = end


# ------------------------------------------------------------------------------------------
# JPEG 2000
# ------------------------------------------------------------------------------------------

_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_SOC, _SOT, _SOD, _EOC, _COM, _TLM = 0x4F, 0x90, 0x93, 0xD9, 0x64, 0x55


def _jp2_codestream(data: bytes) -> bytes:
    """The contents of the ``jp2c`` box of a JP2 file."""
    pos = 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if length == 1:
            if pos + 16 > len(data):
                break
            (length,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif length == 0:
            length = len(data) - pos
        if length < header or pos + length > len(data):
            break
        if kind == b"jp2c":
            return data[pos + header : pos + length]
        pos += length
    raise CodestreamMalformed("a JP2 file without a codestream box")


def _segments(data: bytes, pos: int, stop_markers: frozenset[int]) -> tuple[list[bytes], int]:
    """Marker segments from ``pos`` up to one of ``stop_markers`` (COM and TLM dropped);
    returns them and the position of the stop marker."""
    kept: list[bytes] = []
    while True:
        if pos + 2 > len(data) or data[pos] != 0xFF:
            raise CodestreamMalformed(f"no marker at byte {pos}")
        marker = data[pos + 1]
        if marker in stop_markers:
            return kept, pos
        if pos + 4 > len(data):
            raise CodestreamMalformed("a segment runs past the end")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise CodestreamMalformed(f"segment 0xFF{marker:02X} runs past the end")
        if marker not in (_COM, _TLM):
            kept.append(data[pos:end])
        pos = end


def clean_jpeg_2000(data: bytes) -> bytes:
    """``data`` (a codestream or a JP2 file) as a bare codestream without COM/TLM segments
    (module doc)."""
    data = bytes(data)
    if data.startswith(_JP2_SIGNATURE):
        data = _jp2_codestream(data)
    if not data.startswith(b"\xff\x4f"):
        raise CodestreamMalformed("not a JPEG 2000 codestream (no SOC marker)")
    main, pos = _segments(data, 2, frozenset({_SOT, _EOC}))
    out = [b"\xff\x4f", *main]
    tiles = 0
    while data[pos + 1] == _SOT:
        if pos + 12 > len(data):
            raise CodestreamMalformed("a tile-part header runs past the end")
        sot = bytearray(data[pos : pos + 12])
        (psot,) = struct.unpack_from(">I", sot, 6)
        tile_end = len(data) if psot == 0 else pos + psot
        if tile_end > len(data) or (psot and psot < 14):
            raise CodestreamMalformed("a tile-part runs past the end")
        header, sod = _segments(data, pos + 12, frozenset({_SOD}))
        body = data[sod:tile_end] if psot else data[sod : len(data) - 2]
        if psot:
            struct.pack_into(">I", sot, 6, 12 + sum(len(s) for s in header) + len(body))
        out += [bytes(sot), *header, body]
        tiles += 1
        pos = tile_end if psot else len(data) - 2
        if pos + 2 > len(data):
            raise CodestreamMalformed("cut short (no EOC marker)")
    if data[pos : pos + 2] != b"\xff\xd9" or not tiles:
        raise CodestreamMalformed("cut short (no EOC marker after the tiles)")
    out.append(b"\xff\xd9")
    return b"".join(out)
