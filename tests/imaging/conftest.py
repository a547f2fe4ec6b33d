"""Synthetic pullbacks with every artefact (blood residue, side branches, guidewire, struts,
malapposition, calcium, a stenosis) and their ground truth, analysed once per module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from adjudication.dicom.synthetic import synthetic_frames
from adjudication.imaging import PullbackProposal, analyse_pullback

PIXEL_SPACING_MM = 0.01


@dataclass
class Analysed:
    images: list[np.ndarray]
    truth: list[dict[str, Any]]
    proposal: PullbackProposal
    center: tuple[float, float]


def analyse(seed: int, n_frames: int = 60, size: int = 512) -> Analysed:
    frames = list(
        synthetic_frames(
            n_frames=n_frames, rows=size, columns=size, seed=seed, pixel_spacing_mm=PIXEL_SPACING_MM
        )
    )
    images = [f[0] for f in frames]
    truth = [f[1] for f in frames]
    proposal = analyse_pullback(images, pixel_spacing_mm=PIXEL_SPACING_MM)
    c = (size - 1) / 2.0
    return Analysed(images, truth, proposal, (c, c))


@pytest.fixture(scope="session")
def analysed() -> Analysed:
    return analyse(seed=11)
