"""JPEG frames are rewritten to the segments a decoder needs (issue 12, finding 1).

Whatever a writer puts into a frame besides the image — comments before or after the scan,
any APPn (including a non-JFIF APP0 and an Adobe APP14 carrying text), raw bytes between
segments, bytes after EOI — is gone after ``clean_jpeg``, and the frame decodes to exactly
the same pixels. Bytes hidden inside the entropy-coded data are invisible to a marker walk;
the strict decoder names them.
"""

from __future__ import annotations

import functools
import io
import struct
from typing import Any

import numpy as np
import pytest
import simplejpeg
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from adjudication.dicom.codestreams import CodestreamMalformed, clean_jpeg_2000, clean_jpeg_ls
from adjudication.dicom.jpeg import (
    JpegMalformed,
    clean_jpeg,
    clean_jpeg_in,
    hidden_bytes_problem,
    is_hidden_bytes_warning,
    jpeg_structure_problem,
)

SECRET = b"DOE^JANE PHI-98765"
SIZE = 64


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def encode(mode: str = "L", **kwargs: object) -> bytes:
    rng = np.random.default_rng(7)
    shape = (SIZE, SIZE) if mode == "L" else (SIZE, SIZE, 3)
    pixels = rng.random(shape) * 64 + np.arange(SIZE)[:, None, *([None] if mode != "L" else [])]
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), mode=mode).save(buffer, "JPEG", **kwargs)
    return buffer.getvalue()


def scan_start(data: bytes) -> int:
    """Offset of the SOS marker (walking segments)."""
    pos = 2
    while data[pos + 1] != 0xDA:
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    return pos


def plant_app(n: int, data: bytes) -> bytes:
    return data[:2] + segment(0xE0 + n, SECRET) + data[2:]


def eoi(data: bytes) -> int:
    return data.rindex(b"\xff\xd9")


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


PLANTS = {
    "COM before the scan": lambda d: d[:2] + segment(0xFE, SECRET) + d[2:],
    "COM after the scan": lambda d: d[: eoi(d)] + segment(0xFE, SECRET) + d[eoi(d) :],
    "APP0 that is not JFIF": lambda d: d[:2] + segment(0xE0, b"JFXX\x00" + SECRET) + d[2:],
    "APP0 JFIF with text after it": lambda d: (
        d[:2] + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + SECRET) + d[2:]
    ),
    **{f"APP{n}": functools.partial(plant_app, n) for n in range(1, 16)},
    "APP14 Adobe with text": lambda d: (
        d[:2] + segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01" + SECRET) + d[2:]
    ),
    "APP1 between scan header tables": lambda d: (
        d[: scan_start(d)] + segment(0xE1, SECRET) + d[scan_start(d) :]
    ),
    "raw bytes between segments": lambda d: d[: scan_start(d)] + SECRET + d[scan_start(d) :],
    "raw bytes after the scan, before a COM": lambda d: (
        d[: eoi(d)] + segment(0xFE, b"x") + SECRET + d[eoi(d) :]
    ),
    "bytes after EOI": lambda d: d + SECRET,
    "fill bytes and TEM before the scan": lambda d: (
        d[: scan_start(d)] + b"\xff\xff\xff\x01" + SECRET + d[scan_start(d) :]
    ),
}


@pytest.mark.parametrize("where", list(PLANTS), ids=list(PLANTS))
@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_text_planted_anywhere_outside_the_scan_is_removed_and_pixels_are_the_same(
    where: str, mode: str
) -> None:
    plain = encode(mode)
    dirty = PLANTS[where](plain)
    assert SECRET in dirty
    components = 1 if mode == "L" else 3
    cleaned = clean_jpeg(dirty, rows=SIZE, columns=SIZE, components=components)
    assert SECRET not in cleaned and b"DOE" not in cleaned
    assert np.array_equal(decoded(cleaned), decoded(plain))
    assert hidden_bytes_problem(cleaned, components=components) is None


def test_only_decoder_segments_survive() -> None:
    dirty = PLANTS["COM before the scan"](encode("L", optimize=True))
    cleaned = clean_jpeg(dirty, rows=SIZE, columns=SIZE, components=1)
    markers = []
    pos = 2
    while True:
        marker = cleaned[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        pos += 2 + struct.unpack_from(">H", cleaned, pos + 2)[0]
    # JFIF is rebuilt as a constant segment (the source had one); then tables, frame, scan.
    assert set(markers) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xDD, 0xDA}
    assert cleaned.endswith(b"\xff\xd9")


def test_the_adobe_colour_transform_is_kept_as_a_constant_segment() -> None:
    """Adobe APP14 transform 0 means "RGB, no transform": dropping it would change colours."""
    plain = encode("RGB")
    frame_at = plain.index(b"\xff\xc0")
    # An RGB-coded stream: JFIF removed, component ids 1,2,3 and Adobe transform 0.
    body = plain[:2] + plain[2 + 2 + struct.unpack_from(">H", plain, 4)[0] :]
    adobe = body[:2] + segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x00" + SECRET) + body[2:]
    assert frame_at > 0
    cleaned = clean_jpeg(adobe, rows=SIZE, columns=SIZE, components=3)
    assert SECRET not in cleaned
    assert b"Adobe\x00\x64\x00\x00\x00\x00\x00" in cleaned
    assert np.array_equal(
        simplejpeg.decode_jpeg(cleaned, colorspace="RGB"),
        simplejpeg.decode_jpeg(adobe, colorspace="RGB", strict=False),
    )


def test_restart_intervals_and_multiple_tables_survive_byte_for_byte_in_the_scan() -> None:
    plain = encode("L", optimize=True, restart_marker_blocks=2)
    cleaned = clean_jpeg(PLANTS["COM after the scan"](plain), rows=SIZE, columns=SIZE, components=1)
    assert b"\xff\xdd" in cleaned and b"\xff\xd0" in cleaned
    assert np.array_equal(decoded(cleaned), decoded(plain))


@pytest.mark.parametrize(
    "hide",
    [
        lambda d: d[: eoi(d)] + SECRET + d[eoi(d) :],
        lambda d: d[: d.index(b"\xff\xd1")] + SECRET + d[d.index(b"\xff\xd1") :],
    ],
    ids=["before-EOI", "before-a-restart-marker"],
)
def test_bytes_hidden_in_the_entropy_coded_data_are_named_by_the_strict_decoder(hide) -> None:
    plain = encode("L", restart_marker_blocks=2)
    dirty = hide(plain)
    cleaned = clean_jpeg(dirty, rows=SIZE, columns=SIZE, components=1)
    assert SECRET in cleaned  # the marker walk cannot see them ...
    problem = hidden_bytes_problem(cleaned, components=1)
    assert problem is not None and is_hidden_bytes_warning(problem)  # ... the decoder can


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d[2:], "no SOI"),
        (lambda d: d[: len(d) // 2], "EOI"),
        (lambda d: d[:-2], "EOI"),
        (lambda d: d.replace(b"\xff\xc0", b"\xff\xc2", 1), "not sequential 8-bit JPEG"),
        (lambda d: d[: scan_start(d)] + b"\xff\xd8" + d[scan_start(d) :], "second SOI"),
    ],
    ids=["no-soi", "cut-in-half", "no-eoi", "progressive", "two-soi"],
)
def test_broken_streams_are_still_refused(mutate, reason: str) -> None:
    problem = jpeg_structure_problem(mutate(encode("L")), rows=SIZE, columns=SIZE, components=1)
    assert problem is not None and reason in problem


def test_jpeg_ls_loses_comments_and_app_segments(tmp_path) -> None:
    import jpeg_ls

    pixels = (np.arange(SIZE * SIZE) % 251).astype(np.uint8).reshape(SIZE, SIZE)
    plain = bytes(jpeg_ls.encode(pixels))
    dirty = plain[:2] + segment(0xFE, SECRET) + segment(0xE8, SECRET) + plain[2:] + SECRET
    cleaned = clean_jpeg_ls(dirty)
    assert SECRET not in cleaned
    assert np.array_equal(jpeg_ls.decode(np.frombuffer(cleaned, np.uint8)), pixels)


def test_jpeg_2000_loses_comments_in_main_and_tile_part_headers() -> None:
    import openjpeg

    pixels = (np.arange(SIZE * SIZE) % 251).astype(np.uint8).reshape(SIZE, SIZE)
    plain = bytes(openjpeg.encode(pixels, codec_format=0))  # J2K codestream
    com = segment(0x64, b"\x00\x01" + SECRET)
    sot = plain.index(b"\xff\x90")
    sod = plain.index(b"\xff\x93", sot)
    psot = struct.unpack_from(">I", plain, sot + 6)[0]
    tile = bytearray(plain[sot:sod]) + com + plain[sod : sot + psot]
    struct.pack_into(">I", tile, 6, psot + len(com))
    dirty = plain[:sot] + com + bytes(tile) + plain[sot + psot :] + SECRET
    cleaned = clean_jpeg_2000(dirty)
    assert SECRET not in cleaned
    assert np.array_equal(openjpeg.decode(cleaned), pixels)


@pytest.mark.parametrize(
    "scan",
    [
        b"\x12\xff\x00\x34\xff\xd9",  # one scan, stuffed byte
        b"\x12\xff\xd0\x34\xff\xd9",  # a restart marker inside the scan
        b"\x12\xff\xff\x00\x34\xff\xd9",  # a fill byte before a stuffed byte
        b"\x12\xff\xff\xd9",  # fill bytes before EOI
        b"\x12\xff\xc4\x00\x02\xff\xda\x00\x02\x34\xff\xd9",  # a table, then a second scan
        b"\x12\xff\xfe\x00\x03x\xff\xd9",  # a comment after the scan
    ],
)
def test_the_fast_scan_end_agrees_with_a_marker_by_marker_walk(scan: bytes) -> None:
    from adjudication.dicom.jpeg import _MARKER_AFTER_SCAN, _scan_end

    expected = _MARKER_AFTER_SCAN.search(scan, 0)
    assert expected is not None
    assert _scan_end(scan, 0, len(scan)) == expected.start()


def test_text_right_before_eoi_marks_a_frame_for_decoding_outside_the_sample() -> None:
    from adjudication.dicom.pixels import looks_like_text_before_eoi

    plain = encode("L")
    assert not looks_like_text_before_eoi(plain)
    for hidden in (SECRET, SECRET.decode().encode("utf-16-le")):
        assert looks_like_text_before_eoi(plain[: eoi(plain)] + hidden + plain[eoi(plain) :])


@given(
    cut=st.integers(min_value=0, max_value=4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=6),
    insert_at=st.integers(0, 4000),
    inserted=st.binary(max_size=40),
)
@settings(max_examples=300, deadline=None)
def test_any_mangled_stream_is_cleaned_or_refused_never_crashes(
    cut: int, flips: list[tuple[int, int]], insert_at: int, inserted: bytes
) -> None:
    data = bytearray(_FUZZ_BASE)
    for at, value in flips:
        data[at % len(data)] = value
    data[insert_at % len(data) : insert_at % len(data)] = inserted
    data = data[: len(data) - cut % len(data)] if cut % 3 == 0 else data
    try:
        out = clean_jpeg(bytes(data), rows=SIZE, columns=SIZE, components=1)
    except JpegMalformed:
        return
    assert out.startswith(b"\xff\xd8") and out.endswith(b"\xff\xd9")
    # What comes out is itself a clean stream: rewriting it again changes nothing.
    assert clean_jpeg(out, rows=SIZE, columns=SIZE, components=1) == out


_FUZZ_BASE = encode("L", restart_marker_blocks=4)


def _codestream_bases() -> list[tuple[Any, bytes]]:
    import jpeg_ls
    import openjpeg

    pixels = (np.arange(SIZE * SIZE) % 251).astype(np.uint8).reshape(SIZE, SIZE)
    return [
        (clean_jpeg_ls, bytes(jpeg_ls.encode(pixels))),
        (clean_jpeg_2000, bytes(openjpeg.encode(pixels, codec_format=0))),
    ]


_CODESTREAMS = _codestream_bases()


@given(
    which=st.sampled_from([0, 1]),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 4000),
)
@settings(max_examples=200, deadline=None)
def test_mangled_codestreams_are_cleaned_or_refused_never_crash(
    which: int, flips: list[tuple[int, int]], cut: int
) -> None:
    clean, base = _CODESTREAMS[which]
    data = bytearray(base)
    for at, value in flips:
        data[at % len(data)] = value
    data = data[: len(data) - cut % len(data)]
    try:
        clean(bytes(data))
    except CodestreamMalformed:
        pass


def _outcome(call: Any) -> bytes | str:
    try:
        return call()
    except JpegMalformed as exc:
        return f"refused: {exc}"


@given(
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=4),
    cut=st.integers(min_value=0, max_value=4000),
    plant=st.sampled_from(list(PLANTS)),
    before=st.binary(max_size=30),
    after=st.sampled_from([b"", b"\xff\xd9", b"\xff\xd8\xff\xfe\x00\x04ab\xff\xd9", b"\x00" * 7]),
)
@settings(max_examples=300, deadline=None)
def test_a_frame_checked_where_it_lies_in_the_pixel_data_is_checked_as_alone(
    flips: list[tuple[int, int]], cut: int, plant: str, before: bytes, after: bytes
) -> None:
    """``clean_jpeg_in`` (frames read inside the whole Pixel Data, never copied out) gives what
    ``clean_jpeg`` gives the frame alone, whatever surrounds it: the same refusal, the same
    rebuilt frame, or None exactly when the frame is already clean."""
    data = bytearray(PLANTS[plant](_FUZZ_BASE) if cut % 2 else _FUZZ_BASE)
    for at, value in flips:
        data[at % len(data)] = value
    frame = bytes(data[: len(data) - cut % len(data)] if cut % 3 == 0 else data)
    alone = _outcome(lambda: clean_jpeg(frame, rows=SIZE, columns=SIZE, components=1))
    buffer = before + frame + after
    inside = _outcome(
        lambda: clean_jpeg_in(
            buffer, len(before), len(before) + len(frame), rows=SIZE, columns=SIZE, components=1
        )
    )
    assert (frame if inside is None else inside) == alone
