"""Provenance of a read's contours (SPEC §11): how much of a read is the proposal, unedited.

Two readers who both accept one automatic proposal unedited did not measure independently;
``auto_accepted_pct`` says how often that happened in a read, so agreement can be judged
with it in mind.
"""

from __future__ import annotations

from .annotations import AnnotationDocument


def auto_accepted_pct(doc: AnnotationDocument) -> float | None:
    """Annotated lumen contours whose ``source.lumen`` is ``auto`` (accepted unedited), as a
    percentage of the annotated lumen contours; None when the read has no lumen contour."""
    lumens = [frame for frame in doc.frames.values() if frame.lumen is not None]
    if not lumens:
        return None
    accepted = sum(1 for frame in lumens if frame.source_of("lumen") == "auto")
    return 100.0 * accepted / len(lumens)
