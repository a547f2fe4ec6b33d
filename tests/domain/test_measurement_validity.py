"""Issue 11's four computation errors, with the issue's own numbers (SPEC §5).

Each test builds the read the domain review described and checks the metric the corrected
definition gives; the old (wrong) value is named in a comment so a regression is recognisable.
"""

from __future__ import annotations

import math

import pytest

from adjudication.domain.annotations import parse_document
from adjudication.domain.calibration import Calibration
from adjudication.domain.frames import analysis_frames, sampling_step_frames
from adjudication.domain.metrics import ReadMetricsResult, compute_read_metrics
from adjudication.domain.settings import StudySettings

PX_MM = 0.01  # 10 µm pixels
CENTRE_PX = 250.0
FRAME_SPACING_MM = 0.1111


def _circle(radius_mm: float, n: int, phase: float = 0.0) -> list[list[float]]:
    r = radius_mm / PX_MM
    return [
        [
            CENTRE_PX + r * math.cos(phase + 2 * math.pi * i / n),
            CENTRE_PX + r * math.sin(phase + 2 * math.pi * i / n),
        ]
        for i in range(n)
    ]


def _compute(
    annotations: dict,
    *,
    settings: dict | None = None,
    n_frames: int = 540,
    frame_spacing_mm: float = FRAME_SPACING_MM,
    timepoint: str | None = "post",
    device: str | None = None,
) -> ReadMetricsResult:
    doc = parse_document(annotations, n_frames=n_frames, rows=500, columns=500)
    calibration = Calibration((PX_MM, PX_MM), frame_spacing_mm, "manual", "manual")
    return compute_read_metrics(
        doc,
        calibration=calibration,
        settings=StudySettings.from_dict(settings or {}),
        n_frames=n_frames,
        timepoint=timepoint,
        device=device,
    )


# 1. Stent area from struts ----------------------------------------------------------------


@pytest.mark.parametrize(("n_struts", "polygon_mm2"), [(9, 6.5082), (6, 5.8457)])
def test_stent_area_from_struts_on_a_3mm_circle_is_the_circle_not_the_polygon(
    n_struts: int, polygon_mm2: float
) -> None:
    true_area = math.pi * 1.5**2  # 7.0686 mm²
    frame = {"lumen": _circle(1.6, 64), "struts": _circle(1.5, n_struts, phase=0.3)}
    result = _compute(
        {"stent": {"distal_frame": 100, "proximal_frame": 200}, "frames": {"150": frame}}
    )
    area = result.frames[150]["stent_area_mm2"]
    # The straight polygon read 6.51 (9 struts, −7.9 %) and 5.85 (6 struts, −17 %).
    assert area != pytest.approx(polygon_mm2, abs=0.05)
    assert area == pytest.approx(true_area, rel=0.01 if n_struts == 6 else 0.002)
    assert result.values["msa_mm2"] == area


def test_a_true_msa_of_5_4_mm2_is_not_called_underexpanded() -> None:
    radius = math.sqrt(5.4 / math.pi)
    frame = {"lumen": _circle(radius + 0.1, 64), "struts": _circle(radius, 9, phase=0.1)}
    result = _compute(
        {"stent": {"distal_frame": 100, "proximal_frame": 200}, "frames": {"150": frame}}
    )
    assert result.values["msa_mm2"] == pytest.approx(5.4, rel=0.002)  # the polygon read 4.97
    assert result.values["underexpansion"] is False


def test_a_drawn_stent_contour_wins_over_the_struts() -> None:
    frame = {
        "lumen": _circle(1.6, 64),
        "struts": _circle(1.5, 9),
        "stent": [[200, 200], [300, 200], [300, 300], [200, 300]],  # 1 mm square
    }
    result = _compute(
        {"stent": {"distal_frame": 100, "proximal_frame": 200}, "frames": {"150": frame}}
    )
    assert result.frames[150]["stent_area_mm2"] == pytest.approx(1.0)


# 2. Malapposition length off the grid ------------------------------------------------------


def _malapposed_frame(distance_um: float) -> dict:
    """A 1.5 mm-radius lumen with one strut ``distance_um`` inside it and 8 on the wall."""
    strut_r = 1.5 - distance_um / 1000.0
    struts = [[CENTRE_PX + strut_r / PX_MM, CENTRE_PX]] + _circle(1.5, 9)[1:]
    return {"lumen": _circle(1.5, 360), "struts": struts}


def test_three_malapposed_struts_off_the_grid_give_a_length_not_zero() -> None:
    frames = {str(f): _malapposed_frame(540.0) for f in (137, 146, 155)}
    result = _compute({"stent": {"distal_frame": 100, "proximal_frame": 300}, "frames": frames})
    values = result.values
    assert values["malapposed_strut_count"] == 3
    assert values["max_malapposition_um"] == pytest.approx(540.0, abs=1.0)
    # Old value 0.0 (none of 137/146/155 is on the proposed grid). Now: 3 consecutive stented
    # frames × their mean spacing (9 frames = 0.9999 mm).
    assert values["malapposition_length_mm"] == pytest.approx(3 * 9 * FRAME_SPACING_MM)
    assert values["sm_significant"] is True


def test_malapposition_length_counts_runs_of_annotated_stented_frames() -> None:
    apposed = _malapposed_frame(0.0)
    frames = {
        "137": _malapposed_frame(300.0),
        "146": _malapposed_frame(300.0),
        "150": apposed,  # ends the run
        "155": _malapposed_frame(300.0),
        "250": _malapposed_frame(300.0),  # 10.5 mm away: its own run
    }
    result = _compute({"stent": {"distal_frame": 100, "proximal_frame": 300}, "frames": frames})
    spacing = (250 - 137) * FRAME_SPACING_MM / 4
    assert result.values["malapposition_length_mm"] == pytest.approx(2 * spacing)


def test_one_malapposed_stented_frame_is_one_sampling_interval() -> None:
    frames = {"150": _malapposed_frame(300.0)}
    result = _compute(
        {"stent": {"distal_frame": 100, "proximal_frame": 200}, "frames": frames},
        settings={"sampling_interval_mm": 0.5},
    )
    assert result.values["malapposition_length_mm"] == pytest.approx(0.5)


@pytest.mark.parametrize(("rule", "significant"), [("any", True), ("all", False)])
def test_sm_significant_rule_any_or_all(rule: str, significant: bool) -> None:
    # 540 µm deep (> 400) but one frame long (1 × 1.0 mm, not > 1.0 mm).
    result = _compute(
        {
            "stent": {"distal_frame": 100, "proximal_frame": 200},
            "frames": {"150": _malapposed_frame(540.0)},
        },
        settings={"sm_significant_rule": rule},
    )
    assert result.values["sm_significant"] is significant


def test_a_pullbacks_device_sets_its_strut_threshold() -> None:
    # 120 µm off the wall: malapposed at the default 100 µm, apposed for a 140 + 12.6 µm device.
    frames = {"150": _malapposed_frame(120.0)}
    doc = {"stent": {"distal_frame": 100, "proximal_frame": 200}, "frames": frames}
    devices = {"thin": 88.6, "thick": 152.6}
    default = _compute(doc, settings={"devices": devices})
    thick = _compute(doc, settings={"devices": devices}, device="thick")
    thin = _compute(doc, settings={"devices": devices}, device="thin")
    assert default.values["malapposed_strut_count"] == 1
    assert thick.values["malapposed_strut_count"] == 0
    assert thin.values["malapposed_strut_count"] == 1


# 3. Analysis-frame grid -------------------------------------------------------------------


@pytest.mark.parametrize("spacing_mm", [0.1111, 0.11111, 0.111112, 20 / 180, 0.1111111])
def test_one_mm_is_nine_frames_whatever_the_float_noise(spacing_mm: float) -> None:
    assert sampling_step_frames(1.0, spacing_mm) == 9


def test_both_dicom_variants_of_one_acquisition_get_one_grid() -> None:
    grids = [
        analysis_frames(
            n_frames=540,
            frame_spacing_mm=spacing,
            stent_distal_frame=137,
            stent_proximal_frame=300,
            sampling_interval_mm=1.0,
            reference_length_mm=5.0,
        )
        for spacing in (0.11111, 0.111112)
    ]
    assert grids[0] == grids[1]
    assert grids[0][:3] == [92, 101, 110] and 300 in grids[0] and grids[0][-1] == 344


def test_the_read_reports_its_analysis_frames_and_a_pre_pullback_covers_the_whole_pullback() -> (
    None
):
    frame = {"lumen": _circle(1.5, 64)}
    pre = _compute({"frames": {"5": frame}}, n_frames=30, timepoint="pre")
    assert pre.analysis_frames == [0, 9, 18, 27]
    post = _compute({"frames": {"5": frame}}, n_frames=30, timepoint="post")
    assert post.analysis_frames == []  # no stent edges, no span


# 4. Calcium length without calcium_segments -----------------------------------------------


def _calcified() -> dict:
    return {
        "lumen": _circle(1.5, 64),
        "calcium": [{"arc": [[CENTRE_PX + 150, CENTRE_PX], [CENTRE_PX, CENTRE_PX + 150]]}],
    }


def test_two_separate_deposits_are_not_merged_into_one_calcium_length() -> None:
    frames = {str(f): _calcified() for f in [*range(100, 110), *range(250, 260)]}
    result = _compute({"frames": frames})
    values = result.values
    # Old value: (259 − 100) × 0.1111 = 17.7 mm, over 15 mm, and a Fujino length point.
    assert values["calcium_length_mm"] == pytest.approx(9 * FRAME_SPACING_MM)
    assert values["calcium_length_gt_15mm"] is False


def test_calcium_on_the_analysis_grid_is_one_run() -> None:
    frames = {str(f): _calcified() for f in (100, 109, 118, 127)}
    frames["136"] = {"lumen": _circle(1.5, 64)}  # annotated, no calcium: ends the run
    frames["145"] = _calcified()
    result = _compute({"frames": frames})
    assert result.values["calcium_length_mm"] == pytest.approx(27 * FRAME_SPACING_MM)


# Protocol settings: references ------------------------------------------------------------


@pytest.mark.parametrize(("needs_both", "expected_mean"), [(False, math.pi * 1.6**2), (True, None)])
def test_one_reference_alone_counts_unless_the_protocol_needs_both(
    needs_both: bool, expected_mean: float | None
) -> None:
    frames = {
        "60": {"lumen": _circle(1.6, 256)},  # distal reference only (100 − 45 … 99)
        "150": {"lumen": _circle(1.5, 256), "stent": _circle(1.4, 256)},
    }
    result = _compute(
        {"stent": {"distal_frame": 100, "proximal_frame": 200}, "frames": frames},
        settings={"expansion_needs_both_references": needs_both},
    )
    assert result.values["ref_count"] == 1
    if expected_mean is None:
        assert result.values["ref_mean_lumen_area_mm2"] is None
        assert result.values["stent_expansion_pct"] is None
    else:
        assert result.values["ref_mean_lumen_area_mm2"] == pytest.approx(expected_mean, rel=1e-3)
        assert result.values["stent_expansion_pct"] is not None
