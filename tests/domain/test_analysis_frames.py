"""Analysis frames and reference segments along the pullback (SPEC §5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adjudication.domain.frames import analysis_frames, reference_frame_ranges

CASES = json.loads((Path(__file__).parents[1] / "data" / "analysis_frames_cases.json").read_text())[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_it_proposes_the_hand_computed_analysis_frames(case: dict) -> None:
    frames = analysis_frames(
        n_frames=case["n_frames"],
        frame_spacing_mm=case["frame_spacing_mm"],
        stent_distal_frame=case["stent_distal_frame"],
        stent_proximal_frame=case["stent_proximal_frame"],
        sampling_interval_mm=case["sampling_interval_mm"],
        reference_length_mm=case["reference_length_mm"],
        whole_pullback=case.get("whole_pullback", False),
    )
    assert frames == case["analysis_frames"]


def test_it_keeps_reference_segments_beyond_the_edges_and_inside_the_pullback() -> None:
    ranges = reference_frame_ranges(
        n_frames=230,
        frame_spacing_mm=0.1111,
        stent_distal_frame=100,
        stent_proximal_frame=200,
        reference_length_mm=5.0,
    )
    assert ranges is not None
    distal, proximal = ranges
    # 45 frames (4.9995 mm) each side, edges excluded; the proximal side is cut at frame 229.
    assert (distal.start, distal.stop) == (55, 100)
    assert (proximal.start, proximal.stop) == (201, 230)


def test_it_has_no_reference_segments_without_stent_edges() -> None:
    assert (
        reference_frame_ranges(
            n_frames=100,
            frame_spacing_mm=0.1,
            stent_distal_frame=None,
            stent_proximal_frame=50,
            reference_length_mm=5.0,
        )
        is None
    )
