"""Accuracy of a proposal against ground truth (known-answer tests and ``bench/auto_annotate.py``).

Contours are compared as star-shaped curves around the catheter (every lumen and stent in an
IVOCT frame is seen from it): the radius of each curve along many rays gives the overlap area
exactly enough for Dice; contour distance is point-to-segment, both ways.
"""

from __future__ import annotations

import math

import numpy as np

N_RAYS = 720


def radial_profile(points_px: np.ndarray, center: tuple[float, float]) -> np.ndarray:
    """Distance from ``center`` to the closed polygon along N_RAYS rays (farthest hit)."""
    pts = np.asarray(points_px, dtype=float) - np.asarray(center, dtype=float)
    a, b = pts, np.roll(pts, -1, axis=0)
    theta = np.arange(N_RAYS) * (2 * math.pi / N_RAYS)
    d = np.stack([np.cos(theta), np.sin(theta)], axis=1)  # rays
    e = b - a  # edges
    # solve t·d = a + s·e  →  t = cross(a, e)/cross(d, e), s = cross(a, d)/cross(d, e)
    den = d[:, None, 0] * e[None, :, 1] - d[:, None, 1] * e[None, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (a[None, :, 0] * e[None, :, 1] - a[None, :, 1] * e[None, :, 0]) / den
        s = (a[None, :, 0] * d[:, None, 1] - a[None, :, 1] * d[:, None, 0]) / den
    ok = (np.abs(den) > 1e-12) & (t > 0) & (s >= 0) & (s <= 1)
    return np.asarray(np.where(ok, t, 0.0).max(axis=1))


def dice(points_a: np.ndarray, points_b: np.ndarray, center: tuple[float, float]) -> float:
    ra, rb = radial_profile(points_a, center), radial_profile(points_b, center)
    inter = np.sum(np.minimum(ra, rb) ** 2)
    return float(2 * inter / (np.sum(ra**2) + np.sum(rb**2)))


def _point_segment_distances(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    a = polygon
    b = np.roll(polygon, -1, axis=0)
    ab = b - a
    ap = points[:, None, :] - a[None, :, :]
    t = np.clip(np.sum(ap * ab[None], axis=2) / np.maximum(np.sum(ab * ab, axis=1), 1e-12), 0, 1)
    closest = a[None] + t[..., None] * ab[None]
    return np.asarray(np.hypot(*(points[:, None, :] - closest).transpose(2, 0, 1)).min(axis=1))


def mean_contour_distance_px(points_a: np.ndarray, points_b: np.ndarray) -> float:
    a = np.asarray(points_a, dtype=float)
    b = np.asarray(points_b, dtype=float)
    return float(
        (_point_segment_distances(a, b).mean() + _point_segment_distances(b, a).mean()) / 2
    )


def polygon_area_px2(points: np.ndarray) -> float:
    x, y = np.asarray(points, dtype=float).T
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def match_points(found: np.ndarray, truth: np.ndarray, tolerance_px: float) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives): greedy one-to-one matching of the
    closest pairs within ``tolerance_px``."""
    found = np.asarray(found, dtype=float).reshape(-1, 2)
    truth = np.asarray(truth, dtype=float).reshape(-1, 2)
    if not len(found) or not len(truth):
        return 0, len(found), len(truth)
    dist = np.hypot(*(found[:, None, :] - truth[None, :, :]).transpose(2, 0, 1))
    tp = 0
    used_f: set[int] = set()
    used_t: set[int] = set()
    for flat in np.argsort(dist, axis=None):
        i, j = divmod(int(flat), dist.shape[1])
        if dist[i, j] > tolerance_px:
            break
        if i in used_f or j in used_t:
            continue
        used_f.add(i)
        used_t.add(j)
        tp += 1
    return tp, len(found) - tp, len(truth) - tp
