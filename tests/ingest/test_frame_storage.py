"""Frames are stored once and checked structurally at ingest (issue 4, speed without losing safety).

- A JPEG-baseline source with one fragment per frame is kept as ``source.dcm`` only; its
  ``frames.idx`` points each frame at its fragment's bytes inside that file.
- Other sources (re-encoded, or several fragments per frame) get one ``frames.bin``.
- Every passed-through frame is checked structurally (markers, SOF size and components, SOS,
  EOI); only a random sample is entropy-decoded, so damage *inside* a scan outside that
  sample is accepted — that trade-off is pinned here, both ways.
- The duplicate check runs on the header, before the pixel data of the file is read.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import pydicom
import pytest
from PIL import Image
from pydicom.encaps import encapsulate, generate_frames

from adjudication import storage
from adjudication.dicom import inspect as inspect_module
from adjudication.dicom import pixels
from adjudication.dicom.deidentify import deidentify, write_dicom, write_dicom_pixels_last
from adjudication.dicom.inspect import DicomRefused, Limits, encapsulated_fragments, inspect_file
from adjudication.dicom.render import jpeg_structure_problem
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.services import ingest
from tests.factories import write_frames
from tests.uploads import ingested

SIZE = 64
FRAMES = 6


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def upload_and_ingest(world: Any, path: Path, *, frame_files: bool = True) -> Any:
    """Upload and ingest; with ``frame_files`` also the light task that ``ready`` schedules
    (each frame as a file of its own for the reverse proxy)."""
    return ingested(
        world.study, world.coordinator, path, frame_files=frame_files, subject_code="S-0007"
    )


def names_under(pullback: Any) -> list[str]:
    return sorted(p.name for p in storage.pullback_dir(pullback).iterdir())


def jpeg_file(tmp_path: Path, name: str = "jpeg.dcm", **kwargs: Any) -> Path:
    path = tmp_path / name
    make_synthetic_pullback(
        path, n_frames=FRAMES, rows=SIZE, columns=SIZE, encoding="jpeg_baseline", **kwargs
    )
    return path


def fragments_of(path: Path) -> list[bytes]:
    return list(generate_frames(pydicom.dcmread(path).PixelData, number_of_frames=FRAMES))


# ------------------------------------------------------------------------------------------
# Stored once
# ------------------------------------------------------------------------------------------


def test_a_jpeg_source_is_stored_once_and_its_frames_are_its_fragments_in_place(
    world: Any, media: Path, tmp_path: Path
) -> None:
    path = jpeg_file(tmp_path)
    fragments = fragments_of(path)
    pullback = upload_and_ingest(world, path, frame_files=False)
    assert pullback.status == "ready", pullback.error
    key = str(pullback.storage_key)
    # Ready with the fragments in place in source.dcm (indexed): the app sends them until the
    # light task has written each frame as a file of its own for the reverse proxy.
    assert names_under(pullback) == ["frames.idx", "source.dcm"]
    assert storage.frame_proxy_path(key, 3, "image/jpeg") is None
    assert storage.read_frame(key, 3, "image/jpeg") == fragments[3]
    ingest.pullback_write_frame_files(pullback_pk=pullback.pk)
    # Now byte for byte the same again as files (issue 13); the cached index notices them.
    assert names_under(pullback) == ["frames.files", "frames.idx", "source.dcm"]
    files = storage.pullback_dir(pullback) / storage.FRAME_FILES_NAME
    # Each frame, and the frames again as aligned batches (here one: 6 frames < 64).
    assert sorted(p.name for p in files.iterdir()) == sorted(
        [f"{n}.jpg" for n in range(FRAMES)] + ["batch-0-64.bin"]
    )
    assert [(files / f"{n}.jpg").read_bytes() for n in range(FRAMES)] == fragments
    assert (files / "batch-0-64.bin").read_bytes() == b"".join(
        storage.batch_body(list(enumerate(fragments)))
    )
    assert storage.frame_proxy_path(key, 3, "image/jpeg") == f"{key}/frames.files/3.jpg"
    index = storage.frame_index(key)
    assert index is not None and index.data_path == str(storage.source_path(pullback))
    source = storage.source_path(pullback).read_bytes()
    for n, (offset, length) in enumerate(index.entries):
        assert source[offset : offset + length] == fragments[n]
        assert storage.read_frame(key, n, "image/jpeg") == fragments[n]
    assert storage.read_frames(key, 0, FRAMES, "image/jpeg") == fragments
    assert storage.read_frames(key, 2, 5, "image/jpeg") == fragments[2:5]
    assert storage.read_frame(key, FRAMES, "image/jpeg") is None
    # The stored file is still a valid, de-identified DICOM with the same pixel data.
    stored = pydicom.dcmread(storage.source_path(pullback))
    assert list(generate_frames(stored.PixelData, number_of_frames=FRAMES)) == fragments
    assert str(stored.PatientName) == "S-0007"


@pytest.mark.parametrize("encoding", ["jpeg_baseline", "explicit_little"])
def test_the_pixel_data_written_from_its_bytes_is_what_pydicom_writes(
    tmp_path: Path, encoding: str
) -> None:
    """``write_dicom_pixels_last`` (the frames straight from memory) writes the same bytes as
    pydicom and says where the frames start; native pixel data is left to pydicom."""
    path = tmp_path / "in.dcm"
    make_synthetic_pullback(path, n_frames=FRAMES, rows=SIZE, columns=SIZE, encoding=encoding)
    ds = pydicom.dcmread(path)
    deidentify(ds, subject_code="S-0007", key=b"key")
    expected = io.BytesIO()
    write_dicom(ds, expected)
    start = write_dicom_pixels_last(ds, tmp_path / "out.dcm")
    if encoding == "explicit_little":
        assert start is None and not (tmp_path / "out.dcm").exists()
        return
    written = (tmp_path / "out.dcm").read_bytes()
    assert written == expected.getvalue()
    fragments = encapsulated_fragments(ds.PixelData)
    assert [written[start + o : start + o + n] for o, n in fragments] == fragments_of(path)


def _layouts(tmp_path: Path) -> dict[str, Path]:
    """The usual JPEG layout and others that must not be mapped (module ``inspect``)."""
    src = jpeg_file(tmp_path)
    fragments = fragments_of(src)
    out = {"usual": src}
    for name, table, per_frame, tail in [
        ("no offset table", False, 1, b""),
        ("two fragments per frame", True, 2, b""),
        ("trailing padding element", True, 1, b"\xfc\xff\xfc\xffOB\x00\x00\x04\x00\x00\x00abcd"),
    ]:
        ds = pydicom.dcmread(src)
        ds.PixelData = encapsulate(fragments, fragments_per_frame=per_frame, has_bot=table)
        path = tmp_path / f"{name}.dcm"
        ds.save_as(path, enforce_file_format=False)
        path.write_bytes(path.read_bytes() + tail)
        out[name] = path
    return out


def test_the_usual_jpeg_layout_is_mapped_and_checked_like_a_full_read(tmp_path: Path) -> None:
    """A JPEG-baseline file whose items fill it up to its last delimiter, one fragment per
    frame, is mapped instead of read (``MappedPixels``); every other layout is read by
    pydicom as before. Either way the same frames come out of the same checks."""
    expected = fragments_of(jpeg_file(tmp_path))
    mapped = {}
    for name, path in _layouts(tmp_path).items():
        inspected = inspect_file(path, limits=Limits())
        mapped[name] = inspected.mapped is not None
        try:
            assert pixels.source_frames(inspected) == expected, name
        finally:
            inspected.close()
    assert mapped == {
        "usual": True,
        "no offset table": True,
        "two fragments per frame": False,
        "trailing padding element": False,
    }


def test_a_mapped_file_with_a_bad_offset_table_goes_the_full_way_and_is_refused(
    tmp_path: Path,
) -> None:
    src = jpeg_file(tmp_path)
    ds = pydicom.dcmread(src)
    data = bytearray(ds.PixelData)
    data[8:12], data[12:16] = data[12:16], data[8:12]  # the first two offsets swapped
    ds.PixelData = bytes(data)
    path = tmp_path / "bad-table.dcm"
    ds.save_as(path, enforce_file_format=False)
    with pytest.raises(DicomRefused) as refused:
        inspect_file(path, limits=Limits())
    assert refused.value.code == "truncated" and "not increasing" in refused.value.message


def test_a_reencoded_source_gets_one_frames_file_and_an_index(
    world: Any, media: Path, tmp_path: Path
) -> None:
    path = tmp_path / "raw.dcm"
    make_synthetic_pullback(path, n_frames=FRAMES, rows=SIZE, columns=SIZE)
    pullback = upload_and_ingest(world, path)
    assert pullback.status == "ready", pullback.error
    assert names_under(pullback) == ["frames.bin", "frames.files", "frames.idx", "source.dcm"]
    key = str(pullback.storage_key)
    frames = [storage.read_frame(key, n, "image/jpeg") for n in range(FRAMES)]
    for data in frames:
        assert data is not None
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (SIZE, SIZE)
    assert storage.read_frames(key, 0, FRAMES, "image/jpeg") == frames
    assert b"".join(frames) == (storage.pullback_dir(pullback) / "frames.bin").read_bytes()
    files = storage.pullback_dir(pullback) / storage.FRAME_FILES_NAME
    assert [(files / f"{n}.jpg").read_bytes() for n in range(FRAMES)] == frames


def test_several_fragments_per_frame_are_joined_byte_for_byte(
    world: Any, media: Path, tmp_path: Path
) -> None:
    src = jpeg_file(tmp_path)
    fragments = fragments_of(src)
    ds = pydicom.dcmread(src)
    ds.PixelData = encapsulate(fragments, fragments_per_frame=2, has_bot=True)
    path = tmp_path / "split.dcm"
    ds.save_as(path, enforce_file_format=False)
    assert len(encapsulated_fragments(pydicom.dcmread(path).PixelData)) == 2 * FRAMES
    pullback = upload_and_ingest(world, path)
    assert pullback.status == "ready", pullback.error
    # Rewritten frames are re-encapsulated one fragment per frame, so they are served from
    # source.dcm like any other JPEG-baseline source (Pillow's frames hold nothing to drop).
    assert names_under(pullback) == ["frames.files", "frames.idx", "source.dcm"]
    key = str(pullback.storage_key)
    assert [storage.read_frame(key, n, "image/jpeg") for n in range(FRAMES)] == fragments


def test_frames_are_read_only_through_the_index(media: Path) -> None:
    # Issue 15: the pre-release one-file-per-frame layout is gone; a pullback without
    # frames.idx has no frames to serve, one with it is read through it.
    key = "0b7c1c9e-0000-4000-8000-000000000001"
    assert storage.read_frame(key, 0, "image/jpeg") is None
    assert storage.read_frames(key, 0, 1, "image/jpeg") is None
    write_frames(key, [b"\xff\xd8frame%d\xff\xd9" % n for n in range(3)])
    assert storage.read_frame(key, 1, "image/jpeg") == b"\xff\xd8frame1\xff\xd9"
    assert storage.read_frames(key, 0, 3, "image/jpeg") == [
        b"\xff\xd8frame%d\xff\xd9" % n for n in range(3)
    ]
    assert storage.read_frame(key, 3, "image/jpeg") is None
    assert storage.read_frames(key, 0, 4, "image/jpeg") is None  # a frame is missing


def test_batched_reads_of_small_adjacent_frames_group_into_runs() -> None:
    small = [(100, 10), (118, 10), (136, 10), (1000, 10)]  # 8-byte item headers between
    assert storage._runs(small) == [[0, 1, 2], [3]]
    big = [(0, 200_000), (200_008, 200_000)]
    assert storage._runs(big) == [[0], [1]]  # large frames: one pread each, no re-slicing


def test_a_broken_index_is_refused_rather_than_misread(media: Path) -> None:
    with pytest.raises(ValueError):
        storage.FrameIndex.parse("/x", b"NOTANIDX" + b"\0" * 8)
    good = storage.frame_index_bytes([(10, 5), (20, 5)], in_source=True)
    assert storage.FrameIndex.parse("/x", good).entries == ((10, 5), (20, 5))
    with pytest.raises(ValueError):
        storage.FrameIndex.parse("/x", good[:-1])


# ------------------------------------------------------------------------------------------
# Structural JPEG checks
# ------------------------------------------------------------------------------------------


@pytest.fixture
def fragment(tmp_path: Path) -> bytes:
    return fragments_of(jpeg_file(tmp_path))[0]


def problem(data: bytes, rows: int = SIZE, columns: int = SIZE, components: int = 1) -> Any:
    return jpeg_structure_problem(data, rows=rows, columns=columns, components=components)


def segment_at(data: bytes, marker: int) -> int:
    """Offset of the first marker segment ``0xFF marker`` (walking segments, not scanning)."""
    pos = 2
    while True:
        assert data[pos] == 0xFF
        if data[pos + 1] == marker:
            return pos
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]


def test_a_well_formed_fragment_passes_with_or_without_even_length_padding(
    fragment: bytes,
) -> None:
    body = fragment[:-1] if fragment.endswith(b"\xff\xd9\x00") else fragment
    assert problem(body) is None
    assert problem(body + b"\x00") is None


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d[2:], "no SOI"),
        (lambda d: d[: len(d) // 2], "EOI"),
        (lambda d: d.rstrip(b"\x00")[:-2] + b"\x00\x00", "EOI"),
        (lambda d: b"\xff\xd8" + b"\x00" * 400 + d[402:], "malformed"),
    ],
    ids=["no-soi", "cut-in-half", "no-eoi", "headers-wiped"],
)
def test_broken_streams_are_named(fragment: bytes, mutate: Any, reason: str) -> None:
    assert reason in problem(mutate(fragment))


def test_the_frame_header_must_match_the_declared_size_and_components(fragment: bytes) -> None:
    assert "64×64 pixels but the header declares 65×64" in problem(fragment, columns=65)
    assert "declares 64×32" in problem(fragment, rows=32)
    assert "1 components but the photometric interpretation needs 3" in problem(
        fragment, components=3
    )


def test_progressive_or_lossless_jpeg_is_not_baseline(fragment: bytes) -> None:
    sof = segment_at(fragment, 0xC0)
    for marker in (0xC2, 0xC3):
        changed = fragment[: sof + 1] + bytes([marker]) + fragment[sof + 2 :]
        assert "not sequential 8-bit JPEG" in problem(changed)


def test_a_scan_before_the_frame_header_or_an_undefined_table_is_refused(fragment: bytes) -> None:
    sof = segment_at(fragment, 0xC0)
    sof_end = sof + 2 + struct.unpack_from(">H", fragment, sof + 2)[0]
    no_sof = fragment[:sof] + fragment[sof_end:]
    assert "scan before the frame header" in problem(no_sof)
    dqt = segment_at(fragment, 0xDB)
    dqt_end = dqt + 2 + struct.unpack_from(">H", fragment, dqt + 2)[0]
    no_dqt = fragment[:dqt] + fragment[dqt_end:]
    assert "quantisation table is used but not defined" in problem(no_dqt)


def test_a_segment_running_past_the_end_is_refused(fragment: bytes) -> None:
    dqt = segment_at(fragment, 0xDB)
    changed = fragment[: dqt + 2] + b"\xff\xf0" + fragment[dqt + 4 :]
    assert "runs past the end" in problem(changed)


# ------------------------------------------------------------------------------------------
# Ingest: structural check of every frame, decode of a sample (the documented trade-off)
# ------------------------------------------------------------------------------------------


def with_frame_replaced(src: Path, dst: Path, n: int, change: Any) -> None:
    ds = pydicom.dcmread(src)
    frames = list(generate_frames(ds.PixelData, number_of_frames=FRAMES))
    frames[n] = change(frames[n])
    ds.PixelData = encapsulate(frames)
    ds.save_as(dst, enforce_file_format=False)


def scrambled_scan(data: bytes) -> bytes:
    """The entropy-coded data of the scan replaced by bytes no Huffman table decodes, every
    marker around it intact (structurally the frame is fine)."""
    sos = segment_at(data, 0xDA)
    scan = sos + 2 + struct.unpack_from(">H", data, sos + 2)[0]
    end = data.rindex(b"\xff\xd9")
    return data[:scan] + b"\xff\x00" * ((end - scan) // 2) + data[end:]


def bogus_huffman_table(data: bytes) -> bytes:
    """A first Huffman table whose code lengths over-subscribe the code space (two more
    1-bit codes): well-formed segments, but no decoder can build the table."""
    dht = segment_at(data, 0xC4)
    counts = bytearray(data[dht + 5 : dht + 21])
    longer = next(i for i in range(1, 16) if counts[i] >= 2)
    counts[0] += 2
    counts[longer] -= 2
    return data[: dht + 5] + bytes(counts) + data[dht + 21 :]


def test_a_frame_of_the_wrong_size_in_the_middle_is_refused_at_ingest(
    world: Any, media: Path, tmp_path: Path
) -> None:
    src = jpeg_file(tmp_path)
    bad = tmp_path / "bad.dcm"
    big = tmp_path / "big64x80.dcm"
    make_synthetic_pullback(big, n_frames=1, rows=SIZE, columns=SIZE + 16, encoding="jpeg_baseline")
    other = list(generate_frames(pydicom.dcmread(big).PixelData, number_of_frames=1))[0]
    with_frame_replaced(src, bad, 3, lambda _: other)
    pullback = upload_and_ingest(world, bad)
    assert pullback.status == "failed"
    assert "Frame 3" in pullback.error and "80×64 pixels" in pullback.error
    assert not storage.pullback_dir(pullback).exists()


def test_an_undecodable_frame_outside_the_decoded_sample_is_accepted_as_documented(
    world: Any, media: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    src = jpeg_file(tmp_path)
    bad = tmp_path / "bogus.dcm"
    with_frame_replaced(src, bad, 2, bogus_huffman_table)
    assert (
        jpeg_structure_problem(fragments_of(bad)[2], rows=SIZE, columns=SIZE, components=1) is None
    )
    monkeypatch.setattr(pixels, "decode_sample", lambda n: {4})  # frame 2 not sampled
    pullback = upload_and_ingest(world, bad)
    assert pullback.status == "ready", pullback.error  # the trade-off: not decoded, accepted


def test_an_undecodable_frame_in_the_decoded_sample_is_refused(
    world: Any, media: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    src = jpeg_file(tmp_path)
    bad = tmp_path / "bogus.dcm"
    with_frame_replaced(src, bad, 2, bogus_huffman_table)
    monkeypatch.setattr(pixels, "decode_sample", lambda n: {2})
    pullback = upload_and_ingest(world, bad)
    assert pullback.status == "failed"
    assert "Frame 2" in pullback.error
    assert not storage.pullback_dir(pullback).exists()


def test_damage_inside_a_scan_is_refused_when_decoded(
    world: Any, media: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    """libjpeg only *warns* on corrupt scan data (it fills the rest grey); the sample is
    decoded with warnings as errors (issue 12), so a sampled frame like this is refused."""
    src = jpeg_file(tmp_path)
    bad = tmp_path / "scrambled.dcm"
    with_frame_replaced(src, bad, 2, scrambled_scan)
    monkeypatch.setattr(pixels, "decode_sample", lambda n: set(range(n)))
    pullback = upload_and_ingest(world, bad)
    assert pullback.status == "failed" and "Frame 2" in pullback.error


def test_damage_inside_a_scan_outside_the_sample_is_accepted_as_documented(
    world: Any, media: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    src = jpeg_file(tmp_path)
    bad = tmp_path / "scrambled.dcm"
    with_frame_replaced(src, bad, 2, scrambled_scan)
    monkeypatch.setattr(pixels, "decode_sample", lambda n: {0, n - 1})
    assert upload_and_ingest(world, bad).status == "ready"


def test_the_decode_sample_is_random_and_always_has_first_and_last() -> None:
    picks = [pixels.decode_sample(540) for _ in range(20)]
    assert all(len(p) == pixels.DECODE_SAMPLE + 2 and {0, 539} <= p for p in picks)
    assert len({frozenset(p) for p in picks}) > 1
    assert pixels.decode_sample(2) == {0, 1} and pixels.decode_sample(1) == {0}


def test_fragment_table_refuses_a_malformed_item_sequence() -> None:
    good = encapsulate([b"\xff\xd8ab\xff\xd9", b"\xff\xd8cd\xff\xd9"], has_bot=True)
    assert [length for _, length in encapsulated_fragments(good)] == [6, 6]
    with pytest.raises(DicomRefused):
        encapsulated_fragments(good[:-3])
    with pytest.raises(DicomRefused):
        encapsulated_fragments(b"\x00" * 8 + good[8:])


# ------------------------------------------------------------------------------------------
# Duplicates are refused from the header
# ------------------------------------------------------------------------------------------


def test_a_duplicate_is_refused_before_its_pixel_data_is_read(
    world: Any, media: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    path = jpeg_file(tmp_path)
    assert upload_and_ingest(world, path).status == "ready"
    full_reads: list[bool] = []
    real = inspect_module.pydicom.dcmread

    def spy(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("stop_before_pixels"):
            full_reads.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(inspect_module.pydicom, "dcmread", spy)
    second = upload_and_ingest(world, path)
    assert second.status == "failed" and "Duplicate" in second.error
    assert full_reads == []


def test_inspect_calls_the_header_hook_before_the_full_read(tmp_path: Path) -> None:
    path = jpeg_file(tmp_path)
    seen: list[str] = []

    def hook(header: Any) -> None:
        assert "PixelData" not in header
        seen.append(str(header.SOPInstanceUID))

    inspected = inspect_file(path, limits=Limits(), on_header=hook)
    assert seen == [inspected.sop_instance_uid]
