"""calibration_tags finds spacing wherever the generator (and real writers) put it (SPEC §3)."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.dicom.tags import calibration_tags

SPACING_KEYS = {
    "shared_functional_group": "shared_pixel_spacing",
    "per_frame_functional_group": "per_frame_pixel_spacing",
    "pixel_spacing": "pixel_spacing",
}


@pytest.mark.parametrize("location", [*SPACING_KEYS, "none"])
def test_it_reads_pixel_spacing_from_each_location(tmp_path, location):
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(
        path, n_frames=4, rows=64, columns=64, pixel_spacing_mm=0.0098, spacing_location=location
    )
    tags = calibration_tags(pydicom.dcmread(path))
    for loc, key in SPACING_KEYS.items():
        assert tags[key] == ([0.0098, 0.0098] if loc == location else None)
    assert tags["imager_pixel_spacing"] is None


def test_it_reads_longitudinal_distances_and_frame_timing(tmp_path):
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(path, n_frames=5, rows=64, columns=64, frame_spacing_mm=0.1)
    tags = calibration_tags(pydicom.dcmread(path))
    assert tags["longitudinal_distances_mm"] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    # 0.1 mm/frame at 20 mm/s is 200 frames/s, 5 ms per frame.
    assert tags["frame_time_ms"] == pytest.approx(5.0)
    assert tags["cine_rate_fps"] == pytest.approx(200.0)


def test_it_reports_none_without_frame_spacing(tmp_path):
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(path, n_frames=3, rows=64, columns=64, frame_spacing_mm=None)
    tags = calibration_tags(pydicom.dcmread(path))
    assert tags["longitudinal_distances_mm"] is None
    assert tags["frame_time_ms"] is None
    assert tags["cine_rate_fps"] is None


def test_it_tolerates_the_distance_inside_the_oct_frame_content_sequence():
    ds = Dataset()
    items = []
    for distance in (1.0, 1.2):
        content = Dataset()
        content.IntravascularLongitudinalDistance = distance
        item = Dataset()
        item.IntravascularOCTFrameContentSequence = Sequence([content])
        items.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(items)
    assert calibration_tags(ds)["longitudinal_distances_mm"] == [1.0, 1.2]


def _raw(ds: Dataset, tag: int, value: bytes) -> None:
    # As read from a file: pydicom converts (and may fail) only on access.
    ds[tag] = RawDataElement(Tag(tag), "DS", len(value), value, 0, False, True)


def test_it_returns_non_numeric_values_raw_for_the_resolver_to_refuse():
    ds = Dataset()
    _raw(ds, 0x00280030, b"0.01mm\\0.01")
    _raw(ds, 0x00181164, b"0.02")  # wrong multiplicity: raw text
    _raw(ds, 0x00181063, b"fast")
    tags = calibration_tags(ds)
    assert tags["pixel_spacing"] == ["0.01mm", 0.01]
    assert tags["imager_pixel_spacing"] == "0.02"
    assert tags["frame_time_ms"] == "fast"


def test_it_does_not_judge_positivity():
    ds = Dataset()
    ds.PixelSpacing = [0, -0.01]
    assert calibration_tags(ds)["pixel_spacing"] == [0.0, -0.01]
