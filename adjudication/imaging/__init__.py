"""Image analysis for the automatic pre-annotation (SPEC §11): numpy and scipy only.

No Django, pydicom or Pillow here (a purity test enforces it): frames come in as arrays, the
proposal goes out as a SPEC §4 document in SPEC §3 pixel coordinates.
"""

from .pullback import (
    ALGORITHM,
    ALGORITHM_VERSION,
    LOW_CONFIDENCE,
    FrameProposal,
    PullbackProposal,
    analyse_frame,
    analyse_pullback,
)

__all__ = [
    "ALGORITHM",
    "ALGORITHM_VERSION",
    "LOW_CONFIDENCE",
    "FrameProposal",
    "PullbackProposal",
    "analyse_frame",
    "analyse_pullback",
]
