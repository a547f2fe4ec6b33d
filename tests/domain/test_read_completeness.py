"""SPEC §2 completeness of a read against its own analysis frames (domain/completeness.py)."""

from __future__ import annotations

from adjudication.domain.annotations import parse_document
from adjudication.domain.completeness import read_completeness

SQUARE = [[100, 100], [200, 100], [200, 200], [100, 200]]
STRUTS = [[110, 110], [190, 110], [150, 190]]


def _check(doc: dict, timepoint: str = "post", n_frames: int = 100) -> object:
    return read_completeness(
        parse_document(doc),
        timepoint=timepoint,
        n_frames=n_frames,
        frame_spacing_mm=0.2,
        sampling_interval_mm=1.0,
        reference_length_mm=2.0,
    )


def test_every_grid_frame_with_a_lumen_and_struts_inside_the_stent_is_complete() -> None:
    # k = 5, 10 reference frames: grid 30..60 step 5 around a stent 40..50.
    frames = {str(f): {"lumen": SQUARE} for f in range(30, 61, 5)}
    for f in (40, 45, 50):
        frames[str(f)]["struts"] = STRUTS
    result = _check({"stent": {"distal_frame": 40, "proximal_frame": 50}, "frames": frames})
    assert result.analysis_frames == [30, 35, 40, 45, 50, 55, 60]
    assert result.complete and result.frames == []


def test_missing_lumens_struts_and_edges_are_listed() -> None:
    frames = {str(f): {"lumen": SQUARE} for f in (30, 40, 50, 60)}
    frames["45"] = {"stent": SQUARE}  # a stent contour but no lumen
    frames["50"]["struts"] = STRUTS
    result = _check({"stent": {"distal_frame": 40, "proximal_frame": 50}, "frames": frames})
    assert result.frames == [35, 40, 45, 55]
    assert result.missing == {
        35: ["lumen"],
        40: ["struts_or_stent"],
        45: ["lumen"],
        55: ["lumen"],
    }
    no_edges = _check({"frames": frames})
    assert no_edges.stent_edges_missing and not no_edges.complete
    assert "edges" in no_edges.message()


def test_calcium_is_never_required_and_a_pre_read_needs_no_stent() -> None:
    frames = {str(f): {"lumen": SQUARE} for f in range(0, 20, 5)}
    result = _check({"frames": frames}, timepoint="pre", n_frames=20)
    assert result.analysis_frames == [0, 5, 10, 15]
    assert result.complete
