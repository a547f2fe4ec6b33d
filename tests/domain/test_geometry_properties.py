"""Property tests: invariants the geometry must keep whatever the input (SPEC §3)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from adjudication.domain.geometry import arc_span_deg, polygon_area

coord = st.floats(min_value=-1000, max_value=1000, allow_nan=False)
polygons = st.lists(st.tuples(coord, coord), min_size=3, max_size=30)
angles = st.floats(min_value=0, max_value=360, exclude_max=True, allow_nan=False)


@given(polygons, st.floats(min_value=0, max_value=2 * math.pi), coord, coord)
def test_polygon_area_is_invariant_under_rotation_and_translation(
    points: list[tuple[float, float]], theta: float, dx: float, dy: float
) -> None:
    c, s = math.cos(theta), math.sin(theta)
    moved = [(c * x - s * y + dx, s * x + c * y + dy) for x, y in points]
    scale = sum(abs(x) + abs(y) for x, y in points) ** 2 + 1.0
    assert math.isclose(polygon_area(moved), polygon_area(points), abs_tol=1e-9 * scale)


@given(angles, angles)
def test_arc_there_and_back_adds_up_to_a_full_turn(a: float, b: float) -> None:
    span_ab, span_ba = arc_span_deg(a, b), arc_span_deg(b, a)
    assert 0.0 <= span_ab <= 360.0 and 0.0 <= span_ba <= 360.0
    if a == b:
        assert span_ab == span_ba == 0.0
    else:
        assert math.isclose(span_ab + span_ba, 360.0, abs_tol=1e-9)


@given(polygons)
def test_reversing_a_polygon_keeps_its_area(points: list[tuple[float, float]]) -> None:
    assert math.isclose(
        polygon_area(points[::-1]), polygon_area(points), rel_tol=1e-9, abs_tol=1e-6
    )
