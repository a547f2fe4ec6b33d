"""Polar resampling around the catheter (the image centre), at reduced resolution.

Every IVOCT A-line starts at the catheter, so the frame is analysed as a polar image
``P[angle, radius]``: angle ``j`` is ``360·j/n_angles`` degrees clockwise on screen from
3 o'clock (SPEC §3), radius sample ``i`` is ``i·step_px`` image pixels from the centre.
The frame is first block-averaged to the radial step (speckle is averaged, not aliased).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

RADIAL_STEP_MM = 0.02  # polar radial resolution: 20 µm (the border is refined below it)


@dataclass(frozen=True)
class PolarGeometry:
    """How a polar image maps back to SPEC §3 pixel coordinates of the frame."""

    center_x_px: float
    center_y_px: float
    step_px: float  # image pixels per radial sample
    n_angles: int
    n_radii: int

    def angles_rad(self) -> np.ndarray:
        return np.arange(self.n_angles) * (2 * math.pi / self.n_angles)

    def to_xy_px(self, angle_rad: np.ndarray, radius_samples: np.ndarray) -> np.ndarray:
        r_px = np.asarray(radius_samples, dtype=float) * self.step_px
        return np.stack(
            [
                self.center_x_px + r_px * np.cos(angle_rad),
                self.center_y_px + r_px * np.sin(angle_rad),
            ],
            axis=-1,
        )


@lru_cache(maxsize=8)
def _bilinear_sampler(
    m: int, n: int, scx: float, scy: float, n_angles: int, n_radii: int
) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the 4 neighbours of every polar sample and their bilinear weights
    (the same for every frame of a pullback: computed once). Samples stay inside the image."""
    theta = np.arange(n_angles) * (2 * math.pi / n_angles)
    r = np.arange(n_radii, dtype=np.float64)
    xs = np.clip(scx + np.cos(theta)[:, None] * r[None, :], 0, n - 1.000001).ravel()
    ys = np.clip(scy + np.sin(theta)[:, None] * r[None, :], 0, m - 1.000001).ravel()
    x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    fx, fy = xs - x0, ys - y0
    index = np.stack([y0 * n + x0, y0 * n + x0 + 1, (y0 + 1) * n + x0, (y0 + 1) * n + x0 + 1])
    weight = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
    index.setflags(write=False)
    weight = weight.astype(np.float32)
    weight.setflags(write=False)
    return index, weight


def block_factor(pixel_spacing_mm: float) -> int:
    return max(1, int(round(RADIAL_STEP_MM / pixel_spacing_mm)))


def to_polar(
    image: np.ndarray, *, pixel_spacing_mm: float, n_angles: int
) -> tuple[np.ndarray, PolarGeometry]:
    """``image`` (rows × columns, any numeric type, grayscale) → (P float32 in [0, 1] scaled by
    the image's own bright level, geometry). The catheter is the image centre."""
    img = np.asarray(image)
    if img.ndim == 3:  # colour-mapped frames: luminance
        img = img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    rows, columns = img.shape
    b = block_factor(pixel_spacing_mm)
    m, n = rows // b, columns // b
    if b > 1:
        # block sums by strided adds (contiguous, integer where the image is): far faster
        # than a mean over a reshaped array's inner axes
        work = img[: m * b, : n * b]
        acc_type = np.uint32 if work.dtype.kind in "ui" else np.float32
        rows_sum: np.ndarray = work[0::b].astype(acc_type)
        for k in range(1, b):
            rows_sum += work[k::b]
        block = rows_sum[:, 0::b].copy()
        for k in range(1, b):
            block += rows_sum[:, k::b]
        small = block.astype(np.float32) * np.float32(1.0 / (b * b))
    else:
        small = img.astype(np.float32)
    cx, cy = (columns - 1) / 2.0, (rows - 1) / 2.0
    scx, scy = (cx + 0.5) / b - 0.5, (cy + 0.5) / b - 0.5
    n_radii = int(min(scx, scy, n - 1 - scx, m - 1 - scy))
    geometry = PolarGeometry(cx, cy, float(b), n_angles, n_radii)
    index, weight = _bilinear_sampler(m, n, scx, scy, n_angles, n_radii)
    flat = small.ravel()
    polar = (flat[index] * weight).sum(axis=0, dtype=np.float32).reshape(n_angles, n_radii)
    # the image's own bright level (a subsample is enough for a percentile)
    level = float(np.percentile(polar[:, n_radii // 8 :: 2], 99.5)) or 1.0
    polar *= np.float32(1.0 / level)
    np.clip(polar, 0, 1.5, out=polar)
    return polar, geometry
