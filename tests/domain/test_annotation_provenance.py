"""Provenance and control points in a read's document (SPEC §4, §11), and the per-read
``auto_accepted_pct``."""

from __future__ import annotations

import math
from typing import Any

import pytest

from adjudication.domain.annotations import parse_document, parse_submitted_document
from adjudication.domain.errors import AnnotationInvalid
from adjudication.domain.provenance import auto_accepted_pct


def ring(r: float, n: int = 40, cx: float = 100, cy: float = 100) -> list[list[float]]:
    return [
        [cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]


def doc(**frame: Any) -> dict[str, Any]:
    return {"frames": {"3": {"lumen": ring(50), **frame}}}


def test_source_and_control_points_are_accepted() -> None:
    parsed = parse_document(
        doc(
            lumen_ctrl=ring(50, 12),
            stent=ring(45),
            stent_ctrl=ring(45, 8),
            struts=ring(45, 8),
            source={"lumen": "auto", "stent": "auto_edited", "struts": "manual"},
        ),
        n_frames=10,
        rows=200,
        columns=200,
    )
    frame = parsed.frames[3]
    assert frame.source_of("lumen") == "auto"
    assert frame.source_of("stent") == "auto_edited"
    assert frame.source_of("struts") == "manual"


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"source": {"lumen": "robot"}}, "frames.3.source.lumen"),
        ({"source": {"calcium": "auto"}}, "frames.3.source.calcium"),
        ({"source": "auto"}, "frames.3.source"),
        ({"source": {"stent": "auto"}}, "frames.3.source.stent"),  # no stent on the frame
        ({"lumen_ctrl": [[1, 1], [2, 2]]}, "frames.3.lumen_ctrl"),
        ({"lumen_ctrl": [[1, 1], [2, 2], [500, 2]]}, "frames.3.lumen_ctrl[2]"),
        ({"stent_ctrl": ring(45, 8)}, "frames.3.stent_ctrl"),  # control points without a curve
    ],
)
def test_bad_provenance_or_control_points_are_refused_naming_the_field(
    frame: dict[str, Any], field: str
) -> None:
    with pytest.raises(AnnotationInvalid) as refused:
        parse_document(doc(**frame), n_frames=10, rows=200, columns=200)
    assert refused.value.field == field


def test_the_trusted_parse_keeps_the_provenance() -> None:
    data = doc(source={"lumen": "auto"}, lumen_ctrl=ring(50, 12))
    assert parse_submitted_document(data) == parse_document(data)
    assert parse_submitted_document(data).frames[3].source_of("lumen") == "auto"


def test_auto_accepted_pct_counts_lumen_contours_accepted_unedited() -> None:
    frames = {
        "0": {"lumen": ring(50), "source": {"lumen": "auto"}},
        "9": {"lumen": ring(50), "source": {"lumen": "auto"}},
        "18": {"lumen": ring(40), "source": {"lumen": "auto_edited"}},
        "27": {"lumen": ring(40)},  # no source: drawn by hand
        "36": {"struts": ring(40, 6), "source": {"struts": "auto"}},  # no lumen: not counted
    }
    assert auto_accepted_pct(parse_document({"frames": frames})) == pytest.approx(50.0)
    assert auto_accepted_pct(parse_document({"frames": {}})) is None
