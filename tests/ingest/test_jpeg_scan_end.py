"""Where a JPEG scan ends (``dicom.jpeg._scan_end``): the vectorised fast path agrees with the
marker-by-marker definition on every input, whatever 0xFF patterns the scan holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adjudication.dicom.jpeg import _MARKER_AFTER_SCAN, JpegMalformed, _scan_end

# Scan bodies built from the pieces that matter: plain bytes, stuffed 0xFF 0x00, restart
# markers, fill bytes (0xFF 0xFF) and other markers.
PIECES = st.one_of(
    st.binary(min_size=1, max_size=6).filter(lambda b: b"\xff" not in b),
    st.just(b"\xff\x00"),
    st.sampled_from([bytes([0xFF, m]) for m in range(0xD0, 0xD8)]),
    st.just(b"\xff\xff"),
    st.sampled_from([b"\xff\xd9", b"\xff\xc4", b"\xff\xda", b"\xff\xe1", b"\xff\xfe"]),
)


def reference(data: bytes, start: int) -> int | None:
    found = _MARKER_AFTER_SCAN.search(data, start)
    return None if found is None else found.start()


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=30), st.booleans())
def test_the_fast_path_finds_what_the_marker_walk_finds(pieces: list[bytes], eoi: bool) -> None:
    head = b"\xff\xd8\xff\xda\x00\x08"  # where the scan starts does not matter here
    data = head + b"".join(pieces) + (b"\xff\xd9" if eoi else b"")
    expected = reference(data, len(head))
    try:
        got: int | None = _scan_end(data, len(head), len(data))
    except JpegMalformed:
        got = None
    assert got == expected


def test_a_clean_scan_ends_at_its_eoi_and_a_hidden_marker_ends_it_early() -> None:
    scan = b"\x12\xff\x00\x34\xff\xd3\x56"
    data = b"\xff\xd8" + scan + b"\xff\xd9"
    assert _scan_end(data, 2, len(data)) == 2 + len(scan)
    hidden = b"\xff\xd8" + b"\x12\xff\xfeNAME" + scan + b"\xff\xd9"
    assert _scan_end(hidden, 2, len(hidden)) == 3
