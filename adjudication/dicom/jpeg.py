"""The one JPEG marker walker: check a frame's structure and rewrite it to what a decoder needs.

Frames of a JPEG-baseline source are served to readers byte for byte, so whatever a writer
put into them besides the image reaches every reader. ``clean_jpeg`` walks the whole stream
the way libjpeg does (``jdmarker.c``) and rebuilds it from the segments a decoder needs:

    SOI, DQT, DHT, DRI, SOF, SOS + its entropy-coded data (restart markers included), EOI

Everything else is dropped wherever it sits: COM and every APPn segment (before or between
scans), DNL/TEM and stray restart markers outside a scan, bytes between segments that are
not a marker (libjpeg skips them with an "extraneous bytes" warning), 0xFF fill bytes, and
everything after EOI. The entropy-coded data is copied unchanged, so the rewritten frame
decodes to the same pixels (``tests/ingest/test_jpeg_frames_are_rewritten.py``).

Two application segments change how a decoder *interprets* a 3-component image: a JFIF APP0
means YCbCr, an Adobe APP14's transform byte means RGB (0) or YCbCr (1). libjpeg-turbo and
browsers follow them, so dropping them could change the colours. When the source has one,
the rewrite writes a fresh, constant segment of that kind (``_JFIF_APP0`` / ``_adobe_app14``):
no byte of the source's segment is copied except the transform value, clamped to 0 or 1.

What a marker walk cannot see: bytes inside the entropy-coded data (e.g. text appended after
the last MCU, before EOI, or before a restart marker). A decoder skips them with a warning
("Corrupt JPEG data: N extraneous bytes before marker 0xd9"). ``hidden_bytes_problem`` decodes
a frame with libjpeg-turbo (``simplejpeg``) with such warnings raised as errors; ingest runs
it on a sample of frames and refuses the file (``render.verify_jpeg_frames``).

Structure checked on the way (a frame failing any is refused, ``JpegMalformed``): SOI first;
every segment wholly inside the stream; exactly one sequential-Huffman 8-bit frame header
(SOF0/SOF1: progressive, lossless, arithmetic and hierarchical JPEG are refused — the JPEG
baseline transfer syntax does not allow them) whose height, width and component count are
the declared ones; every quantisation table a component uses defined; every Huffman table a
scan uses defined when the stream defines any; scans naming components of the frame; and an
EOI after the last scan (a stream cut before its EOI is refused).
"""

from __future__ import annotations

import mmap
import re
import struct

import numpy as np

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
_SOF_SEQUENTIAL = frozenset({0xC0, 0xC1})  # baseline, extended sequential (Huffman)
_SOF_OTHER = frozenset({0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length field
_APP = frozenset(range(0xE0, 0xF0))
_COM, _DNL, _DQT, _DHT, _DRI, _SOS, _DAC = 0xFE, 0xDC, 0xDB, 0xC4, 0xDD, 0xDA, 0xCC
# Inside entropy-coded data 0xFF is followed by 0x00 (a stuffed byte) or a restart marker;
# anything else after a run of 0xFF is the next marker.
_MARKER_AFTER_SCAN = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")
# Constant JFIF 1.01 APP0: aspect ratio 1:1, no thumbnail.
_JFIF_APP0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def _adobe_app14(transform: int) -> bytes:
    """A constant Adobe APP14 (DCTEncode version 100, no flags) with ``transform``."""
    return b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00" + bytes([transform])


class JpegMalformed(Exception):
    """Why a JPEG stream is refused; the message completes "Frame n is a broken JPEG: …"."""


class _Header:
    """What the table and frame segments declared so far, checked against the DICOM header."""

    def __init__(self, rows: int, columns: int, components: int) -> None:
        self.expected = (rows, columns, components)
        self.quant: set[int] = set()
        self.huffman: set[tuple[int, int]] = set()
        self.frame: dict[int, int] | None = None  # component id → quantisation table
        self.component_ids: tuple[int, ...] = ()

    def dqt(self, segment: memoryview) -> None:
        at = 0
        while at < len(segment):
            precision, table = segment[at] >> 4, segment[at] & 0x0F
            at += 1 + (128 if precision else 64)
            if precision > 1 or table > 3 or at > len(segment):
                raise JpegMalformed("malformed (bad quantisation table)")
            self.quant.add(table)

    def dht(self, segment: memoryview) -> None:
        at = 0
        while at < len(segment):
            if at + 17 > len(segment):
                raise JpegMalformed("malformed (bad Huffman table)")
            klass, table = segment[at] >> 4, segment[at] & 0x0F
            at += 17 + sum(segment[at + 1 : at + 17])
            if klass > 1 or table > 3 or at > len(segment):
                raise JpegMalformed("malformed (bad Huffman table)")
            self.huffman.add((klass, table))

    def dri(self, segment: memoryview) -> None:
        if len(segment) != 2:
            raise JpegMalformed("malformed (restart interval length)")

    def sof(self, segment: memoryview) -> None:
        rows, columns, components = self.expected
        if self.frame is not None:
            raise JpegMalformed("malformed (two frame headers)")
        if len(segment) < 6:
            raise JpegMalformed("malformed (short frame header)")
        precision, height, width, count = struct.unpack_from(">BHHB", segment, 0)
        if precision != 8:
            raise JpegMalformed(f"{precision}-bit samples, not 8-bit")
        if (height, width) != (rows, columns):
            raise JpegMalformed(f"{width}×{height} pixels but the header declares {columns}×{rows}")
        if count != components:
            raise JpegMalformed(
                f"{count} components but the photometric interpretation needs {components}"
            )
        if len(segment) != 6 + 3 * count:
            raise JpegMalformed("malformed (frame header length)")
        self.frame = {}
        ids = []
        for c in range(count):
            ident, sampling, table = struct.unpack_from(">BBB", segment, 6 + 3 * c)
            if not (1 <= sampling >> 4 <= 4 and 1 <= sampling & 0x0F <= 4) or table > 3:
                raise JpegMalformed("malformed (frame header component)")
            if table not in self.quant:
                raise JpegMalformed("malformed (a quantisation table is used but not defined)")
            self.frame[ident] = table
            ids.append(ident)
        self.component_ids = tuple(ids)

    def segment(self, marker: int, payload: memoryview, *, after_scan: bool) -> bool:
        """Check one segment other than SOS/APPn; True when a decoder needs it (kept)."""
        if marker == _DQT:
            self.dqt(payload)
        elif marker == _DHT:
            self.dht(payload)
        elif marker == _DRI:
            self.dri(payload)
        elif marker in _SOF_SEQUENTIAL:
            if after_scan:
                raise JpegMalformed("malformed (a frame header after a scan)")
            self.sof(payload)
        elif marker in (_COM, _DNL):
            return False
        elif marker in _SOF_OTHER:
            raise JpegMalformed(f"not sequential 8-bit JPEG (frame type 0xFF{marker:02X})")
        elif marker == _DAC:
            raise JpegMalformed("arithmetic-coded JPEG, which baseline does not allow")
        else:
            raise JpegMalformed(f"malformed (unknown marker 0xFF{marker:02X})")
        return True

    def sos(self, segment: memoryview) -> None:
        if self.frame is None:
            raise JpegMalformed("malformed (scan before the frame header)")
        if len(segment) < 4 or segment[0] == 0 or len(segment) != 4 + 2 * segment[0]:
            raise JpegMalformed("malformed (scan header length)")
        for c in range(segment[0]):
            ident, tables = segment[1 + 2 * c], segment[2 + 2 * c]
            if ident not in self.frame:
                raise JpegMalformed(
                    "malformed (the scan names a component the frame does not have)"
                )
            if self.huffman and not {(0, tables >> 4), (1, tables & 0x0F)} <= self.huffman:
                raise JpegMalformed("malformed (a Huffman table is used but not defined)")


# Bytes that may follow a 0xFF inside entropy-coded data: 0x00 (a stuffed 0xFF) or RST0-7.
_MAY_FOLLOW_FF = np.zeros(256, dtype=bool)
_MAY_FOLLOW_FF[0x00] = True
_MAY_FOLLOW_FF[0xD0:0xD8] = True


# A JPEG stream's container: bytes, or a read-only mapping of the uploaded file.
Buffer = bytes | mmap.mmap


def _scan_end(data: Buffer, start: int, end: int) -> int:
    """Where the entropy-coded data that begins at ``start`` ends (the stream ends at
    ``end``): the first 0xFF that starts a marker other than a restart marker.

    Fast path (the usual frame: one scan, then EOI): if every 0xFF between ``start`` and the
    last EOI is a stuffed 0xFF 0x00 or a restart marker, the scan ends at that EOI — checked
    with numpy over the whole scan (the byte after each 0xFF) instead of walking every 0xFF in
    Python.
    """
    eoi = data.rfind(b"\xff\xd9", start, end)
    if eoi >= start:
        scan = np.frombuffer(data, dtype=np.uint8, count=eoi - start + 1, offset=start)
        after_ff = scan[np.flatnonzero(scan[:-1] == 0xFF) + 1]  # the EOI's 0xFF ends ``scan``
        if bool(_MAY_FOLLOW_FF[after_ff].all()):
            return eoi
    found = _MARKER_AFTER_SCAN.search(data, start, end)
    if found is None:
        raise JpegMalformed("cut short (it does not end with an EOI marker)")
    return found.start()


def _segment_end(data: Buffer, pos: int, marker: int, end: int) -> int:
    """Where the segment whose length field starts at ``pos`` ends (checked against the
    stream's ``end``)."""
    if pos + 2 > end:
        raise JpegMalformed("malformed (a segment runs past the end)")
    (length,) = struct.unpack_from(">H", data, pos)
    if length < 2 or pos + length > end:
        raise JpegMalformed(f"malformed (segment 0xFF{marker:02X} runs past the end)")
    return pos + int(length)


class _Interpretation:
    """The colour interpretation a JFIF APP0 / Adobe APP14 gives (module doc)."""

    def __init__(self) -> None:
        self.jfif = False
        self.adobe_transform: int | None = None

    def app(self, marker: int, payload: memoryview) -> None:
        # The same tests libjpeg applies (jdmarker.c examine_app0 / examine_app14).
        if marker == 0xE0 and len(payload) >= 14 and bytes(payload[:5]) == b"JFIF\x00":
            self.jfif = True
        elif marker == 0xEE and len(payload) >= 12 and bytes(payload[:5]) == b"Adobe":
            self.adobe_transform = 0 if payload[11] == 0 else 1

    def segments(self) -> bytes:
        """Constant segments that give a decoder the same interpretation."""
        adobe = self.adobe_transform
        return (_JFIF_APP0 if self.jfif else b"") + (
            _adobe_app14(adobe) if adobe is not None else b""
        )


def _next_marker(data: Buffer, pos: int, end: int) -> tuple[int, int]:
    """The next marker at or after ``pos`` and the position after it, skipping what libjpeg's
    ``next_marker`` skips: bytes that are not 0xFF, 0xFF fill bytes and 0xFF 0x00 pairs."""
    while True:
        at = data.find(b"\xff", pos, end)
        if at < 0:
            raise JpegMalformed("cut short (it does not end with an EOI marker)")
        at += 1
        while at < end and data[at] == 0xFF:
            at += 1
        if at >= end:
            raise JpegMalformed("cut short (it does not end with an EOI marker)")
        if data[at] != 0x00:
            return data[at], at + 1
        pos = at + 1


def clean_jpeg(data: bytes, *, rows: int, columns: int, components: int) -> bytes:
    """``data`` rebuilt from SOI, DQT, DHT, DRI, SOF, SOS + entropy-coded data and EOI only
    (module doc); raises :class:`JpegMalformed` when its structure is not a sequential 8-bit
    JPEG of ``columns``×``rows`` with ``components`` components. A frame that already is
    exactly that (the usual case) is returned as the same object, without a copy."""
    data = bytes(data)
    cleaned = clean_jpeg_in(data, 0, len(data), rows=rows, columns=columns, components=components)
    return data if cleaned is None else cleaned


def clean_jpeg_in(
    data: Buffer, start: int, end: int, *, rows: int, columns: int, components: int
) -> bytes | None:
    """:func:`clean_jpeg` of the stream ``data[start:end]``, read where it lies (a frame
    inside a pullback's Pixel Data — bytes, or the mapped file — is never copied out to be
    checked): None when those bytes already are the rebuilt frame, else the rebuilt frame."""
    if end - start < 4 or data[start : start + 2] != SOI:  # (a mapped file has no startswith)
        raise JpegMalformed("not a JPEG stream (no SOI marker)")
    header = _Header(rows, columns, components)
    kept: list[tuple[int, int]] = []  # (start, stop) of each kept piece of ``data``
    interpretation = _Interpretation()
    scans = 0
    pos = start + 2
    while True:
        marker, pos = _next_marker(data, pos, end)
        if marker == 0xD9:
            if scans == 0:
                raise JpegMalformed("malformed (no scan before the end)")
            break
        if marker == 0xD8:
            raise JpegMalformed(f"malformed (a second SOI marker at byte {pos - 2 - start})")
        if marker in _NO_LENGTH:
            continue  # TEM / a restart marker outside a scan: nothing a decoder uses
        segment_end = _segment_end(data, pos, marker, end)
        payload = memoryview(data)[pos + 2 : segment_end]
        if marker == _SOS:
            header.sos(payload)
            scan_end = _scan_end(data, segment_end, end)
            kept.append((pos - 2, scan_end))  # the scan header and its entropy-coded data
            scans += 1
            pos = scan_end
            continue
        if marker in _APP:
            interpretation.app(marker, payload)
        elif header.segment(marker, payload, after_scan=scans > 0):
            kept.append((pos - 2, segment_end))
        pos = segment_end
    return _assemble(data, start, end, interpretation.segments(), kept, eoi_at=pos - 2)


def _assemble(
    data: Buffer,
    start: int,
    end: int,
    interpretation: bytes,
    kept: list[tuple[int, int]],
    eoi_at: int,
) -> bytes | None:
    """SOI + ``interpretation`` + the kept pieces + EOI; None when ``data[start:end]`` already
    holds exactly that (allowing DICOM's one 0x00 of even-length padding after EOI)."""
    at = start + 2 + len(interpretation)
    contiguous = data[start + 2 : at] == interpretation
    for piece_start, piece_stop in kept:
        contiguous = contiguous and piece_start == at
        at = piece_stop
    tail = data[at:end]
    if contiguous and at == eoi_at and tail in (EOI, EOI + b"\x00") and (end - start) % 2 == 0:
        return None
    view = memoryview(data)
    return b"".join([SOI, interpretation, *(view[a:b] for a, b in kept), EOI])


def jpeg_structure_problem(
    data: bytes | memoryview, *, rows: int, columns: int, components: int
) -> str | None:
    """Why ``data`` is not a well-formed sequential 8-bit JPEG of ``columns``×``rows`` with
    ``components`` components (``clean_jpeg``'s checks), or None."""
    try:
        clean_jpeg(bytes(data), rows=rows, columns=columns, components=components)
    except JpegMalformed as exc:
        return str(exc)
    return None


def hidden_bytes_problem(data: bytes, *, components: int) -> str | None:
    """Why decoding ``data`` (libjpeg-turbo, warnings as errors) fails, or None.

    Catches what a marker walk cannot: bytes inside the entropy-coded data that the decoder
    skips ("extraneous bytes"), a scan that ends early ("premature end of data segment") and
    every fatal error. Decoded at 1/8 scale (the smallest output libjpeg-turbo offers:
    ``min_height``/``min_width`` of 1; ``min_factor`` alone left it at full size): the
    Huffman decoding still reads every byte of the scan, the inverse DCT and colour
    conversion shrink 64-fold (2.8 → 1.5 ms a 1024² frame).
    """
    import simplejpeg

    try:
        simplejpeg.decode_jpeg(
            data,
            colorspace="GRAY" if components == 1 else "RGB",
            min_height=1,
            min_width=1,
            strict=True,
        )
    except ValueError as exc:
        return str(exc) or type(exc).__name__
    return None


def is_hidden_bytes_warning(problem: str) -> bool:
    """True when a decoder message means bytes it skipped, i.e. data hidden in the scan."""
    return "extraneous bytes" in problem
