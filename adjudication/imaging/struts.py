"""Stent struts: a bright spot on the A-line followed by a shadow, at or inside the lumen border.

Per frame, on the full-resolution polar image: the signal just behind the lumen border is
compared with its angular neighbourhood; a narrow run of shadowed angles (narrower than
``MAX_SHADOW_MM`` of arc: wider ones are the guidewire, a side branch or calcium's edge) whose
A-lines carry a bright peak no further than ``BEYOND_BORDER_MM`` behind the border is a strut
candidate, placed at the peak (the centre of the strut's blooming). Across the pullback, the
stented region is the longest run of frames with at least ``MIN_STRUTS_STENTED`` candidates;
candidates outside it are dropped. The stent contour is the closed periodic cubic spline
through a frame's struts ordered by angle (SPEC §5), when it has ≥ 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter, percentile_filter

from .lumen import LumenResult
from .polar import PolarGeometry

SHADOW_RATIO = 0.5  # signal behind the border below half its neighbours': shadowed
MAX_SHADOW_MM = 0.16  # arc length of the widest strut shadow (a guidewire casts ~0.2–0.4 mm)
BEYOND_BORDER_MM = 0.12  # a strut's spot lies inside or at most this far behind the border
MIN_PEAK = 0.45  # image-relative brightness of a strut's blooming spot
GUIDEWIRE_MARGIN_DEG = 4.0
GUIDEWIRE_RATIO = 0.4
MIN_STRUTS_STENTED = 3
MAX_GAP_FRAMES = 3  # frames without struts inside a stent (a strut-free slice) bridged


@dataclass(frozen=True)
class StrutCandidate:
    x_px: float
    y_px: float
    angle_rad: float
    score: float  # 0..1: depth of the shadow × brightness of the spot


def detect_struts(
    polar: np.ndarray,
    geometry: PolarGeometry,
    lumen: LumenResult,
    *,
    pixel_spacing_mm: float,
) -> list[StrutCandidate]:
    n_a, n_r = polar.shape
    step_mm = geometry.step_px * pixel_spacing_mm
    theta = geometry.angles_rad()
    border = lumen.radius_at(theta)
    near = int(round(0.12 / step_mm))  # behind the blooming of a strut at the border
    depth = max(2, int(round(0.4 / step_mm)))
    idx = np.clip(
        np.round(border)[:, None].astype(int) + near + np.arange(depth)[None, :], 0, n_r - 1
    )
    behind = np.take_along_axis(polar, idx, axis=1).mean(axis=1)
    ratio = behind / np.maximum(
        median_filter(behind, size=max(5, n_a // 12) | 1, mode="wrap"), 1e-6
    )
    # the guidewire: the one widest shadow (against the neighbours' typical signal: a high
    # percentile, as struts and the guidewire can shadow much of a small lumen's turn), deep as
    # well (signal-poor tissue such as calcium has signal behind it); its sides fray
    deep_idx = np.clip(
        np.round(border)[:, None].astype(int) + near + np.arange(3 * depth)[None, :], 0, n_r - 1
    )
    deep = np.take_along_axis(polar, deep_idx, axis=1).mean(axis=1)
    wire_ratio = deep / np.maximum(
        percentile_filter(deep, 80, size=max(5, n_a // 6) | 1, mode="wrap"), 1e-6
    )
    arc_per_angle_mm = (2 * math.pi / n_a) * border * step_mm
    wire = np.zeros(n_a, dtype=bool)
    wide = [
        r for r in _runs(wire_ratio < GUIDEWIRE_RATIO) if arc_per_angle_mm[r].sum() > MAX_SHADOW_MM
    ]
    if wide:
        wire[max(wide, key=lambda r: float(np.sum(1 - wire_ratio[r])))] = True
    reach = int(round(GUIDEWIRE_MARGIN_DEG * n_a / 360))
    for k in range(1, reach + 1):
        wire |= np.roll(wire, k) | np.roll(wire, -k)
    out: list[StrutCandidate] = []
    beyond = int(round(BEYOND_BORDER_MM / step_mm))
    r_lo = max(2, lumen.sheath_samples)
    for sel in _runs(ratio < SHADOW_RATIO):
        if arc_per_angle_mm[sel].sum() > MAX_SHADOW_MM or wire[sel].any():
            continue
        weights = 1.0 - ratio[sel]
        # the angle: shadow-weighted centre (circular mean of the run's angles)
        angle = float(np.angle(np.sum(weights * np.exp(1j * theta[sel])))) % (2 * math.pi)
        line = polar[sel].max(axis=0) if len(sel) < 3 else polar[sel].mean(axis=0)
        hi = min(n_r - 2, int(np.max(np.round(border[sel]))) + beyond)
        if hi <= r_lo:
            continue
        seg = line[r_lo : hi + 1]
        k = int(np.argmax(seg))
        peak = float(seg[k])
        if peak < MIN_PEAK:
            continue
        i = r_lo + k
        e0, e1, e2 = line[i - 1], line[i], line[i + 1]
        denom = e0 - 2 * e1 + e2
        delta = 0.5 * (e0 - e2) / denom if denom < -1e-6 else 0.0
        radius = i + float(np.clip(delta, -0.5, 0.5))
        x, y = geometry.to_xy_px(np.array(angle), np.array(radius))
        score = float(np.clip((1 - float(ratio[sel].min())) * min(peak, 1.0), 0, 1))
        out.append(StrutCandidate(float(x), float(y), angle, round(score, 3)))
    return out


def _runs(mask: np.ndarray) -> list[np.ndarray]:
    """Index arrays of the circular runs of True in ``mask``."""
    if not mask.any() or mask.all():
        return [np.arange(len(mask))] if mask.all() else []
    start = int(np.argmin(mask))  # rotate so that no run wraps around 0
    rolled = np.roll(mask, -start)
    edges = np.diff(np.concatenate([[0], rolled.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(np.arange(s, e) + start) % len(mask) for s, e in zip(starts, ends, strict=True)]


def stented_frames(counts: list[int]) -> tuple[int, int] | None:
    """(first, last) frame of the longest run of frames with ≥ MIN_STRUTS_STENTED candidates,
    bridging gaps of up to MAX_GAP_FRAMES; None when no frame qualifies."""
    hits = [i for i, c in enumerate(counts) if c >= MIN_STRUTS_STENTED]
    if not hits:
        return None
    runs: list[list[int]] = [[hits[0], hits[0]]]
    for i in hits[1:]:
        if i - runs[-1][1] <= MAX_GAP_FRAMES + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    first, last = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
    if last - first < 2:
        return None
    return first, last
