"""Is a read complete enough to submit? (SPEC §2)

A read is incomplete when a post-procedure or follow-up read has no stent edges, when an
analysis frame has no lumen contour, or when an analysis frame inside the stent has neither
struts nor a stent contour. Calcium is marked where present and is never required.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .annotations import AnnotationDocument
from .frames import analysis_frames

STENTED_TIMEPOINTS = ("post", "followup")


@dataclass(frozen=True)
class Completeness:
    """What a read still lacks. ``frames``: the analysis frames lacking something, ascending;
    ``missing``: per such frame what it lacks (``lumen``, ``struts_or_stent``);
    ``stent_edges_missing``: a stented timepoint without both edges; ``analysis_frames``: the
    grid the check used (from the read's own stent edges)."""

    analysis_frames: list[int]
    frames: list[int] = field(default_factory=list)
    missing: dict[int, list[str]] = field(default_factory=dict)
    stent_edges_missing: bool = False

    @property
    def complete(self) -> bool:
        return not self.frames and not self.stent_edges_missing

    def message(self) -> str:
        """A sentence for the reader, naming what is missing first."""
        parts = []
        if self.stent_edges_missing:
            parts.append("the stent's distal and proximal edges are not marked")
        if self.frames:
            shown = ", ".join(str(f) for f in self.frames[:12])
            more = f" and {len(self.frames) - 12} more" if len(self.frames) > 12 else ""
            parts.append(f"analysis frames {shown}{more} are not fully annotated")
        return "The read is incomplete: " + "; ".join(parts) + "."


def read_completeness(
    doc: AnnotationDocument,
    *,
    timepoint: str,
    n_frames: int,
    frame_spacing_mm: float,
    sampling_interval_mm: float,
    reference_length_mm: float,
) -> Completeness:
    """The SPEC §2 completeness of one read against its own analysis frames (SPEC §5)."""
    grid = analysis_frames(
        n_frames=n_frames,
        frame_spacing_mm=frame_spacing_mm,
        stent_distal_frame=doc.stent_distal_frame,
        stent_proximal_frame=doc.stent_proximal_frame,
        sampling_interval_mm=sampling_interval_mm,
        reference_length_mm=reference_length_mm,
        whole_pullback=timepoint == "pre",
    )
    distal, proximal = doc.stent_distal_frame, doc.stent_proximal_frame
    edges_missing = timepoint in STENTED_TIMEPOINTS and (distal is None or proximal is None)
    missing: dict[int, list[str]] = {}
    for frame in grid:
        annotation = doc.frames.get(frame)
        lacks = []
        if annotation is None or annotation.lumen is None:
            lacks.append("lumen")
        inside = distal is not None and proximal is not None and distal <= frame <= proximal
        if inside and (annotation is None or (not annotation.struts and annotation.stent is None)):
            lacks.append("struts_or_stent")
        if lacks:
            missing[frame] = lacks
    return Completeness(
        analysis_frames=grid,
        frames=sorted(missing),
        missing=missing,
        stent_edges_missing=edges_missing,
    )
