"""Strut candidates and the stent contour against the phantom's ground truth (SPEC §11, §5)."""

from __future__ import annotations

import numpy as np

from adjudication.imaging.evaluation import match_points, polygon_area_px2
from adjudication.imaging.spline import sample_closed_spline

from .conftest import PIXEL_SPACING_MM, Analysed, analyse

TOLERANCE_PX = 0.05 / PIXEL_SPACING_MM  # 50 µm


def _detection(a: Analysed) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for i, truth in enumerate(a.truth):
        found = np.array([[s.x_px, s.y_px] for s in a.proposal.struts(i)]).reshape(-1, 2)
        t, f, n = match_points(found, np.array(truth.get("struts", [])), TOLERANCE_PX)
        tp, fp, fn = tp + t, fp + f, fn + n
    return tp, fp, fn


def test_struts_are_found_within_50_um_with_high_sensitivity_and_precision(
    analysed: Analysed,
) -> None:
    tp, fp, fn = _detection(analysed)
    assert tp + fn >= 100  # the phantom has a real stent
    assert tp / (tp + fn) >= 0.93
    assert tp / (tp + fp) >= 0.95


def test_malapposed_struts_are_found_inside_the_lumen(analysed: Analysed) -> None:
    a = analysed
    lifted = 0
    for i, truth in enumerate(a.truth):
        if not truth.get("malapposed_strut_count"):
            continue
        found = np.array([[s.x_px, s.y_px] for s in a.proposal.struts(i)]).reshape(-1, 2)
        for strut in truth["struts"]:
            # a malapposed strut sits well inside the true lumen: is it among the candidates?
            d = np.hypot(*(found - strut).T).min() if len(found) else np.inf
            r_strut = np.hypot(strut[0] - a.center[0], strut[1] - a.center[1])
            r_wall = np.hypot(*(np.array(truth["lumen"]) - a.center).T).mean()
            if r_wall - r_strut > 0.15 / PIXEL_SPACING_MM:
                lifted += 1
                assert d <= TOLERANCE_PX
    assert lifted >= 5


def test_the_stented_region_matches_the_stent(analysed: Analysed) -> None:
    truth_frames = [i for i, t in enumerate(analysed.truth) if t.get("struts")]
    assert analysed.proposal.stent_frames is not None
    first, last = analysed.proposal.stent_frames
    assert abs(first - truth_frames[0]) <= 1 and abs(last - truth_frames[-1]) <= 1
    # nothing proposed outside the stent
    for i in range(len(analysed.truth)):
        if not first <= i <= last:
            assert analysed.proposal.struts(i) == []


def test_stent_area_from_detected_struts_is_within_2_percent(analysed: Analysed) -> None:
    errors = []
    for i, truth in enumerate(analysed.truth):
        entry = analysed.proposal.frame_entry(i)
        if "stent" not in entry or not truth.get("stent"):
            continue
        true_curve = sample_closed_spline(
            np.array(truth["stent"]), pixel_spacing_mm=PIXEL_SPACING_MM
        )
        true_area = polygon_area_px2(true_curve)
        errors.append(abs(polygon_area_px2(np.array(entry["stent"])) - true_area) / true_area)
    assert len(errors) >= 15
    assert np.median(errors) <= 0.02


def test_a_pullback_without_a_stent_gets_no_struts() -> None:
    a = analyse(seed=4, n_frames=14)  # frames 0–13: the phantom's stent starts at 30 %…
    # …so take only the frames before it
    pre = [i for i, t in enumerate(a.truth) if not t.get("struts")]
    assert pre
    from adjudication.imaging import analyse_pullback

    proposal = analyse_pullback([a.images[i] for i in pre], pixel_spacing_mm=PIXEL_SPACING_MM)
    assert proposal.stent_frames is None
    assert all("struts" not in proposal.frame_entry(i) for i in range(len(pre)))
