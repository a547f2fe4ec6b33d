"""Plane geometry of one OCT frame (SPEC §3).

Coordinates are ``(x, y)`` with ``x`` = column and ``y`` = row, origin top-left, y down.
Angles are degrees in [0, 360), clockwise on screen from 3 o'clock: ``atan2(dy, dx)`` with y
down. An arc runs clockwise from its start to its end.

Functions are unit-agnostic unless their name says otherwise: they return the unit of their
input (``_px`` in, ``_px`` out; ``_mm`` in, ``_mm`` out). Metrics convert pixels to millimetres
with :func:`points_to_mm` *before* measuring, because the pixel spacing may differ between rows
and columns (anisotropic), which changes areas, distances and angles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Point = tuple[float, float]

# Extra directions swept when searching the minimum/maximum diameter (every 0.5°).
_DIAMETER_SWEEP_STEPS = 360


# The 0.5° sweep of :func:`diameters_through` is the same every call: computed once.
_SWEEP_THETA = np.linspace(0.0, np.pi, _DIAMETER_SWEEP_STEPS, endpoint=False)
_SWEEP_U = np.stack([np.cos(_SWEEP_THETA), np.sin(_SWEEP_THETA)], axis=1)


def _next(a: np.ndarray) -> np.ndarray:
    """``a`` shifted by one along the first axis, cyclically (each vertex's successor).

    Same values as ``np.roll(a, -1, axis=0)``, several times faster on small arrays.
    """
    return np.concatenate((a[1:], a[:1]))


def points_to_mm(points_px: Sequence[Point], pixel_spacing_mm: tuple[float, float]) -> list[Point]:
    """Scale pixel points to millimetres: ``(x × column_spacing, y × row_spacing)``.

    ``pixel_spacing_mm`` is ``(row, column)`` mm per pixel, the DICOM order (SPEC §3).
    """
    row_mm, col_mm = pixel_spacing_mm
    return [(float(x) * col_mm, float(y) * row_mm) for x, y in points_px]


def point_to_mm(point_px: Point, pixel_spacing_mm: tuple[float, float]) -> Point:
    """Scale one pixel point to millimetres (see :func:`points_to_mm`)."""
    return points_to_mm([point_px], pixel_spacing_mm)[0]


def distance(p: Point, q: Point) -> float:
    """Euclidean distance between two points, in the unit of the points."""
    return math.hypot(q[0] - p[0], q[1] - p[1])


def _signed_area(points: Sequence[Point]) -> float:
    xy = np.asarray(points, dtype=float)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x, _next(y)) - np.dot(_next(x), y))


def polygon_area(points: Sequence[Point]) -> float:
    """Area of a closed polygon by the shoelace formula, absolute, in the unit of the points².

    The polygon closes itself (last point joins the first). Fewer than 3 points → 0.0.
    """
    if len(points) < 3:
        return 0.0
    return abs(_signed_area(points))


def polygon_area_px2(points_px: Sequence[Point]) -> float:
    """Shoelace area of a polygon given in pixels, in px² (SPEC §3)."""
    return polygon_area(points_px)


def polygon_area_mm2(points_mm: Sequence[Point]) -> float:
    """Shoelace area of a polygon given in millimetres, in mm² (SPEC §5)."""
    return polygon_area(points_mm)


def polygon_centroid(points: Sequence[Point]) -> Point:
    """Area centroid of a closed polygon, in the unit of the points.

    A degenerate polygon (zero area) falls back to the mean of its vertices.
    """
    xy = np.asarray(points, dtype=float)
    if len(xy) < 3:
        mean = xy.mean(axis=0)
        return (float(mean[0]), float(mean[1]))
    # Shift to the first vertex so large coordinates do not lose precision.
    origin = xy[0]
    rel = xy - origin
    x, y = rel[:, 0], rel[:, 1]
    xn, yn = _next(x), _next(y)
    cross = x * yn - xn * y
    area2 = float(cross.sum())
    if area2 == 0.0:
        mean = xy.mean(axis=0)
        return (float(mean[0]), float(mean[1]))
    cx = float(((x + xn) * cross).sum()) / (3.0 * area2)
    cy = float(((y + yn) * cross).sum()) / (3.0 * area2)
    return (cx + float(origin[0]), cy + float(origin[1]))


def polygon_centroid_px(points_px: Sequence[Point]) -> Point:
    """Area centroid of a polygon given in pixels, in px (SPEC §4 default calcium centre)."""
    return polygon_centroid(points_px)


def dedupe_closed(points: Sequence[Point]) -> list[Point]:
    """The polygon without consecutive duplicate vertices (including a repeated first point)."""
    out: list[Point] = []
    for p in points:
        q = (float(p[0]), float(p[1]))
        if not out or out[-1] != q:
            out.append(q)
    while len(out) > 1 and out[-1] == out[0]:
        out.pop()
    return out


def is_simple_polygon(points: Sequence[Point]) -> bool:
    """True when the closed polygon has ≥ 3 distinct vertices and no edge crosses or touches another.

    Consecutive duplicate vertices (and a closing point equal to the first) are ignored. Edges
    that meet only at their shared vertex are fine; an edge folding back over its neighbour, or
    any contact between non-adjacent edges, makes the polygon non-simple (SPEC §4).
    """
    pts = dedupe_closed(points)
    n = len(pts)
    if n < 3:
        return False
    xy = np.asarray(pts, dtype=float)
    a = xy
    b = _next(xy)
    # Adjacent edges (i, i+1) must not fold back on each other (collinear and reversing).
    e = b - a
    e_next = _next(e)
    cross_adj = e[:, 0] * e_next[:, 1] - e[:, 1] * e_next[:, 0]
    dot_adj = (e * e_next).sum(axis=1)
    if np.any((cross_adj == 0) & (dot_adj < 0)):
        return False
    if n == 3:
        return True
    return not _any_nonadjacent_contact(a, b)


def _orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Sign of the cross product (q − p) × (r − p), row by row over arrays of points."""
    val = (q[:, 0] - p[:, 0]) * (r[:, 1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (r[:, 0] - p[:, 0])
    return np.sign(val)


def _any_nonadjacent_contact(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two non-adjacent edges ``a[i]→b[i]`` and ``a[j]→b[j]`` touch or cross."""
    n = len(a)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    # Bounding boxes first: only overlapping pairs (few, for a drawn contour) need the exact test.
    boxes = (
        (lo[:, None, 0] <= hi[None, :, 0])
        & (lo[None, :, 0] <= hi[:, None, 0])
        & (lo[:, None, 1] <= hi[None, :, 1])
        & (lo[None, :, 1] <= hi[:, None, 1])
    )
    i, j = np.nonzero(np.triu(boxes, k=2))
    keep = (j - i) != n - 1  # the first and last edges are adjacent too
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return False
    o1 = _orient(a[i], b[i], a[j])
    o2 = _orient(a[i], b[i], b[j])
    o3 = _orient(a[j], b[j], a[i])
    o4 = _orient(a[j], b[j], b[i])
    crosses = (o1 * o2 <= 0) & (o3 * o4 <= 0)
    # Collinear pairs touch exactly when their bounding boxes overlap, which they all do here.
    collinear = (o1 == 0) & (o2 == 0)
    return bool(np.any(crosses | collinear))


def angle_deg(center: Point, point: Point) -> float:
    """Angle of ``point`` seen from ``center``, degrees in [0, 360) clockwise from 3 o'clock.

    ``atan2(dy, dx)`` with y down (SPEC §3). Unit-free. A point equal to the centre has no angle
    and gives 0.0 (never None); annotation validation refuses calcium arcs where that happens.
    """
    deg = math.degrees(math.atan2(point[1] - center[1], point[0] - center[0])) % 360.0
    return 0.0 if deg >= 360.0 else deg


def arc_span_deg(start_deg: float, end_deg: float) -> float:
    """Clockwise sweep from ``start_deg`` to ``end_deg`` in degrees, in [0, 360] (SPEC §3).

    Equal angles give 0.0; an arc crossing 3 o'clock wraps (350° → 10° is 20°). A sweep a hair
    short of a full turn may round to 360.0, never to 0.0.
    """
    return (end_deg - start_deg) % 360.0


def order_by_angle(center: Point, points: Sequence[Point]) -> list[Point]:
    """``points`` sorted clockwise by :func:`angle_deg` around ``center`` (SPEC §5 strut polygon).

    Ties (same angle) keep the nearer point first so the order is deterministic.
    """
    return sorted(
        ((float(p[0]), float(p[1])) for p in points),
        key=lambda p: (angle_deg(center, p), distance(center, p)),
    )


def line_hits(origin: Point, directions: np.ndarray, polygon: Sequence[Point]) -> np.ndarray:
    """Signed distances along lines through ``origin`` to every polygon edge they cross.

    ``directions`` is an (M, 2) array of unit vectors; the result is an (M, n_edges) array of
    signed distances (negative behind ``origin``) in the unit of the points, ``nan`` where a line
    misses an edge (parallel or beyond its ends).
    """
    xy = np.asarray(polygon, dtype=float)
    a = xy - np.asarray(origin, dtype=float)
    e = _next(xy) - xy
    d = np.asarray(directions, dtype=float).reshape(-1, 2)
    dx, dy = d[:, 0][:, None], d[:, 1][:, None]
    ex, ey = e[:, 0][None, :], e[:, 1][None, :]
    ax, ay = a[:, 0][None, :], a[:, 1][None, :]
    denom = dx * ey - dy * ex
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (ax * ey - ay * ex) / denom
        s = (ax * dy - ay * dx) / denom
    ok = (denom != 0) & (s >= -1e-12) & (s <= 1 + 1e-12)
    return np.where(ok, t, np.nan)


def ray_hits(origin: Point, directions: np.ndarray, polygon: Sequence[Point]) -> np.ndarray:
    """Distances along rays from ``origin`` to every polygon edge they cross.

    ``directions`` is an (M, 2) array of unit vectors; the result is an (M, n_edges) array of
    distances ``t > 0`` in the unit of the points, ``inf`` where a ray misses an edge.
    """
    t = line_hits(origin, directions, polygon)
    scale = max(1.0, float(np.abs(np.asarray(polygon, dtype=float)).max()))
    with np.errstate(invalid="ignore"):
        return np.where(t > 1e-12 * scale, t, np.inf)


def ray_polygon_distances(origin: Point, through: Point, polygon: Sequence[Point]) -> list[float]:
    """Sorted distances from ``origin`` to where the ray through ``through`` crosses ``polygon``.

    Unit of the points. Empty when the ray misses the polygon or ``through`` equals ``origin``.
    """
    dx, dy = through[0] - origin[0], through[1] - origin[1]
    norm = math.hypot(dx, dy)
    if norm == 0.0:
        return []
    hits = ray_hits(origin, np.array([[dx / norm, dy / norm]]), polygon)[0]
    return sorted(float(t) for t in hits[np.isfinite(hits)])


def ray_polygon_distance(origin: Point, through: Point, polygon: Sequence[Point]) -> float | None:
    """Distance from ``origin`` to the first crossing of the ray through ``through`` with ``polygon``.

    Unit of the points; None when the ray misses the polygon or ``through`` equals ``origin``.
    """
    hits = ray_polygon_distances(origin, through, polygon)
    return hits[0] if hits else None


def _star_line_hits(
    rel: np.ndarray, vertex_angles: np.ndarray, u: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Forward and backward crossing distances of lines through the origin, for a polygon that
    is strictly star-shaped around it (``rel``: vertices relative to the origin).

    When the vertices' angles increase (or decrease) strictly and wind exactly once around the
    origin, every ray from it crosses exactly one edge: the one whose angular span holds the
    ray. That edge is found by binary search instead of testing every edge, and its distance is
    computed with :func:`line_hits`' formula (``cross(a, e) / cross(u, e)`` with the same
    ``u``), so the result equals the exhaustive search. None when the polygon is not strictly
    star-shaped (callers then test every edge). A speed-up for drawn lumen contours, which are
    almost always star-shaped around their centroid (issue 3 benchmark).
    """
    n = len(rel)
    if n < 3:
        return None
    steps = (np.diff(vertex_angles, append=vertex_angles[:1]) + np.pi) % (2 * np.pi) - np.pi
    if np.all(steps > 0):
        order = np.arange(n)
    elif np.all(steps < 0):
        order = np.arange(n)[::-1]
    else:
        return None
    if abs(abs(float(steps.sum())) - 2 * np.pi) > 1e-9:
        return None
    # Vertices in increasing angle, starting at the smallest: angles[k] ≤ φ < angles[k+1] means
    # the ray at φ crosses the edge from vertex k to vertex k+1 (cyclically).
    start = int(np.argmin(vertex_angles[order]))
    order = np.concatenate((order[start:], order[:start]))
    pts = rel[order]
    angles = vertex_angles[order]
    edge_start = pts
    edge = _next(pts) - pts
    cross_ae = edge_start[:, 0] * edge[:, 1] - edge_start[:, 1] * edge[:, 0]

    def hit(phi: np.ndarray) -> np.ndarray:
        wrapped = (phi + np.pi) % (2 * np.pi) - np.pi
        k = (np.searchsorted(angles, wrapped, side="right") - 1) % n
        denom = u[:, 0] * edge[k, 1] - u[:, 1] * edge[k, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return cross_ae[k] / denom

    forward = hit(theta)
    backward = -hit(theta + np.pi)
    if not (np.all(forward > 0) and np.all(backward > 0)):
        return None
    return forward, backward


def diameters_through(center: Point, polygon: Sequence[Point]) -> tuple[float, float] | None:
    """Minimum and maximum chord of ``polygon`` through ``center`` (SPEC §5 lumen diameters).

    A chord in direction ``u`` runs from the first crossing along ``−u`` to the first crossing
    along ``+u``. Candidate directions: towards every vertex (where the maximum of a convex
    polygon lies), perpendicular to every edge, and a 0.5° sweep. Unit of the points; None when
    ``center`` is not enclosed (some direction has no crossing).
    """
    xy = np.asarray(polygon, dtype=float)
    c = np.asarray(center, dtype=float)
    rel = xy - c
    vertex_angles = np.arctan2(rel[:, 1], rel[:, 0])
    e = _next(xy) - xy
    own = np.concatenate([vertex_angles, np.arctan2(e[:, 0], -e[:, 1])])  # + edge normals
    theta = np.concatenate([own, _SWEEP_THETA])
    u = np.concatenate([np.stack([np.cos(own), np.sin(own)], axis=1), _SWEEP_U])
    star = _star_line_hits(rel, vertex_angles, u, theta)
    if star is not None:
        forward, backward = star
    else:
        t = line_hits(center, u, polygon)
        forward = np.where(t > 0, t, np.inf).min(axis=1)
        backward = np.where(t < 0, -t, np.inf).min(axis=1)
    chords = forward + backward
    if not np.all(np.isfinite(chords)):
        return None
    return float(chords.min()), float(chords.max())
