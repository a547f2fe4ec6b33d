"""Longitudinal (L-mode) view of a pullback: one line through the catheter, frame after frame.

Geometry (SPEC §3): the line passes through the image centre ``((columns − 1)/2, (rows − 1)/2)``
(pixel centres at integer coordinates) along ``angle_deg``, measured clockwise on screen from
3 o'clock. ``R = min(rows, columns) // 2``; the image is ``n_frames`` wide (column ``f`` is frame
``f``, distal → proximal) and ``2R`` high: row ``i`` samples the point at signed distance
``t = R − 0.5 − i`` pixels from the centre in direction ``angle_deg``, so row 0 is the border at
``angle_deg`` and the last row the border at ``angle_deg + 180``. Samples are bilinear.

Input frames are the stored frame images (what readers see), decoded one at a time.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable

import numpy as np
from PIL import Image


def lmode_sample_points(*, rows: int, columns: int, angle_deg: float) -> np.ndarray:
    """The ``(2R, 2)`` array of ``(x, y)`` pixel positions sampled for each L-mode row."""
    radius = min(rows, columns) // 2
    t = radius - 0.5 - np.arange(2 * radius, dtype=np.float64)
    theta = math.radians(angle_deg)
    xs = (columns - 1) / 2.0 + t * math.cos(theta)
    ys = (rows - 1) / 2.0 + t * math.sin(theta)
    return np.stack([np.clip(xs, 0, columns - 1), np.clip(ys, 0, rows - 1)], axis=1)


class _Bilinear:
    """Precomputed bilinear gather for fixed sample points (same for every frame)."""

    def __init__(self, points: np.ndarray, *, rows: int, columns: int) -> None:
        x, y = points[:, 0], points[:, 1]
        x0 = np.floor(x).astype(np.intp)
        y0 = np.floor(y).astype(np.intp)
        self.x0, self.y0 = x0, y0
        self.x1 = np.minimum(x0 + 1, columns - 1)
        self.y1 = np.minimum(y0 + 1, rows - 1)
        fx, fy = (x - x0).astype(np.float32), (y - y0).astype(np.float32)
        self.w = [(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy]

    def __call__(self, image: np.ndarray) -> np.ndarray:
        corners = [
            image[self.y0, self.x0],
            image[self.y0, self.x1],
            image[self.y1, self.x0],
            image[self.y1, self.x1],
        ]
        out = np.zeros(corners[0].shape, dtype=np.float32)
        for weight, values in zip(self.w, corners, strict=True):
            out += (weight[:, None] if values.ndim == 2 else weight) * values
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def lmode_array(
    frames: Iterable[bytes], *, rows: int, columns: int, angle_deg: float
) -> np.ndarray:
    """The L-mode image as uint8 ``(2R, n_frames)`` (grayscale) or ``(2R, n_frames, 3)``."""
    sampler = _Bilinear(
        lmode_sample_points(rows=rows, columns=columns, angle_deg=angle_deg),
        rows=rows,
        columns=columns,
    )
    columns_out = []
    for data in frames:
        with Image.open(io.BytesIO(data)) as opened:
            image: Image.Image = opened
            if image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            pixels = np.asarray(image)
        columns_out.append(sampler(pixels))
    if not columns_out:
        raise ValueError("an L-mode image needs at least one frame")
    return np.stack(columns_out, axis=1)


def png_bytes(array: np.ndarray) -> bytes:
    """A uint8 grayscale or RGB array encoded as PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()
