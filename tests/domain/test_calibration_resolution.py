"""Calibration resolution order and refusals (SPEC §3)."""

from __future__ import annotations

import math

import pytest

from adjudication.domain.calibration import resolve_calibration
from adjudication.domain.errors import CalibrationInvalid, FieldError

ALL_PIXEL_TAGS = {
    "shared_pixel_spacing": [0.01, 0.011],
    "per_frame_pixel_spacing": [0.02, 0.021],
    "pixel_spacing": [0.03, 0.031],
    "imager_pixel_spacing": [0.04, 0.041],
}


def _resolve(tags: dict, speed: float = 20.0, default: float = 20 / 180):
    return resolve_calibration(tags, pullback_speed_mm_s=speed, default_frame_spacing_mm=default)


@pytest.mark.parametrize(
    ("missing", "expected", "source"),
    [
        ((), (0.01, 0.011), "pixel_measures_shared"),
        (("shared_pixel_spacing",), (0.02, 0.021), "pixel_measures_per_frame"),
        (("shared_pixel_spacing", "per_frame_pixel_spacing"), (0.03, 0.031), "pixel_spacing"),
        (
            ("shared_pixel_spacing", "per_frame_pixel_spacing", "pixel_spacing"),
            (0.04, 0.041),
            "imager_pixel_spacing",
        ),
        (tuple(ALL_PIXEL_TAGS), None, "none"),
    ],
)
def test_it_takes_pixel_spacing_from_the_first_source_in_spec_order(
    missing: tuple, expected: tuple | None, source: str
) -> None:
    tags = {k: (None if k in missing else v) for k, v in ALL_PIXEL_TAGS.items()}
    calibration = _resolve(tags)
    assert calibration.pixel_spacing_mm == expected
    assert calibration.pixel_spacing_source == source


FRAME_TAGS = {
    "longitudinal_distances_mm": [0.0, 0.1, 0.2, 0.35, 0.4],
    "frame_time_ms": 5.0,
    "cine_rate_fps": 100.0,
}


@pytest.mark.parametrize(
    ("missing", "expected_mm", "source"),
    [
        # median of |steps| 0.1, 0.1, 0.15, 0.05 is 0.1 (one odd frame does not matter)
        ((), 0.1, "longitudinal_distance"),
        (("longitudinal_distances_mm",), 20.0 * 5.0 / 1000, "frame_time"),
        (("longitudinal_distances_mm", "frame_time_ms"), 20.0 / 100.0, "cine_rate"),
        (tuple(FRAME_TAGS), 20 / 180, "study_default"),
    ],
)
def test_it_takes_frame_spacing_from_the_first_source_in_spec_order(
    missing: tuple, expected_mm: float, source: str
) -> None:
    tags = {k: (None if k in missing else v) for k, v in FRAME_TAGS.items()}
    calibration = _resolve(tags)
    assert calibration.frame_spacing_mm == pytest.approx(expected_mm)
    assert calibration.frame_spacing_source == source


def test_it_records_both_sources_in_one_string() -> None:
    calibration = _resolve({"pixel_spacing": [0.01, 0.01]})
    assert calibration.calibration_source == "pixel_spacing; study_default"


def test_it_ignores_longitudinal_distances_of_a_single_frame() -> None:
    calibration = _resolve({"longitudinal_distances_mm": [3.0], "cine_rate_fps": 180.0})
    assert calibration.frame_spacing_source == "cine_rate"


def test_it_accepts_decreasing_longitudinal_distances() -> None:
    calibration = _resolve({"longitudinal_distances_mm": [54.0, 53.8, 53.6]})
    assert calibration.frame_spacing_mm == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("tags", "field"),
    [
        ({"shared_pixel_spacing": [0.0, 0.01]}, "shared_pixel_spacing"),
        ({"per_frame_pixel_spacing": [-0.01, 0.01]}, "per_frame_pixel_spacing"),
        ({"pixel_spacing": [math.nan, 0.01]}, "pixel_spacing"),
        ({"pixel_spacing": [math.inf, 0.01]}, "pixel_spacing"),
        ({"pixel_spacing": ["0.01", 0.01]}, "pixel_spacing"),
        ({"pixel_spacing": [0.01]}, "pixel_spacing"),
        ({"pixel_spacing": 0.01}, "pixel_spacing"),
        ({"imager_pixel_spacing": [True, 0.01]}, "imager_pixel_spacing"),
        ({"longitudinal_distances_mm": [1.0, 1.0, 1.0]}, "longitudinal_distances_mm"),
        ({"longitudinal_distances_mm": [1.0, "x"]}, "longitudinal_distances_mm"),
        ({"frame_time_ms": 0.0}, "frame_time_ms"),
        ({"cine_rate_fps": -5.0}, "cine_rate_fps"),
    ],
)
def test_it_refuses_an_unusable_calibration_tag_naming_it(tags: dict, field: str) -> None:
    # A broken header must never silently fall through to another (wrong) calibration.
    with pytest.raises(CalibrationInvalid) as caught:
        _resolve(tags)
    assert caught.value.field == field
    assert caught.value.code == "calibration_invalid"
    assert isinstance(caught.value, FieldError)
