"""Analysis frames and reference segments along the pullback (SPEC §5).

Frame ``i`` lies ``i × frame_spacing_mm`` from frame 0 (frames run distal → proximal, spacing
constant within a pullback). Distances are compared with a tiny tolerance (``_EPS_MM``) so that
float noise (9 × 20/180 = 0.99999…) does not move a frame, while a genuinely shorter distance
(9 × 0.1111 = 0.9999 mm) still does not "reach" 1.0 mm.
"""

from __future__ import annotations

import math

_EPS_MM = 1e-9


def _frames_within(length_mm: float, frame_spacing_mm: float) -> int:
    """How many whole frame steps fit in ``length_mm`` (≥ 0)."""
    return max(0, math.floor(length_mm / frame_spacing_mm + _EPS_MM / frame_spacing_mm))


def analysed_span(
    *,
    n_frames: int,
    frame_spacing_mm: float,
    stent_distal_frame: int | None,
    stent_proximal_frame: int | None,
    reference_length_mm: float,
) -> tuple[int, int] | None:
    """First and last frame of the analysed span (inclusive), SPEC §5.

    From ``reference_length_mm`` distal of the stent's distal edge to ``reference_length_mm``
    proximal of its proximal edge, clipped to the pullback. None without both stent edges or
    frames.
    """
    if stent_distal_frame is None or stent_proximal_frame is None or n_frames <= 0:
        return None
    steps = _frames_within(reference_length_mm, frame_spacing_mm)
    first = max(0, stent_distal_frame - steps)
    last = min(n_frames - 1, stent_proximal_frame + steps)
    if first > last:
        return None
    return first, last


def reference_frame_ranges(
    *,
    n_frames: int,
    frame_spacing_mm: float,
    stent_distal_frame: int | None,
    stent_proximal_frame: int | None,
    reference_length_mm: float,
) -> tuple[range, range] | None:
    """The distal and proximal reference segments as frame ranges (SPEC §5).

    Distal: frames within ``reference_length_mm`` before the distal edge (edge excluded);
    proximal: frames within ``reference_length_mm`` after the proximal edge (edge excluded);
    both clipped to the pullback (a range may be empty). None without both stent edges.
    """
    if stent_distal_frame is None or stent_proximal_frame is None:
        return None
    steps = _frames_within(reference_length_mm, frame_spacing_mm)
    distal = range(max(0, stent_distal_frame - steps), max(0, stent_distal_frame))
    proximal = range(
        min(n_frames, stent_proximal_frame + 1), min(n_frames, stent_proximal_frame + steps + 1)
    )
    return distal, proximal


def analysis_frames(
    *,
    n_frames: int,
    frame_spacing_mm: float,
    stent_distal_frame: int | None,
    stent_proximal_frame: int | None,
    sampling_interval_mm: float,
    reference_length_mm: float,
) -> list[int]:
    """The frames proposed for analysis, ascending (SPEC §5).

    The first frame of the analysed span (see :func:`analysed_span`), then every frame whose
    distance from the previous analysis frame reaches ``sampling_interval_mm``, up to the span's
    end. With 0.1111 mm spacing and 1.0 mm interval that is every 10th frame (9 frames are only
    0.9999 mm); with exactly 20/180 mm it is every 9th. An empty list (not None) without both
    stent edges: there is no span to sample.
    """
    if frame_spacing_mm <= 0 or sampling_interval_mm <= 0:
        raise ValueError("frame spacing and sampling interval must be positive")
    span = analysed_span(
        n_frames=n_frames,
        frame_spacing_mm=frame_spacing_mm,
        stent_distal_frame=stent_distal_frame,
        stent_proximal_frame=stent_proximal_frame,
        reference_length_mm=reference_length_mm,
    )
    if span is None:
        return []
    first, last = span
    step = max(1, math.ceil(sampling_interval_mm / frame_spacing_mm - _EPS_MM / frame_spacing_mm))
    # ceil can undershoot by one when the quotient sits just above an integer; check in mm.
    while step * frame_spacing_mm < sampling_interval_mm - _EPS_MM:
        step += 1
    while step > 1 and (step - 1) * frame_spacing_mm >= sampling_interval_mm - _EPS_MM:
        step -= 1
    return list(range(first, last + 1, step))
