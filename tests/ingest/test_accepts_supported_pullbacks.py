"""Every accepted encoding / SOP class / photometric round-trips through inspect + render."""

from __future__ import annotations

import io
import json

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import generate_frames
from pydicom.pixels import get_encoder

from adjudication.dicom.inspect import Limits, inspect_file
from adjudication.dicom.render import iter_frame_images
from adjudication.dicom.synthetic import ENCODINGS, make_synthetic_pullback

N_FRAMES = 6
SIZE = 96


def _encoder_missing(encoding: str) -> bool:
    if encoding in ("explicit_little", "implicit_little", "jpeg_baseline"):
        return False
    return not get_encoder(ENCODINGS[encoding]).is_available


def _round_trip(path, n_frames=N_FRAMES, rows=SIZE, columns=SIZE):
    inspected = inspect_file(path, limits=Limits())
    assert (inspected.n_frames, inspected.rows, inspected.columns) == (n_frames, rows, columns)
    frames = list(iter_frame_images(inspected))
    assert [index for index, _, _ in frames] == list(range(n_frames))
    for _, data, content_type in frames:
        assert content_type == "image/jpeg"
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (columns, rows)
            image.load()
    return inspected, frames


@pytest.mark.parametrize(
    ("encoding", "photometric", "bits"),
    [
        ("explicit_little", "MONOCHROME2", 8),
        ("implicit_little", "MONOCHROME2", 8),
        ("explicit_little", "MONOCHROME2", 16),
        ("explicit_little", "RGB", 8),
        ("explicit_little", "YBR_FULL", 8),
        ("explicit_little", "YBR_FULL_422", 8),
        ("jpeg_baseline", "MONOCHROME2", 8),
        ("jpeg_baseline", "RGB", 8),
        ("rle", "MONOCHROME2", 8),
        ("rle", "MONOCHROME2", 16),
        ("rle", "RGB", 8),
        ("jpeg2000", "MONOCHROME2", 8),
        ("jpeg2000_lossless", "MONOCHROME2", 16),
        ("jpeg2000_lossless", "RGB", 8),
        ("jpegls", "MONOCHROME2", 8),
        ("jpegls_near", "MONOCHROME2", 8),
    ],
)
def test_it_round_trips_each_encoding(tmp_path, encoding, photometric, bits):
    if _encoder_missing(encoding):
        pytest.skip(f"no {encoding} encoder installed here")
    path = tmp_path / "pullback.dcm"
    make_synthetic_pullback(
        path,
        n_frames=N_FRAMES,
        rows=SIZE,
        columns=SIZE,
        encoding=encoding,
        photometric=photometric,
        bits_allocated=bits,
    )
    inspected, _ = _round_trip(path)
    assert inspected.transfer_syntax_uid == ENCODINGS[encoding]


@pytest.mark.parametrize(
    "sop_class",
    ["ivoct_presentation", "ivoct_processing", "sc_byte", "sc_word", "sc_color", "us_multiframe"],
)
def test_it_accepts_each_listed_sop_class(tmp_path, sop_class):
    path = tmp_path / "pullback.dcm"
    photometric = "RGB" if sop_class == "sc_color" else "MONOCHROME2"
    bits = 16 if sop_class == "sc_word" else 8
    make_synthetic_pullback(
        path,
        n_frames=3,
        rows=64,
        columns=80,
        sop_class=sop_class,
        photometric=photometric,
        bits_allocated=bits,
    )
    inspected, _ = _round_trip(path, n_frames=3, rows=64, columns=80)
    assert inspected.sop_class_uid == pydicom.dcmread(path).SOPClassUID


def test_it_passes_jpeg_baseline_frames_through_unchanged(tmp_path):
    # Re-encoding lossy frames would add a second generation of artefacts.
    path = tmp_path / "jpeg.dcm"
    make_synthetic_pullback(path, n_frames=5, rows=SIZE, columns=SIZE, encoding="jpeg_baseline")
    fragments = list(generate_frames(pydicom.dcmread(path).PixelData, number_of_frames=5))
    _, frames = _round_trip(path, n_frames=5)
    assert [data for _, data, _ in frames] == fragments


def test_it_windows_16_bit_grayscale_to_the_full_8_bit_range(tmp_path):
    path = tmp_path / "word.dcm"
    make_synthetic_pullback(path, n_frames=4, rows=SIZE, columns=SIZE, bits_allocated=16)
    _, frames = _round_trip(path, n_frames=4)
    arrays = [np.asarray(Image.open(io.BytesIO(data))) for _, data, _ in frames]
    assert min(int(a.min()) for a in arrays) <= 3
    assert max(int(a.max()) for a in arrays) >= 250


def test_it_describes_the_file_it_accepted(tmp_path):
    path = tmp_path / "pullback.dcm"
    truth = make_synthetic_pullback(path, n_frames=4, rows=64, columns=64)
    inspected = inspect_file(path, limits=Limits())
    assert inspected.sop_instance_uid == truth["sop_instance_uid"]
    assert inspected.photometric == "MONOCHROME2"
    assert inspected.calibration_tags["shared_pixel_spacing"] == [0.01, 0.01]
    # Not de-identified yet: the service does that next, with the subject code.
    assert str(inspected.dataset.PatientName) == "DOE^JANE"


def test_it_writes_ground_truth_usable_as_an_annotation_document(tmp_path):
    truth = make_synthetic_pullback(tmp_path / "p.dcm", n_frames=40, rows=256, columns=256)
    json.dumps(truth)  # must be JSON-serialisable as is
    stent = truth["stent"]
    assert 0 <= stent["distal_frame"] < stent["proximal_frame"] < 40
    assert len(truth["frames"]) == 40
    for key, frame in truth["frames"].items():
        assert len(frame["lumen"]) == 64
        assert frame["lumen_area_mm2"] > 0
        in_stent = stent["distal_frame"] <= int(key) <= stent["proximal_frame"]
        assert bool(frame.get("struts")) == in_stent
    calcified = [
        f
        for seg in truth["calcium_segments"]
        for f in range(seg["start_frame"], seg["end_frame"] + 1)
    ]
    assert calcified
    for f in calcified:
        frame = truth["frames"][str(f)]
        assert 0 < frame["calcium_arc_deg"] < 360
        assert frame["calcium_thickness_mm"] > 0
        assert len(frame["calcium"][0]["arc"]) == 2
    malapposed = [f for f in truth["frames"].values() if f.get("malapposed_strut_count")]
    assert malapposed and all(f["max_malapposition_um"] > 100 for f in malapposed)
    # The stenosis is in the middle: the smallest lumen is far from both ends.
    areas = [truth["frames"][str(i)]["lumen_area_mm2"] for i in range(40)]
    assert 10 < int(np.argmin(areas)) < 30


def test_it_generates_the_same_pullback_for_the_same_seed(tmp_path):
    a = make_synthetic_pullback(tmp_path / "a.dcm", n_frames=3, rows=64, columns=64, seed=7)
    b = make_synthetic_pullback(tmp_path / "b.dcm", n_frames=3, rows=64, columns=64, seed=7)
    assert a == b
    assert (tmp_path / "a.dcm").read_bytes() == (tmp_path / "b.dcm").read_bytes()
