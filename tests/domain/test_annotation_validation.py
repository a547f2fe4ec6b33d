"""The annotation document gate (SPEC §4): valid documents parse, invalid ones name the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from adjudication.domain.annotations import empty_document, parse_document
from adjudication.domain.errors import AnnotationInvalid

SQUARE = [[10, 10], [90, 10], [90, 90], [10, 90]]
VALID: dict[str, Any] = {
    "stent": {"distal_frame": 40, "proximal_frame": 60},
    "calcium_segments": [{"start_frame": 45, "end_frame": 50}],
    "frames": {
        "48": {
            "lumen": SQUARE,
            "stent": [[20, 20], [80, 20], [80, 80], [20, 80]],
            "struts": [[20, 50], [80, 50]],
            "calcium": [{"arc": [[90, 50], [50, 90]], "thickness": [[5, 5], [5, 8]]}],
        },
        "49": {"calcium": [{"arc": [[90, 50], [50, 90]], "center": [50, 50]}]},
    },
}
LIMITS = {"n_frames": 100, "rows": 100, "columns": 100}


def test_it_accepts_the_spec_example_shape() -> None:
    doc = parse_document(VALID, **LIMITS)
    assert (doc.stent_distal_frame, doc.stent_proximal_frame) == (40, 60)
    assert doc.calcium_segments == ((45, 50),)
    assert list(doc.frames) == [48, 49]
    assert doc.frames[48].lumen == tuple((float(x), float(y)) for x, y in SQUARE)
    assert doc.frames[49].calcium[0].center == (50.0, 50.0)
    assert doc.frames[49].lumen is None and doc.frames[49].struts == ()


def test_it_accepts_the_empty_document() -> None:
    doc = parse_document(empty_document(), **LIMITS)
    assert doc.frames == {} and doc.calcium_segments is None and doc.stent_distal_frame is None


def _with(path: str, value: Any) -> dict:
    """VALID with the value at a slash-separated path replaced (``DELETE`` removes it)."""
    doc = copy.deepcopy(VALID)
    *parents, last = path.split("/")
    node: Any = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


DELETE = object()
BAD_DOCUMENTS = [
    ("not_an_object", ["frames"], "annotations"),
    ("unknown_top_level_key", _with("version", 3), "version"),
    ("frames_not_object", _with("frames", []), "frames"),
    ("frame_key_not_integer", _with("frames/abc", {}), "frames.abc"),
    ("frame_key_negative", _with("frames/-1", {}), "frames.-1"),
    ("frame_key_leading_zero", _with("frames/048", {}), "frames.048"),
    ("frame_key_beyond_pullback", _with("frames/100", {}), "frames.100"),
    ("unknown_frame_key", _with("frames/48/notes", "x"), "frames.48.notes"),
    ("point_not_pair", _with("frames/48/lumen/3", [10]), "frames.48.lumen[3]"),
    ("point_string", _with("frames/48/lumen/2", ["90", 90]), "frames.48.lumen[2]"),
    ("point_boolean", _with("frames/48/lumen/2", [True, 90]), "frames.48.lumen[2]"),
    ("point_nan", _with("frames/48/lumen/1", [float("nan"), 10]), "frames.48.lumen[1]"),
    ("point_infinite", _with("frames/48/lumen/1", [float("inf"), 10]), "frames.48.lumen[1]"),
    ("point_outside_columns", _with("frames/48/lumen/1", [100.5, 10]), "frames.48.lumen[1]"),
    ("point_outside_rows", _with("frames/48/lumen/0", [10, -0.5]), "frames.48.lumen[0]"),
    ("polygon_too_short", _with("frames/48/lumen", [[10, 10], [20, 20]]), "frames.48.lumen"),
    (
        "polygon_self_intersecting",
        _with("frames/48/stent", [[20, 20], [80, 20], [20, 80], [80, 80]]),
        "frames.48.stent",
    ),
    ("polygon_not_list", _with("frames/48/lumen", {"x": 1}), "frames.48.lumen"),
    ("strut_outside_image", _with("frames/48/struts/1", [50, 101]), "frames.48.struts[1]"),
    ("stent_edges_reversed", _with("stent/distal_frame", 70), "stent.distal_frame"),
    ("stent_edge_missing", _with("stent/proximal_frame", DELETE), "stent.proximal_frame"),
    ("stent_edge_not_integer", _with("stent/proximal_frame", 60.5), "stent.proximal_frame"),
    ("stent_edge_beyond_pullback", _with("stent/proximal_frame", 100), "stent.proximal_frame"),
    ("stent_unknown_key", _with("stent/length_mm", 12), "stent.length_mm"),
    (
        "segment_reversed",
        _with("calcium_segments/0", {"start_frame": 50, "end_frame": 45}),
        "calcium_segments[0].start_frame",
    ),
    ("segments_not_list", _with("calcium_segments", {}), "calcium_segments"),
    (
        "calcium_without_center_or_lumen",
        _with("frames/49/calcium/0/center", DELETE),
        "frames.49.calcium[0].center",
    ),
    (
        "calcium_arc_identical_points",
        _with("frames/48/calcium/0/arc", [[90, 50], [90, 50]]),
        "frames.48.calcium[0].arc",
    ),
    (
        "calcium_arc_on_center",
        _with("frames/49/calcium/0/arc", [[50, 50], [50, 90]]),
        "frames.49.calcium[0].arc[0]",
    ),
    (
        "calcium_arc_missing",
        _with("frames/48/calcium/0/arc", DELETE),
        "frames.48.calcium[0].arc",
    ),
    (
        "calcium_arc_three_points",
        _with("frames/48/calcium/0/arc", [[90, 50], [50, 90], [10, 50]]),
        "frames.48.calcium[0].arc",
    ),
    (
        "calcium_unknown_key",
        _with("frames/48/calcium/0/grade", 2),
        "frames.48.calcium[0].grade",
    ),
    (
        "too_many_polygon_points",
        _with("frames/48/lumen", [[i % 100, 0] for i in range(1001)]),
        "frames.48.lumen",
    ),
    (
        "too_many_struts",
        _with("frames/48/struts", [[50, 50]] * 501),
        "frames.48.struts",
    ),
    (
        "too_many_calcium_entries",
        _with("frames/49/calcium", [{"arc": [[90, 50], [50, 90]], "center": [50, 50]}] * 21),
        "frames.49.calcium",
    ),
]


@pytest.mark.parametrize(
    ("document", "field"),
    [(doc, field) for _, doc, field in BAD_DOCUMENTS],
    ids=[name for name, _, _ in BAD_DOCUMENTS],
)
def test_it_refuses_an_invalid_document_naming_the_field(document: Any, field: str) -> None:
    with pytest.raises(AnnotationInvalid) as caught:
        parse_document(document, **LIMITS)
    assert caught.value.field == field
    assert caught.value.code == "annotation_invalid"


def test_it_refuses_more_than_2000_frames() -> None:
    document = {"frames": {str(i): {} for i in range(2001)}}
    with pytest.raises(AnnotationInvalid) as caught:
        parse_document(document)
    assert caught.value.field == "frames"


def test_it_checks_image_bounds_only_when_they_are_known() -> None:
    # Before ingest has measured the pullback, the document can still be checked structurally.
    far = _with("frames/48/struts/1", [5000, 5000])
    assert parse_document(far).frames[48].struts[1] == (5000.0, 5000.0)


def test_it_accepts_a_closing_point_equal_to_the_first() -> None:
    closed = _with("frames/48/lumen", [*SQUARE, SQUARE[0]])
    assert parse_document(closed, **LIMITS).frames[48].lumen is not None
