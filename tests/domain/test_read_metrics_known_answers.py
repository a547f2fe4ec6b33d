"""Per-read and per-frame metrics against tests/data/read_metrics_cases.json (SPEC §5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adjudication.domain.annotations import parse_document
from adjudication.domain.calibration import Calibration
from adjudication.domain.errors import CalibrationMissing
from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS
from adjudication.domain.metrics import ReadMetricsResult, compute_read_metrics
from adjudication.domain.settings import StudySettings

CASES = json.loads((Path(__file__).parents[1] / "data" / "read_metrics_cases.json").read_text())[
    "cases"
]


def _compute(case: dict) -> ReadMetricsResult:
    doc = parse_document(
        case["annotations"], n_frames=case["n_frames"], rows=case["rows"], columns=case["columns"]
    )
    calibration = Calibration(
        pixel_spacing_mm=tuple(case["pixel_spacing_mm"]),
        frame_spacing_mm=case["frame_spacing_mm"],
        pixel_spacing_source="manual",
        frame_spacing_source="manual",
    )
    return compute_read_metrics(
        doc,
        calibration=calibration,
        settings=StudySettings.from_dict(case["settings"]),
        n_frames=case["n_frames"],
    )


def _assert_same(actual: object, expected: object, tol: float, where: str) -> None:
    if expected is None or isinstance(expected, bool):
        # None must stay None (never 0) and booleans must be real booleans.
        assert actual is expected, where
    elif isinstance(expected, int):
        assert actual == expected and isinstance(actual, int), where
    else:
        assert actual == pytest.approx(expected, abs=tol), where


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_it_computes_the_hand_computed_metrics(case: dict) -> None:
    result = _compute(case)
    expected = case["expected"]
    for name, value in expected["values"].items():
        _assert_same(result.values[name], value, case["abs_tol"], f"{case['name']}: {name}")
    for frame, values in expected["frames"].items():
        for name, value in values.items():
            _assert_same(
                result.frames[int(frame)][name], value, case["abs_tol"], f"frame {frame}: {name}"
            )
    if "analysis_frames" in expected:
        assert result.analysis_frames == expected["analysis_frames"]


@pytest.mark.parametrize("case", CASES[:3], ids=[c["name"] for c in CASES[:3]])
def test_it_returns_every_catalogue_metric_for_the_read_and_each_annotated_frame(
    case: dict,
) -> None:
    result = _compute(case)
    assert set(result.values) == {m.name for m in READ_METRICS}
    assert set(result.frames) == {int(k) for k in case["annotations"]["frames"]}
    for values in result.frames.values():
        assert set(values) == {m.name for m in FRAME_METRICS}


def test_it_refuses_mm_metrics_without_a_pixel_spacing() -> None:
    doc = parse_document({"frames": {"1": {"lumen": [[0, 0], [10, 0], [10, 10]]}}})
    calibration = Calibration(None, 0.1111, "none", "study_default")
    with pytest.raises(CalibrationMissing):
        compute_read_metrics(doc, calibration=calibration, settings=StudySettings(), n_frames=10)


def test_it_follows_the_study_strut_threshold() -> None:
    # A strut 200 µm off the wall is malapposed at the default 100 µm but not at a 250 µm device.
    case = next(c for c in CASES if c["name"].startswith("strut_malapposition"))
    thick_device = {**case, "settings": {"strut_threshold_um": 250.0}}
    assert _compute(case).values["malapposed_strut_count"] == 1
    assert _compute(thick_device).values["malapposed_strut_count"] == 0
    assert _compute(thick_device).values["max_malapposition_um"] == 0.0
