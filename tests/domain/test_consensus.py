"""Consensus from two reads and the adjudicator's decisions (SPEC §6)."""

from __future__ import annotations

import pytest

from adjudication.domain.comparison import compare_reads
from adjudication.domain.consensus import build_consensus, flagged_groups
from adjudication.domain.errors import Refused
from adjudication.domain.metric_defs import READ_METRICS
from adjudication.domain.settings import StudySettings


def _read(**changes: object) -> dict:
    values: dict = {m.name: None for m in READ_METRICS}
    values.update(
        mla_mm2=4.0,
        mla_frame=120,
        msa_mm2=5.0,
        msa_frame=150,
        stent_distal_frame=100,
        stent_proximal_frame=200,
        ref_mean_lumen_area_mm2=7.0,
        underexpansion=False,
        calcium_max_arc_deg=200.0,
        fujino_calcium_score=2,
        strut_count=300,
        malapposed_strut_count=10,
        sm_present=True,
    )
    values.update(changes)
    return values


def _flags(a: dict, b: dict) -> list:
    return compare_reads(a, b, settings=StudySettings(), frame_spacing_mm=0.1111)


def test_unflagged_groups_take_the_mean_and_the_agreed_values() -> None:
    a = _read(mla_mm2=4.0, strut_count=300, stent_distal_frame=100)
    b = _read(mla_mm2=4.2, strut_count=301, stent_distal_frame=101)
    consensus = build_consensus(a, b, flags=_flags(a, b))
    assert consensus["mla_mm2"].value == pytest.approx(4.1)
    assert consensus["mla_mm2"].source == "mean"
    assert consensus["strut_count"].value == pytest.approx(300.5)
    # Frame positions are never averaged: the edges follow msa_frame's reader (tie → Reader 1).
    assert consensus["stent_distal_frame"].value == 100
    assert consensus["stent_distal_frame"].source == "reader_a"
    assert consensus["underexpansion"].value is False
    assert consensus["underexpansion"].source == "agreed"
    assert consensus["malapposition_length_mm"].value is None
    assert set(consensus) == {m.name for m in READ_METRICS}


def test_a_flagged_group_takes_the_chosen_readers_values_for_the_whole_group() -> None:
    a = _read(msa_mm2=4.0, underexpansion=True, ref_mean_lumen_area_mm2=7.0)
    b = _read(msa_mm2=6.0, underexpansion=False, ref_mean_lumen_area_mm2=7.2)
    flags = _flags(a, b)
    assert flagged_groups(flags) == {"expansion"}
    consensus = build_consensus(a, b, flags=flags, decisions={"expansion": "reader_b"})
    assert consensus["msa_mm2"].value == 6.0
    assert consensus["underexpansion"].value is False
    # Unflagged metric of a flagged group: still the chosen reader's value, not the mean.
    assert consensus["ref_mean_lumen_area_mm2"].value == 7.2
    assert {consensus[n].source for n in ("msa_mm2", "msa_frame", "underexpansion")} == {"reader_b"}
    assert consensus["mla_mm2"].source == "mean"


def test_a_flagged_group_can_take_the_adjudicators_own_values() -> None:
    a, b = _read(sm_present=True), _read(sm_present=False)
    adjudicator = _read(sm_present=True, malapposed_strut_count=4)
    consensus = build_consensus(
        a,
        b,
        flags=_flags(a, b),
        decisions={"malapposition": "adjudicator"},
        adjudicator=adjudicator,
    )
    assert consensus["malapposed_strut_count"].value == 4
    assert consensus["sm_present"].source == "adjudicator"


def test_readers_originals_are_not_changed() -> None:
    a, b = _read(sm_present=True), _read(sm_present=False)
    before = (dict(a), dict(b))
    build_consensus(a, b, flags=_flags(a, b), decisions={"malapposition": "reader_a"})
    assert (a, b) == before


@pytest.mark.parametrize(
    ("decisions", "adjudicator"),
    [
        ({}, None),
        ({"calcium": "reader_a"}, None),
        ({"malapposition": "adjudicator"}, None),
        ({"malapposition": "reader_c"}, None),
    ],
    ids=["no_decision", "decision_for_other_group", "adjudicator_without_values", "bad_source"],
)
def test_a_flagged_group_without_a_usable_decision_is_refused_naming_it(
    decisions: dict, adjudicator: dict | None
) -> None:
    a, b = _read(sm_present=True), _read(sm_present=False)
    with pytest.raises(Refused, match="malapposition"):
        build_consensus(a, b, flags=_flags(a, b), decisions=decisions, adjudicator=adjudicator)


def test_one_reader_alone_is_not_a_mean() -> None:
    # malapposed_strut_pct is not compared, so it can be None on one side in an unflagged group.
    a, b = _read(malapposed_strut_pct=3.0), _read(malapposed_strut_pct=None)
    consensus = build_consensus(a, b, flags=[])
    assert consensus["malapposed_strut_pct"].value is None


def test_frame_positions_are_never_averaged_but_taken_where_the_smaller_value_was_measured() -> (
    None
):
    # Issue 11: readers found the MLA at frames 262 and 280 (2.0 mm apart at 0.1111 mm, within
    # tolerance); the mean 271 is a place neither measured.
    a = _read(mla_mm2=4.3, mla_frame=262, msa_mm2=5.0, msa_frame=150)
    b = _read(mla_mm2=4.1, mla_frame=280, msa_mm2=5.2, msa_frame=160, stent_distal_frame=101)
    flags = _flags(a, b)
    assert flags == []
    consensus = build_consensus(a, b, flags=flags)
    assert (consensus["mla_frame"].value, consensus["mla_frame"].source) == (280, "reader_b")
    assert (consensus["msa_frame"].value, consensus["msa_frame"].source) == (150, "reader_a")
    assert consensus["stent_distal_frame"].value == 100  # msa_frame's reader


def test_equal_minima_take_reader_1s_frame() -> None:
    a = _read(mla_mm2=4.0, mla_frame=120)
    b = _read(mla_mm2=4.0, mla_frame=125)
    consensus = build_consensus(a, b, flags=_flags(a, b))
    assert (consensus["mla_frame"].value, consensus["mla_frame"].source) == (120, "reader_a")


def test_frames_further_apart_than_the_tolerance_are_flagged_in_their_group() -> None:
    a = _read(mla_frame=120, msa_frame=150)
    b = _read(mla_frame=120 + 19, msa_frame=150)  # 19 × 0.1111 = 2.11 mm > 2.0 mm
    (flag,) = _flags(a, b)
    assert flag.to_dict() == {
        "metric": "mla_frame",
        "group": "lumen",
        "a": 120,
        "b": 139,
        "difference": pytest.approx(2.1109),
        "tolerance": 2.0,
    }
    wider = StudySettings.from_dict({"frame_position_tol_mm": 3.0})
    assert compare_reads(a, b, settings=wider, frame_spacing_mm=0.1111) == []
