"""Geometry against the hand-computed cases in tests/data/geometry_cases.json (SPEC §3).

The same file feeds the viewer's TypeScript geometry tests, so both implementations agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adjudication.domain.geometry import (
    angle_deg,
    arc_span_deg,
    diameters_through,
    is_simple_polygon,
    order_by_angle,
    point_to_mm,
    points_to_mm,
    polygon_area_mm2,
    polygon_area_px2,
    polygon_centroid,
)
from adjudication.domain.metrics import strut_malapposition_um

CASES = json.loads((Path(__file__).parents[1] / "data" / "geometry_cases.json").read_text())


def _ids(cases: list[dict]) -> list[str]:
    return [c.get("name") or c.get("note") or str(i) for i, c in enumerate(cases)]


@pytest.mark.parametrize("case", CASES["polygon_area"], ids=_ids(CASES["polygon_area"]))
def test_it_measures_polygon_area_in_px2_and_mm2_under_anisotropic_spacing(case: dict) -> None:
    points = [tuple(p) for p in case["points_px"]]
    assert polygon_area_px2(points) == pytest.approx(case["area_px2"], abs=case["abs_tol"] * 1e4)
    mm = points_to_mm(points, tuple(case["pixel_spacing_mm"]))
    assert polygon_area_mm2(mm) == pytest.approx(case["area_mm2"], abs=case["abs_tol"])


@pytest.mark.parametrize("case", CASES["angle_deg"], ids=_ids(CASES["angle_deg"]))
def test_it_measures_angles_clockwise_from_three_oclock_with_y_down(case: dict) -> None:
    assert angle_deg(tuple(case["center_px"]), tuple(case["point_px"])) == pytest.approx(
        case["angle_deg"]
    )


@pytest.mark.parametrize("case", CASES["arc_span_deg"], ids=_ids(CASES["arc_span_deg"]))
def test_it_sweeps_arcs_clockwise_including_across_zero(case: dict) -> None:
    assert arc_span_deg(case["start_deg"], case["end_deg"]) == pytest.approx(case["span_deg"])


@pytest.mark.parametrize("case", CASES["order_by_angle"])
def test_it_orders_points_clockwise_from_three_oclock(case: dict) -> None:
    ordered = order_by_angle(tuple(case["center_px"]), [tuple(p) for p in case["points_px"]])
    assert ordered == [tuple(float(v) for v in p) for p in case["ordered_px"]]


@pytest.mark.parametrize("case", CASES["lumen_diameters"], ids=_ids(CASES["lumen_diameters"]))
def test_it_finds_min_and_max_diameter_through_the_centroid(case: dict) -> None:
    mm = points_to_mm([tuple(p) for p in case["points_px"]], tuple(case["pixel_spacing_mm"]))
    diameters = diameters_through(polygon_centroid(mm), mm)
    assert diameters is not None
    assert diameters[0] == pytest.approx(case["min_diameter_mm"], abs=case["abs_tol"])
    assert diameters[1] == pytest.approx(case["max_diameter_mm"], abs=case["abs_tol"])


@pytest.mark.parametrize(
    "case", CASES["strut_malapposition"], ids=_ids(CASES["strut_malapposition"])
)
def test_it_measures_strut_distance_positive_inside_zero_on_wall_negative_embedded(
    case: dict,
) -> None:
    spacing = tuple(case["pixel_spacing_mm"])
    lumen = points_to_mm([tuple(p) for p in case["lumen_px"]], spacing)
    strut = point_to_mm(tuple(case["strut_px"]), spacing)
    distance = strut_malapposition_um(strut, lumen, polygon_centroid(lumen))
    assert distance == pytest.approx(case["distance_um"], abs=case["abs_tol"])


def test_it_finds_the_centroid_of_a_polygon_not_of_its_vertices() -> None:
    # Two rectangles: 4 at (2, 0.5) and 3 at (0.5, 2.5); the vertex mean would be (1.67, 1.67).
    l_shape = [(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)]
    cx, cy = polygon_centroid(l_shape)
    assert (cx, cy) == pytest.approx((9.5 / 7, 9.5 / 7))


@pytest.mark.parametrize(
    ("points", "simple"),
    [
        ([(0, 0), (10, 0), (10, 10), (0, 10)], True),
        ([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)], True),  # closing point repeated
        ([(0, 0), (10, 0), (0, 10), (10, 10)], False),  # bow-tie
        ([(0, 0), (10, 0), (5, 0)], False),  # collinear fold-back
        ([(0, 0), (10, 0), (10, 10), (5, 0), (0, 10)], False),  # vertex touching an edge
        ([(0, 0), (10, 0), (10, 10), (5, 5), (10, 10), (0, 10)], False),  # repeated vertex
        ([(0, 0), (0, 0), (1, 1)], False),  # fewer than 3 distinct points
        ([(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)], True),  # concave L
    ],
)
def test_it_tells_simple_polygons_from_self_intersecting_ones(points: list, simple: bool) -> None:
    assert is_simple_polygon(points) is simple
