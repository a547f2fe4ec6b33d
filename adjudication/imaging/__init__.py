"""Image analysis for the automatic pre-annotation (SPEC §11): numpy and scipy only.

No Django, pydicom or Pillow here (a purity test enforces it): frames come in as arrays, the
proposal goes out as a SPEC §4 document in SPEC §3 pixel coordinates.

The analysis (and scipy with it) loads on first use of one of its names, so web processes that
only read the algorithm's name and version never import scipy.
"""

from __future__ import annotations

from typing import Any

from .identity import ALGORITHM, ALGORITHM_VERSION, LOW_CONFIDENCE

_ANALYSIS = ("FrameProposal", "PullbackProposal", "analyse_frame", "analyse_pullback")


def __getattr__(name: str) -> Any:
    if name in _ANALYSIS:
        from . import pullback

        return getattr(pullback, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ALGORITHM", "ALGORITHM_VERSION", "LOW_CONFIDENCE", *_ANALYSIS]
