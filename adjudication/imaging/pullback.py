"""A whole pullback's proposal: lumen on every frame, strut candidates, the stent contour.

Frames are analysed in pullback order so each frame's border guides the next (``lumen.py``);
the stented region is decided once every frame's candidates are known (``struts.py``).
:meth:`PullbackProposal.document` is a SPEC §4 document (frames with ``lumen``,
``lumen_ctrl``, ``struts``, ``stent``, ``stent_ctrl``; ``stent`` edges) and
:meth:`PullbackProposal.confidence` the per-frame confidence of SPEC §11.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .lumen import LumenResult, detect_lumen
from .polar import to_polar
from .spline import sample_closed_spline
from .struts import StrutCandidate, detect_struts, stented_frames

N_POLAR_ANGLES = 360


@dataclass
class FrameProposal:
    lumen: LumenResult
    struts: list[StrutCandidate] = field(default_factory=list)


def analyse_frame(
    image: np.ndarray, *, pixel_spacing_mm: float, previous: LumenResult | None = None
) -> FrameProposal:
    """One frame (2-D grayscale or colour array): lumen border and strut candidates."""
    polar, geometry = to_polar(image, pixel_spacing_mm=pixel_spacing_mm, n_angles=N_POLAR_ANGLES)
    lumen = detect_lumen(polar, geometry, pixel_spacing_mm=pixel_spacing_mm, previous=previous)
    struts = detect_struts(polar, geometry, lumen, pixel_spacing_mm=pixel_spacing_mm)
    return FrameProposal(lumen, struts)


def _r(points: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 2), round(float(y), 2)] for x, y in points]


@dataclass
class PullbackProposal:
    pixel_spacing_mm: float
    frames: list[FrameProposal]
    stent_frames: tuple[int, int] | None

    def frame_entry(self, index: int) -> dict[str, Any]:
        """SPEC §4 frame entry (plus ``lumen_ctrl`` / ``stent_ctrl``) of frame ``index``."""
        proposal = self.frames[index]
        entry: dict[str, Any] = {
            "lumen": _r(proposal.lumen.contour_px),
            "lumen_ctrl": _r(proposal.lumen.control_px),
        }
        struts = self.struts(index)
        if struts:
            entry["struts"] = _r(np.array([[s.x_px, s.y_px] for s in struts]))
        if len(struts) >= 3:
            ctrl = _ordered_around(np.array([[s.x_px, s.y_px] for s in struts]))
            entry["stent"] = _r(sample_closed_spline(ctrl, pixel_spacing_mm=self.pixel_spacing_mm))
            entry["stent_ctrl"] = _r(ctrl)
        return entry

    def struts(self, index: int) -> list[StrutCandidate]:
        if self.stent_frames is None:
            return []
        first, last = self.stent_frames
        return self.frames[index].struts if first <= index <= last else []

    def confidence(self) -> dict[str, float]:
        return {str(i): f.lumen.confidence for i, f in enumerate(self.frames)}

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "frames": {str(i): self.frame_entry(i) for i in range(len(self.frames))}
        }
        if self.stent_frames is not None:
            doc["stent"] = {
                "distal_frame": self.stent_frames[0],
                "proximal_frame": self.stent_frames[1],
            }
        return doc


def _ordered_around(points: np.ndarray) -> np.ndarray:
    centre = points.mean(axis=0)
    angles = np.mod(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0]), 2 * math.pi)
    return points[np.argsort(angles)]


def analyse_pullback(
    frames: Iterable[np.ndarray],
    *,
    pixel_spacing_mm: float,
    progress: Callable[[int], None] | None = None,
) -> PullbackProposal:
    """Every frame in pullback order; ``progress(i)`` after frame ``i``."""
    results: list[FrameProposal] = []
    previous: LumenResult | None = None
    for i, image in enumerate(frames):
        proposal = analyse_frame(image, pixel_spacing_mm=pixel_spacing_mm, previous=previous)
        results.append(proposal)
        previous = proposal.lumen
        if progress is not None:
            progress(i)
    region = stented_frames([len(f.struts) for f in results])
    return PullbackProposal(pixel_spacing_mm, results, region)
