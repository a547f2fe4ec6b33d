"""Closed (periodic) cubic splines through control points, sampled densely (SPEC §4, §5).

A smooth contour is kept as its control points and stored as its densely sampled curve, so
every consumer measures the curve. The spline is the closed periodic cubic spline through the
points in the order given, parametrised by chord length (the viewer's editor uses the same
definition, so a contour edited there and one proposed here are the same kind of curve).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import CubicSpline

MAX_VERTEX_SPACING_MM = 0.1  # SPEC §4: vertices of a stored smooth contour at most 0.1 mm apart


def closed_spline(control_px: np.ndarray) -> CubicSpline | None:
    """The periodic cubic spline through ``control_px`` (n × 2, x/y), or None below 3 points."""
    pts = np.asarray(control_px, dtype=float).reshape(-1, 2)
    if len(pts) < 3:
        return None
    closed = np.vstack([pts, pts[:1]])
    chords = np.hypot(*np.diff(closed, axis=0).T)
    if np.any(chords <= 1e-9):
        keep = chords > 1e-9  # drop a point that repeats its successor
        pts = pts[keep]
        if len(pts) < 3:
            return None
        closed = np.vstack([pts, pts[:1]])
        chords = np.hypot(*np.diff(closed, axis=0).T)
    t = np.concatenate([[0.0], np.cumsum(chords)])
    return CubicSpline(t, closed, bc_type="periodic", axis=0)


def sample_closed_spline(
    control_px: np.ndarray,
    *,
    pixel_spacing_mm: float,
    max_spacing_mm: float = MAX_VERTEX_SPACING_MM,
    min_points: int = 32,
) -> np.ndarray:
    """The spline through ``control_px`` sampled with vertices at most ``max_spacing_mm`` apart
    (along the curve, so the chords are shorter still). Returns an (m × 2) array in px."""
    spline = closed_spline(control_px)
    if spline is None:
        return np.asarray(control_px, dtype=float).reshape(-1, 2)
    knots = spline.x
    # the chord-length parameter underestimates arc length a little (≈ 0.3 % for 24 points on
    # a circle): sample with a margin; every control point is a vertex of the curve
    step_px = 0.8 * max_spacing_mm / pixel_spacing_mm
    spans = np.diff(knots)
    per_span = np.maximum(1, np.ceil(spans / step_px)).astype(int)
    extra = max(0, min_points - int(per_span.sum()))
    if extra:
        per_span = per_span + int(math.ceil(extra / len(per_span)))
    t = np.concatenate(
        [k0 + np.arange(n) * (d / n) for k0, d, n in zip(knots[:-1], spans, per_span, strict=True)]
    )
    return np.asarray(spline(t))


def polygon_area_px2(points: np.ndarray) -> float:
    x, y = np.asarray(points, dtype=float).T
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)
