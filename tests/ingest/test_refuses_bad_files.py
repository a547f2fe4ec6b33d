"""Every refusal names a machine-readable code (SPEC §8: refused with a clear reason)."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.uid import JPEGExtended12Bit

from adjudication.dicom import inspect as inspect_module
from adjudication.dicom.inspect import DicomRefused, Limits, inspect_file
from adjudication.dicom.pixels import clean_frames
from adjudication.dicom.synthetic import (
    make_synthetic_pullback,
)
from tests.broken_files import pixel_data_offset, rewrite_dataset, write_truncated


def _refused(path, limits=None) -> DicomRefused:
    with pytest.raises(DicomRefused) as info:
        inspect_file(path, limits=limits or Limits())
    assert info.value.message  # a coordinator-readable reason, never empty
    return info.value


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.dcm"
    make_synthetic_pullback(path, n_frames=5, rows=64, columns=64)
    return path


def test_it_refuses_an_empty_file(tmp_path):
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    assert _refused(path).code == "not_dicom"


def test_it_refuses_a_text_file(tmp_path):
    path = tmp_path / "notes.dcm"
    path.write_text("Patient DOE^JANE, LAD pullback\n" * 20)
    assert _refused(path).code == "not_dicom"


@pytest.mark.parametrize("keep", [140, 300, 700])
def test_it_refuses_a_truncated_header(tmp_path, good, keep):
    path = tmp_path / "short.dcm"
    write_truncated(good, path, keep)
    assert _refused(path).code == "truncated"


@pytest.mark.parametrize("encoding", ["explicit_little", "rle", "jpeg_baseline"])
def test_it_refuses_truncated_pixel_data(tmp_path, encoding):
    src, path = tmp_path / "src.dcm", tmp_path / "cut.dcm"
    make_synthetic_pullback(src, n_frames=5, rows=64, columns=64, encoding=encoding)
    write_truncated(src, path, -301)
    assert _refused(path).code == "truncated"


@pytest.mark.parametrize("encoding", ["explicit_little", "implicit_little", "rle", "jpeg_baseline"])
def test_it_refuses_more_declared_frames_than_pixel_data(tmp_path, encoding):
    src, path = tmp_path / "src.dcm", tmp_path / "more.dcm"
    make_synthetic_pullback(src, n_frames=5, rows=64, columns=64, encoding=encoding)
    rewrite_dataset(src, path, NumberOfFrames=8)
    assert _refused(path).code == "frame_count_mismatch"


def test_it_refuses_fewer_declared_frames_than_pixel_data(tmp_path, good):
    path = tmp_path / "fewer.dcm"
    rewrite_dataset(good, path, NumberOfFrames=3)
    assert _refused(path).code == "frame_count_mismatch"


@pytest.mark.parametrize("frames", [0, None])
def test_it_refuses_zero_or_missing_number_of_frames(tmp_path, good, frames):
    path = tmp_path / "zero.dcm"
    rewrite_dataset(good, path, NumberOfFrames=frames)
    assert _refused(path).code == "frame_count_mismatch"


def test_it_refuses_a_file_without_pixel_data(tmp_path, good):
    path = tmp_path / "nopixels.dcm"
    rewrite_dataset(good, path, PixelData=None)
    assert _refused(path).code == "no_pixel_data"


@pytest.mark.parametrize("bits", [12, 32, 1])
def test_it_refuses_unsupported_bits_allocated(tmp_path, good, bits):
    path = tmp_path / "bits.dcm"
    rewrite_dataset(good, path, BitsAllocated=bits, BitsStored=min(bits, 12), HighBit=0)
    assert _refused(path).code == "unsupported_bit_depth"


@pytest.mark.parametrize("photometric", ["MONOCHROME1", "PALETTE COLOR", "YBR_PARTIAL_420"])
def test_it_refuses_unsupported_photometric_interpretations(tmp_path, good, photometric):
    path = tmp_path / "photometric.dcm"
    rewrite_dataset(good, path, PhotometricInterpretation=photometric)
    assert _refused(path).code == "unsupported_photometric"


def test_it_refuses_a_single_frame_ct(tmp_path):
    path = tmp_path / "ct.dcm"
    make_synthetic_pullback(path, n_frames=1, rows=64, columns=64, sop_class="ct")
    refusal = _refused(path)
    assert refusal.code == "wrong_modality"
    assert "CT" in refusal.message


def test_it_refuses_pydicoms_own_ct_example(tmp_path):
    from pydicom.data import get_testdata_file

    assert _refused(get_testdata_file("CT_small.dcm")).code == "wrong_modality"


def test_it_refuses_an_unknown_sop_class(tmp_path, good):
    path = tmp_path / "unknown.dcm"
    rewrite_dataset(good, path, SOPClassUID="1.2.3.4.5.6.7")
    assert _refused(path).code == "unsupported_sop_class"


def test_it_refuses_an_unsupported_transfer_syntax(tmp_path):
    src, path = tmp_path / "src.dcm", tmp_path / "extended.dcm"
    make_synthetic_pullback(src, n_frames=3, rows=64, columns=64, encoding="jpeg_baseline")
    ds = pydicom.dcmread(src)
    ds.file_meta.TransferSyntaxUID = JPEGExtended12Bit
    ds.save_as(path, enforce_file_format=True)
    assert _refused(path).code == "unsupported_transfer_syntax"


def test_it_refuses_burned_in_annotation(tmp_path):
    path = tmp_path / "burned.dcm"
    make_synthetic_pullback(path, n_frames=3, rows=64, columns=64, burned_in_annotation=True)
    assert _refused(path).code == "burned_in_annotation"


def test_it_refuses_huge_declared_dimensions_before_reading_pixels(tmp_path, good, monkeypatch):
    # A decompression bomb: tiny file, enormous declared image. The full read (which would
    # load pixel data) must never happen.
    path = tmp_path / "bomb.dcm"
    rewrite_dataset(good, path, Rows=65535, Columns=65535, NumberOfFrames=9999)
    full_reads = []
    real = inspect_module.pydicom.dcmread

    def spy(*args, **kwargs):
        if not kwargs.get("stop_before_pixels"):
            full_reads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(inspect_module.pydicom, "dcmread", spy)
    assert _refused(path).code == "too_large"
    assert full_reads == []


def test_it_refuses_a_decoded_size_over_the_byte_budget(good):
    limits = Limits(max_decoded_bytes=64 * 64 * 4)
    assert _refused(good, limits).code == "too_large"


@pytest.mark.parametrize(
    "limits",
    [Limits(max_frames=4), Limits(max_rows=32), Limits(max_columns=32), Limits(max_bytes=1000)],
)
def test_it_refuses_files_over_the_configured_limits(good, limits):
    assert _refused(good, limits).code == "too_large"


def test_it_refuses_a_corrupt_middle_jpeg_frame_while_rendering(tmp_path):
    # inspect decodes the first and last frames only; pixels.clean_frames walks every frame.
    src, path = tmp_path / "src.dcm", tmp_path / "corrupt.dcm"
    make_synthetic_pullback(src, n_frames=5, rows=64, columns=64, encoding="jpeg_baseline")
    data = bytearray(src.read_bytes())
    start = pixel_data_offset(src)
    soi = [i for i in range(start, len(data) - 1) if data[i : i + 3] == b"\xff\xd8\xff"]
    middle = soi[2]
    data[middle + 2 : middle + 400] = b"\x00" * 398  # wipe the frame's headers
    path.write_bytes(bytes(data))
    inspected = inspect_file(path, limits=Limits())
    with pytest.raises(DicomRefused) as info:
        clean_frames(inspected)
    assert info.value.code == "truncated"
    assert "Frame 2" in info.value.message
