"""The vectorised fast paths of domain/geometry.py and domain/metrics.py equal plain references.

Each reference below is the textbook definition written with Python loops and floats only (no
numpy), independent of the code under test; hypothesis draws the polygons and struts
(issue 11: the speed work must not change a single metric).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adjudication.domain.annotations import parse_document
from adjudication.domain.calibration import Calibration
from adjudication.domain.geometry import (
    diameters_through_many,
    periodic_spline_area,
    polygon_centroids,
)
from adjudication.domain.metrics import _Lumen, _struts_malapposition_many, compute_read_metrics
from adjudication.domain.settings import StudySettings

Point = tuple[float, float]

# --- plain references ----------------------------------------------------------------------


def plain_area(points: list[Point]) -> float:
    n = len(points)
    s = 0.0
    for i in range(n):
        x0, y0 = points[i]
        x1, y1 = points[(i + 1) % n]
        s += x0 * y1 - x1 * y0
    return abs(s) / 2.0


def plain_centroid(points: list[Point]) -> Point:
    n = len(points)
    a = cx = cy = 0.0
    for i in range(n):
        x0, y0 = points[i]
        x1, y1 = points[(i + 1) % n]
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (3.0 * a), cy / (3.0 * a)


def plain_line_hits(origin: Point, u: Point, polygon: list[Point]) -> list[float]:
    """Signed distances along the line origin + t·u to each edge it crosses."""
    hits = []
    n = len(polygon)
    for i in range(n):
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % n]
        ex, ey = bx - ax, by - ay
        rx, ry = ax - origin[0], ay - origin[1]
        denom = u[0] * ey - u[1] * ex
        if denom == 0:
            continue
        t = (rx * ey - ry * ex) / denom
        s = (rx * u[1] - ry * u[0]) / denom
        if -1e-12 <= s <= 1 + 1e-12:
            hits.append(t)
    return hits


def plain_diameters(center: Point, polygon: list[Point]) -> tuple[float, float] | None:
    """Min and max chord through ``center`` over the SPEC's candidate directions: towards each
    vertex, perpendicular to each edge, and every 0.5°."""
    n = len(polygon)
    directions = [math.atan2(y - center[1], x - center[0]) for x, y in polygon]
    for i in range(n):
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % n]
        directions.append(math.atan2(bx - ax, -(by - ay)))
    directions += [math.pi * k / 360 for k in range(360)]
    chords = []
    for theta in directions:
        hits = plain_line_hits(center, (math.cos(theta), math.sin(theta)), polygon)
        ahead = [t for t in hits if t > 0]
        behind = [-t for t in hits if t < 0]
        if not ahead or not behind:
            return None
        chords.append(min(ahead) + min(behind))
    return min(chords), max(chords)


def plain_strut_um(strut: Point, lumen: list[Point], centre: Point) -> float | None:
    dx, dy = strut[0] - centre[0], strut[1] - centre[1]
    strut_t = math.hypot(dx, dy)
    u = (1.0, 0.0) if strut_t == 0 else (dx / strut_t, dy / strut_t)
    scale = max(1.0, max(max(abs(x), abs(y)) for x, y in lumen))
    hits = [t for t in plain_line_hits(centre, u, lumen) if t > 1e-12 * scale]
    if not hits:
        return None
    wall = min(sorted(hits), key=lambda t: abs(t - strut_t))
    return (wall - strut_t) * 1000.0


def plain_spline_area(points: list[Point]) -> float:
    """Closed chord-length cubic spline: the cyclic system by Gaussian elimination, then the
    area by Simpson's rule on 200 steps per segment (exact for the degree-5 integrand)."""
    n = len(points)
    h = [math.dist(points[i], points[(i + 1) % n]) for i in range(n)]
    m_xy = []
    for axis in (0, 1):
        slope = [(points[(i + 1) % n][axis] - points[i][axis]) / h[i] for i in range(n)]
        rows = [[0.0] * (n + 1) for _ in range(n)]
        for i in range(n):
            rows[i][(i - 1) % n] += h[(i - 1) % n]
            rows[i][i] += 2 * (h[(i - 1) % n] + h[i])
            rows[i][(i + 1) % n] += h[i]
            rows[i][n] = 6 * (slope[i] - slope[(i - 1) % n])
        for col in range(n):
            pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
            rows[col], rows[pivot] = rows[pivot], rows[col]
            for r in range(n):
                if r != col:
                    f = rows[r][col] / rows[col][col]
                    rows[r] = [a - f * b for a, b in zip(rows[r], rows[col], strict=True)]
        m_xy.append([rows[i][n] / rows[i][i] for i in range(n)])

    def at(i: int, t: float) -> tuple[Point, Point]:
        pos, vel = [], []
        for axis in (0, 1):
            p0, p1 = points[i][axis], points[(i + 1) % n][axis]
            m0, m1 = m_xy[axis][i], m_xy[axis][(i + 1) % n]
            hi = h[i]
            b = (p1 - p0) / hi - hi * (2 * m0 + m1) / 6
            c, d = m0 / 2, (m1 - m0) / (6 * hi)
            pos.append(p0 + b * t + c * t * t + d * t**3)
            vel.append(b + 2 * c * t + 3 * d * t * t)
        return (pos[0], pos[1]), (vel[0], vel[1])

    total = 0.0
    steps = 200
    for i in range(n):
        dt = h[i] / steps
        for k in range(steps + 1):
            (x, y), (vx, vy) = at(i, k * dt)
            weight = 1 if k in (0, steps) else (4 if k % 2 else 2)
            total += weight * (x * vy - y * vx) * dt / 3
    return abs(total) / 2


# --- strategies ----------------------------------------------------------------------------


@st.composite
def star_polygons(draw: st.DrawFn, min_size: int = 3, max_size: int = 24) -> list[Point]:
    """A polygon star-shaped around (cx, cy): distinct sorted angles, radii 0.5–2.0 mm."""
    n = draw(st.integers(min_size, max_size))
    floats = st.floats(0, 1, exclude_max=True)
    cuts = sorted(draw(st.lists(floats, min_size=n, max_size=n, unique=True)))
    gaps = [b - a for a, b in zip(cuts, cuts[1:] + [cuts[0] + 1], strict=True)]
    # Every turn under half a circle keeps the polygon simple and star-shaped around (cx, cy).
    if min(gaps) < 1e-3 or max(gaps) >= 0.45:
        cuts = [i / n for i in range(n)]
    radii = draw(st.lists(st.floats(0.5, 2.0), min_size=n, max_size=n))
    cx, cy = draw(st.floats(1.0, 4.0)), draw(st.floats(1.0, 4.0))
    return [
        (cx + r * math.cos(2 * math.pi * c), cy + r * math.sin(2 * math.pi * c))
        for c, r in zip(cuts, radii, strict=True)
    ]


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(star_polygons(min_size=12, max_size=12), min_size=1, max_size=5))
def test_stacked_centroids_and_diameters_equal_the_plain_definitions(
    polygons: list[list[Point]],
) -> None:
    stacked = np.array(polygons)
    centroids = polygon_centroids(stacked)
    diameters = diameters_through_many(centroids, stacked)
    for row, polygon in enumerate(polygons):
        cx, cy = plain_centroid(polygon)
        assert math.isclose(centroids[row, 0], cx, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(centroids[row, 1], cy, rel_tol=1e-9, abs_tol=1e-12)
        expected = plain_diameters((cx, cy), polygon)
        if expected is None:
            assert diameters[row] is None
        else:
            assert diameters[row] is not None
            assert math.isclose(diameters[row][0], expected[0], rel_tol=1e-9)
            assert math.isclose(diameters[row][1], expected[1], rel_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(star_polygons(), st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), max_size=12))
def test_strut_distances_equal_the_plain_ray_cast(lumen: list[Point], offsets: list[Point]) -> None:
    centre = plain_centroid(lumen)
    struts = [(centre[0] + 2.5 * dx, centre[1] + 2.5 * dy) for dx, dy in offsets]
    points = np.asarray(lumen, dtype=float)
    frame_struts = np.asarray(struts, dtype=float).reshape(-1, 2)
    fast = _struts_malapposition_many(
        {0: frame_struts}, {0: _Lumen(points, centre, 0.0, None)}
    ).get(0, [])
    for strut, value in zip(struts, fast, strict=True):
        expected = plain_strut_um(strut, lumen, centre)
        if expected is None:
            assert value is None
        else:
            assert value is not None and math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=40, deadline=None)
@given(star_polygons(max_size=16))
def test_spline_area_equals_the_plain_spline(points: list[Point]) -> None:
    assert math.isclose(periodic_spline_area(points), plain_spline_area(points), rel_tol=1e-7)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(star_polygons(min_size=8, max_size=10), min_size=1, max_size=6),
    st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), min_size=0, max_size=9),
    st.floats(0.005, 0.02),
    st.floats(0.005, 0.02),
)
def test_read_metrics_frames_equal_the_plain_per_frame_definitions(
    lumens_mm: list[list[Point]], offsets: list[Point], row_mm: float, col_mm: float
) -> None:
    """The batched per-frame pass (frames stacked by vertex count, struts cast together) gives,
    frame by frame, the plain definitions on the same annotations in mm (anisotropic pixels)."""
    frames = {}
    plain: dict[int, dict] = {}
    for index, lumen_mm in enumerate(lumens_mm):
        lumen_px = [[x / col_mm, y / row_mm] for x, y in lumen_mm]
        centre = plain_centroid(lumen_mm)
        # A strut on the centroid has no direction of its own: away from it only.
        struts_mm = [
            (centre[0] + 2.0 * dx, centre[1] + 2.0 * dy)
            for dx, dy in offsets
            if math.hypot(dx, dy) > 1e-3
        ]
        frames[str(10 + index)] = {
            "lumen": lumen_px,
            "struts": [[x / col_mm, y / row_mm] for x, y in struts_mm],
        }
        # The reference measures the same stored pixels, converted to mm.
        lumen_back = [(x * col_mm, y * row_mm) for x, y in lumen_px]
        struts_back = [(x / col_mm * col_mm, y / row_mm * row_mm) for x, y in struts_mm]
        centre_back = plain_centroid(lumen_back)
        distances = [plain_strut_um(s, lumen_back, centre_back) for s in struts_back]
        plain[10 + index] = {
            "lumen_area_mm2": plain_area(lumen_back),
            "distances": distances,
        }
    doc = parse_document({"frames": frames})
    result = compute_read_metrics(
        doc,
        calibration=Calibration((row_mm, col_mm), 0.1, "manual", "manual"),
        settings=StudySettings(),
        n_frames=100,
    )
    for index, expected in plain.items():
        values = result.frames[index]
        struts_mm = expected["distances"]
        assert math.isclose(values["lumen_area_mm2"], expected["lumen_area_mm2"], rel_tol=1e-9)
        measured = [d for d in expected["distances"] if d is not None]
        malapposed = [d for d in measured if d > 100.0 + 1e-7]
        assert values["strut_count"] == len(struts_mm)
        if None in expected["distances"]:
            continue  # a strut the ray cannot place; its count is checked elsewhere
        assert values["malapposed_strut_count"] == len(malapposed)
        if struts_mm:
            assert math.isclose(
                values["max_malapposition_um"], max(malapposed, default=0.0), abs_tol=1e-6
            )
