"""The luminal border of one frame as a minimum-cost closed path across angles.

In the polar image (``polar.py``) the lumen is dark and the wall bright, so the border is where
the mean intensity just outside a radius exceeds the mean just inside it (a step detector with
windows long enough that speckle and small blood swirls do not look like the wall). The path
through one radius per angle minimises ``−edge + smoothness`` by dynamic programming:

- smoothness: the radius moves at most ``MAX_STEP`` samples between neighbouring angles, with a
  quadratic penalty, so a bridged gap is a straight run (not a staircase);
- closure: the angle sequence is extended by an eighth of a turn on both sides and the middle
  turn kept, so the start and end meet;
- shadows (guidewire, struts; found as angles with far less signal behind their first bright
  structure than their neighbours, plus a few degrees of penumbra) carry no edge information:
  their angles have a neutral cost and the path bridges them smoothly from the wall on either
  side; the sheath and everything inside it is excluded;
- side-branch ostia: where the path bulges out beyond a robust low-order fit of the whole turn
  (it followed the branch's wall), those angles are made neutral and the path is found again,
  bridging the ostium as core labs draw it;
- the sequence: the previous frame's border (frames are ~0.1–0.2 mm apart) adds a capped
  quadratic prior, so one frame's artefact cannot pull the border far from its neighbours while
  a real change in the image still wins.

The radius is refined below the polar step to the 50 % point of the rise from lumen to wall,
smoothed a little along the angle, and returned as a closed periodic spline through
``N_CONTROL`` control points, densely sampled (SPEC §4). Confidence is the share of the turn
where the path sits on a clear edge, reduced when much of the turn is shadowed, when the border
hugs the sheath all round (blood not flushed), and (down to ``JUMP_FLOOR``) when it jumped far
from the previous frame's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import gaussian_filter1d, percentile_filter, uniform_filter1d

from .polar import PolarGeometry
from .spline import sample_closed_spline

N_DP_ANGLES = 180  # 2° per DP step (≈ 50 µm of arc at a 1.5 mm radius)
N_CONTROL = 24  # control points of the proposed contour (an editable number)
MAX_STEP = 4  # radial samples per DP angle step (80 µm per 2°)
SMOOTHNESS = 0.02  # quadratic penalty per (radial sample)² between neighbouring angles
FRONT_MM = 0.16  # window just outside a candidate border
BACK_MM = 0.08  # window just inside it
EDGE_STRONG = 0.25  # edge strength (image-relative) counted as a clear border
SHADOW_RATIO = 0.4  # signal behind the first bright structure < 40 % of the neighbours': shadow
PRIOR_WEIGHT = 0.1  # previous frame's border: weight of the capped quadratic prior
PRIOR_CAP_MM = 0.25  # ... reached at this distance
OSTIUM_MM = 0.25  # outward bulge of the path beyond a robust smooth fit: a side-branch ostium
JUMP_FLOOR = 0.6  # a jump from the previous frame alone never marks a frame low-confidence
HUG_MM = 0.15  # a border this close to the sheath touches it
DEEP_FACTOR = 2.0  # outside signal: at most this × the mean over three times the window
PENUMBRA_DEG = 4.0  # angles this close to a shadow still see the blooming: no edge information


@dataclass(frozen=True)
class LumenResult:
    radius_samples: np.ndarray  # border radius per DP angle, in polar samples (sub-sample)
    contour_px: np.ndarray  # dense closed contour (m × 2), SPEC §3 px
    control_px: np.ndarray  # its control points (N_CONTROL × 2)
    confidence: float  # 0..1
    shadowed: np.ndarray  # bool per DP angle
    sheath_samples: int  # the border search starts here (behind the catheter sheath)

    def radius_at(self, angle_rad: np.ndarray) -> np.ndarray:
        """Border radius (polar samples) at any angles, periodic linear interpolation."""
        n = len(self.radius_samples)
        pos = np.mod(np.asarray(angle_rad) / (2 * math.pi) * n, n)
        i0 = np.floor(pos).astype(int) % n
        frac = pos - np.floor(pos)
        return np.asarray(
            self.radius_samples[i0] * (1 - frac) + self.radius_samples[(i0 + 1) % n] * frac
        )


def _halve_angles(polar: np.ndarray) -> np.ndarray:
    n = polar.shape[0]
    factor = max(1, n // N_DP_ANGLES)
    if factor == 1:
        return polar
    return np.asarray(polar[: (n // factor) * factor].reshape(n // factor, factor, -1).mean(axis=1))


def _sheath_radius(profile: np.ndarray, step_mm: float) -> int:
    """The sheath is the bright ring nearest the centre; the border search starts behind it."""
    limit = max(3, int(0.9 / step_mm))
    head = profile[:limit]
    peak = int(np.argmax(head))
    if head[peak] < 0.25:  # no visible sheath: start a little away from the centre
        return int(round(0.35 / step_mm))
    return peak + max(2, int(round(0.08 / step_mm)))


def _edge_strength(polar: np.ndarray, front: int, back: int) -> np.ndarray:
    """How much brighter the A-line is just outside radius ``i`` than just inside it.

    Outside: the smaller of the mean over ``front`` samples and 1.3 × the mean over three times
    that depth, so a short bright thing with darkness behind it (a strut's or the guidewire's
    blooming, a blood swirl) is a weaker edge than the wall, whose signal lasts. Inside: the mean
    over ``back`` samples. 0 where a window would leave the image."""
    n_a, n_r = polar.shape
    cs = np.zeros((n_a, n_r + 1), dtype=np.float32)
    np.cumsum(polar, axis=1, out=cs[:, 1:])
    edge = np.zeros((n_a, n_r), dtype=np.float32)
    deep = 3 * front
    i = np.arange(back, n_r - front)
    outside = (cs[:, i + front] - cs[:, i]) / front
    j = np.minimum(i + deep, n_r)
    outside_deep = (cs[:, j] - cs[:, i]) / (j - i)
    edge[:, i] = (
        np.minimum(outside, DEEP_FACTOR * outside_deep) - (cs[:, i] - cs[:, i - back]) / back
    )
    return edge


def _shadowed_angles(polar: np.ndarray, r_min: int, step_mm: float) -> np.ndarray:
    """Angles where the signal behind the first bright structure (the wall, or a guidewire or
    strut in front of it) is far weaker than at the neighbouring angles: a shadow."""
    n_a, n_r = polar.shape
    smooth = uniform_filter1d(polar[:, r_min:], size=max(3, int(round(0.1 / step_mm))), axis=1)
    peak = r_min + np.argmax(smooth, axis=1)
    near, far = int(round(0.12 / step_mm)), max(2, int(round(0.5 / step_mm)))
    idx = np.clip(peak[:, None] + np.arange(near, far)[None, :], 0, n_r - 1)
    tail = np.take_along_axis(polar, idx, axis=1).mean(axis=1)
    # the neighbours' typical signal: a high percentile over ±30°, since a stent's struts and
    # the guidewire can shadow half of a small lumen's turn
    reference = percentile_filter(tail, 80, size=max(3, n_a // 6) | 1, mode="wrap")
    shadow = tail < SHADOW_RATIO * np.maximum(reference, 1e-6)
    # the penumbra: the angles next to a shadow still see the blooming's front edge (±0.1 mm)
    reach = max(1, int(round(PENUMBRA_DEG * n_a / 360)))
    out = shadow.copy()
    for k in range(1, reach + 1):
        out |= np.roll(shadow, k) | np.roll(shadow, -k)
    return np.asarray(out)


def _dp_closed(cost: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Minimum-cost closed path (one radius index per angle) through ``cost`` (angles × radii),
    searched between radii ``lo`` and ``hi`` (exclusive)."""
    n_a = cost.shape[0]
    c = np.ascontiguousarray(cost[:, lo:hi], dtype=np.float32)
    n_r = c.shape[1]
    ext = max(4, n_a // 8)
    order = np.concatenate([np.arange(n_a - ext, n_a), np.arange(n_a), np.arange(ext)])
    shifts = np.arange(-MAX_STEP, MAX_STEP + 1)
    penalty = (SMOOTHNESS * shifts.astype(np.float32) ** 2)[None, :]
    acc = c[order[0]].copy()
    back = np.empty((len(order), n_r), dtype=np.int8)
    back[0] = 0
    rows = np.arange(n_r)
    padded = np.full(n_r + 2 * MAX_STEP, np.float32(1e6), dtype=np.float32)
    # window w of row r holds acc[r + w − MAX_STEP]: the predecessor at radius r + shift
    windows = sliding_window_view(padded, 2 * MAX_STEP + 1)
    inner = padded[MAX_STEP : MAX_STEP + n_r]
    for k in range(1, len(order)):
        inner[:] = acc
        total = windows + penalty
        best = total.argmin(axis=1)
        acc = total[rows, best]
        acc += c[order[k]]
        back[k] = best
    path = np.empty(len(order), dtype=np.int64)
    path[-1] = int(np.argmin(acc))
    for k in range(len(order) - 1, 0, -1):
        path[k - 1] = path[k] + back[k, path[k]] - MAX_STEP
    return path[ext : ext + n_a] + lo


def _refine(polar: np.ndarray, path: np.ndarray, back: int) -> np.ndarray:
    """Sub-sample border radius: where the A-line first rises through half-way between the
    lumen just inside the path and the wall's peak just outside it (the border's 50 % point),
    searched a few samples around the path; the path itself where there is no such rise."""
    n_a, n_r = polar.shape
    offsets = np.arange(-3, 6)
    idx = np.clip(path[:, None] + offsets[None, :], 0, n_r - 1)
    window = np.take_along_axis(polar, idx, axis=1)
    inner_idx = np.clip(path[:, None] - np.arange(1, back + 1)[None, :], 0, n_r - 1)
    lo = np.take_along_axis(polar, inner_idx, axis=1).mean(axis=1)
    hi = window[:, 3:].max(axis=1)
    mid = (lo + hi) / 2
    above = window >= mid[:, None]
    above[:, -1] = True
    k = np.argmax(above, axis=1)
    k = np.maximum(k, 1)
    a = np.arange(n_a)
    v0, v1 = window[a, k - 1], window[a, k]
    frac = np.clip((mid - v0) / np.maximum(v1 - v0, 1e-6), 0, 1)
    crossing = path + offsets[k - 1] + frac
    # the crossing is the 50 % point between sample centres k−1 and k
    ok = (hi - lo) > 0.1
    return np.where(ok, crossing, path.astype(float))


def _robust_smooth(radius: np.ndarray, valid: np.ndarray, harmonics: int = 4) -> np.ndarray:
    """A low-order Fourier fit of r(θ) over the valid angles, outliers down-weighted."""
    n = len(radius)
    theta = np.arange(n) * (2 * math.pi / n)
    cols = [np.ones(n)]
    for k in range(1, harmonics + 1):
        cols += [np.cos(k * theta), np.sin(k * theta)]
    basis = np.stack(cols, axis=1)
    w = valid.astype(float)
    fit = np.full(n, float(np.median(radius)))
    for _ in range(4):
        if w.sum() < 2 * harmonics + 3:
            break
        coef, *_ = np.linalg.lstsq(basis * w[:, None], radius * w, rcond=None)
        fit = basis @ coef
        resid = radius - fit
        scale = 1.4826 * float(np.median(np.abs(resid[valid]))) + 1e-3
        w = valid * np.clip(1 - (resid / (4 * scale)) ** 2, 0, 1) ** 2
    return fit


def detect_lumen(
    polar: np.ndarray,
    geometry: PolarGeometry,
    *,
    pixel_spacing_mm: float,
    previous: LumenResult | None = None,
) -> LumenResult:
    """The lumen border of one frame (``polar`` from ``to_polar``), guided by ``previous``."""
    step_mm = geometry.step_px * pixel_spacing_mm
    p = _halve_angles(polar)
    n_a, n_r = p.shape
    front = max(2, int(round(FRONT_MM / step_mm)))
    back = max(2, int(round(BACK_MM / step_mm)))
    r_min = _sheath_radius(p.mean(axis=0), step_mm)
    edge = _edge_strength(p, front, back)
    shadowed = _shadowed_angles(p, r_min, step_mm)
    cost = -edge
    lo = max(r_min, back)
    cost[:, :lo] = 1.0
    cost[:, n_r - front :] = 1.0
    cost[shadowed, lo : n_r - front] = 0.0
    if previous is not None and previous.confidence >= 0.5 and len(previous.radius_samples) == n_a:
        cap = PRIOR_CAP_MM / step_mm
        dist = (np.arange(n_r)[None, :] - previous.radius_samples[:, None]) / cap
        cost = cost + PRIOR_WEIGHT * np.minimum(dist * dist, 1.0)
    path = _dp_closed(cost, lo, n_r - front)
    radius = _refine(p, path, back)

    # Side-branch ostia: the path bulges out to the branch's wall; bridge them as core labs do.
    fit = _robust_smooth(radius, ~shadowed)
    bulge = (radius - fit) * step_mm > OSTIUM_MM
    if bulge.any():
        ostium = np.convolve(np.tile(bulge, 3), np.ones(5), mode="same")[n_a : 2 * n_a] > 0
        cost[ostium, lo : n_r - front] = 0.0
        shadowed = shadowed | ostium
        path = _dp_closed(cost, lo, n_r - front)
        radius = _refine(p, path, back)

    # bridged angles take the path (straight runs); everywhere a light smoothing along the angle
    radius = gaussian_filter1d(radius, 1.0, mode="wrap")
    strength = edge[np.arange(n_a), path]
    open_angles = ~shadowed
    coverage = float(open_angles.mean())
    clear = float((strength[open_angles] > EDGE_STRONG).mean()) if open_angles.any() else 0.0
    confidence = clear * min(1.0, coverage / 0.75)
    # a border hugging the sheath all round is no lumen (blood not flushed, catheter wedged)
    hug_samples = max(1, int(round(HUG_MM / step_mm)))
    hugging = float((path[open_angles] <= lo + hug_samples).mean()) if open_angles.any() else 1.0
    confidence *= float(np.clip(1 - (hugging - 0.25) / 0.35, 0.0, 1.0))
    if previous is not None and previous.confidence >= 0.5:
        jump_mm = float(np.median(np.abs(radius - previous.radius_samples))) * step_mm
        # a border far from the previous frame's is worth a second look, but the catheter can
        # move abruptly: with clear edges it lowers the confidence, never below JUMP_FLOOR
        confidence *= float(np.clip(1.5 - jump_mm / 0.2, JUMP_FLOOR, 1.0))

    theta_dp = np.arange(n_a) * (2 * math.pi / n_a)
    theta_ctrl = np.arange(N_CONTROL) * (2 * math.pi / N_CONTROL)
    r_ctrl = np.interp(theta_ctrl, theta_dp, radius, period=2 * math.pi)
    control = geometry.to_xy_px(theta_ctrl, r_ctrl)
    contour = sample_closed_spline(control, pixel_spacing_mm=pixel_spacing_mm)
    return LumenResult(radius, contour, control, round(float(confidence), 3), shadowed, lo)
