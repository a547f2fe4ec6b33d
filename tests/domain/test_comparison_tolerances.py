"""Comparison of two reads against tolerances (SPEC §6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adjudication.domain.comparison import compare_reads
from adjudication.domain.metric_defs import READ_METRICS
from adjudication.domain.settings import StudySettings

CASES = json.loads((Path(__file__).parents[1] / "data" / "comparison_cases.json").read_text())[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['metric']}-{c['a']}-{c['b']}" for c in CASES])
def test_it_flags_by_max_of_absolute_and_relative_tolerance(case: dict) -> None:
    flags = compare_reads(
        {case["metric"]: case["a"]},
        {case["metric"]: case["b"]},
        settings=StudySettings(),
        frame_spacing_mm=case.get("frame_spacing_mm", 0.1111),
    )
    assert bool(flags) is case["flagged"]
    if case["flagged"]:
        (flag,) = flags
        assert flag.metric == case["metric"]
        assert flag.difference == pytest.approx(case["difference"])
        assert flag.tolerance == pytest.approx(case["tolerance"])
        assert flag.to_dict() == {
            "metric": case["metric"],
            "group": flag.group,
            "a": case["a"],
            "b": case["b"],
            "difference": flag.difference,
            "tolerance": flag.tolerance,
        }


def test_it_lists_flags_in_catalogue_order_with_their_group() -> None:
    a = {"sm_present": True, "mla_mm2": 3.0, "calcium_max_arc_deg": 100.0}
    b = {"sm_present": False, "mla_mm2": 5.0, "calcium_max_arc_deg": 200.0}
    flags = compare_reads(a, b, settings=StudySettings(), frame_spacing_mm=0.1)
    assert [(f.metric, f.group) for f in flags] == [
        ("mla_mm2", "lumen"),
        ("calcium_max_arc_deg", "calcium"),
        ("sm_present", "malapposition"),
    ]


def test_it_uses_the_study_tolerances() -> None:
    settings = StudySettings.from_dict({"tolerances": {"mla_mm2": {"abs": 1.0, "rel": 0.0}}})
    a, b = {"mla_mm2": 3.0}, {"mla_mm2": 3.9}
    assert compare_reads(a, b, settings=StudySettings(), frame_spacing_mm=0.1)
    assert not compare_reads(a, b, settings=settings, frame_spacing_mm=0.1)


def test_identical_reads_raise_no_flag() -> None:
    values = {m.name: (True if m.is_categorical else 1.0) for m in READ_METRICS}
    assert compare_reads(values, dict(values), settings=StudySettings(), frame_spacing_mm=0.1) == []
