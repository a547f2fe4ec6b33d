"""Analysis frames and reference segments along the pullback (SPEC §5).

Frame ``i`` lies ``i × frame_spacing_mm`` from frame 0 (frames run distal → proximal, spacing
constant within a pullback). Every length is turned into a whole number of frames by *rounding*
(``round(length_mm / frame_spacing_mm)``), never by comparing accumulated distances: a frame
spacing of 0.11111 mm (from longitudinal distances) and of 0.111112 mm (from the frame time) of
one acquisition then give the same step (9 frames for 1 mm) and the same grid, where a
"first frame reaching 1.0 mm" rule gave every 10th frame for the first and every 9th for the
second (issue 11).
"""

from __future__ import annotations

import math


def frames_for_mm(length_mm: float, frame_spacing_mm: float) -> int:
    """``length_mm`` as a whole number of frames, rounded half up (≥ 0), SPEC §5."""
    if frame_spacing_mm <= 0:
        raise ValueError("frame spacing must be positive")
    return max(0, math.floor(length_mm / frame_spacing_mm + 0.5))


def sampling_step_frames(sampling_interval_mm: float, frame_spacing_mm: float) -> int:
    """``k = max(1, round(sampling_interval_mm / frame_spacing_mm))`` (SPEC §5).

    1 mm at 0.1111, 0.11111 or 0.111112 mm spacing is 9 frames, never 10 through float noise.
    """
    if frame_spacing_mm <= 0 or sampling_interval_mm <= 0:
        raise ValueError("frame spacing and sampling interval must be positive")
    return max(1, frames_for_mm(sampling_interval_mm, frame_spacing_mm))


def analysed_span(
    *,
    n_frames: int,
    frame_spacing_mm: float,
    stent_distal_frame: int | None,
    stent_proximal_frame: int | None,
    reference_length_mm: float,
) -> tuple[int, int] | None:
    """First and last frame of the analysed span (inclusive), SPEC §5.

    From ``reference_length_mm`` (rounded to frames) distal of the stent's distal edge to as far
    proximal of its proximal edge, clipped to the pullback. None without both stent edges or
    frames.
    """
    if stent_distal_frame is None or stent_proximal_frame is None or n_frames <= 0:
        return None
    steps = frames_for_mm(reference_length_mm, frame_spacing_mm)
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

    Distal: the ``round(reference_length_mm / frame_spacing_mm)`` frames before the distal edge
    (edge excluded); proximal: as many after the proximal edge (edge excluded); both clipped to
    the pullback (a range may be empty). None without both stent edges.
    """
    if stent_distal_frame is None or stent_proximal_frame is None:
        return None
    steps = frames_for_mm(reference_length_mm, frame_spacing_mm)
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
    whole_pullback: bool = False,
) -> list[int]:
    """The frames proposed for analysis, ascending (SPEC §5).

    With ``k`` = :func:`sampling_step_frames`: the frames ``stent_distal_frame + j·k`` (any
    integer ``j``) inside the analysed span (:func:`analysed_span`), plus the proximal edge
    itself. ``whole_pullback`` (a ``pre`` pullback, which has no stent): the frames ``j·k`` over
    the whole pullback. An empty list (not None) for a stented timepoint without both stent
    edges: there is no span to sample.
    """
    k = sampling_step_frames(sampling_interval_mm, frame_spacing_mm)
    if whole_pullback:
        return list(range(0, max(0, n_frames), k))
    span = analysed_span(
        n_frames=n_frames,
        frame_spacing_mm=frame_spacing_mm,
        stent_distal_frame=stent_distal_frame,
        stent_proximal_frame=stent_proximal_frame,
        reference_length_mm=reference_length_mm,
    )
    if span is None or stent_distal_frame is None or stent_proximal_frame is None:
        return []
    first, last = span
    # The first grid frame at or after ``first``: distal + j·k with the smallest such j.
    start = stent_distal_frame - ((stent_distal_frame - first) // k) * k
    grid = set(range(start, last + 1, k))
    if first <= stent_proximal_frame <= last:
        grid.add(stent_proximal_frame)
    return sorted(grid)
