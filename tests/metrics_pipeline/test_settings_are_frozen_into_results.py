"""Study settings are frozen into every computed result (issue 3): a later change never
rewrites a stored metric or consensus, and new computations use the new settings."""

from __future__ import annotations

from typing import Any

import pytest

from adjudication.models import AuditEvent, Consensus, FrameMetrics, Read, ReadMetrics
from adjudication.services import metrics, studies
from tests.conftest import sample_document
from tests.factories import PullbackFactory
from tests.metrics_pipeline.pipeline import (
    document_with_mla,
    read_and_compare,
    resolve,
    submit_read,
)

# Thresholds that change results of sample_document(150) (MSA ≈ 6.8 mm², struts 20 µm inside
# the wall) and tolerances that would flag any difference.
NEW_SETTINGS = {
    "underexpansion_msa_mm2": 9.0,
    "strut_threshold_um": 10.0,
    "tolerances": {"mla_mm2": {"abs": 0.0, "rel": 0.0}},
}


def stored_results(pullback: Any) -> dict[str, Any]:
    consensus = Consensus.objects.get(pullback=pullback)
    return {
        "consensus": consensus.values(),
        "consensus_settings": consensus.settings_used,
        "consensus_at": consensus.computed_at,
        "reads": [
            (m.values(), m.settings_used, m.computed_at)
            for m in ReadMetrics.objects.filter(read__pullback=pullback).order_by("read__slot")
        ],
        "frames": list(
            FrameMetrics.objects.filter(read__pullback=pullback)
            .order_by("read_id", "frame")
            .values()
        ),
    }


def change_settings(world: Any) -> None:
    studies.study_update(
        study=world.study, actor=world.coordinator, settings=NEW_SETTINGS, reason="new device"
    )
    world.study.refresh_from_db()


def rerun_every_step(pullback: Any) -> None:
    for read in Read.objects.filter(pullback=pullback):
        metrics.read_compute_metrics(read_pk=read.pk)
    metrics.pullback_compare_reads(pullback_pk=pullback.pk)
    metrics.pullback_write_consensus(pullback_pk=pullback.pk)


def test_changing_settings_after_consensus_changes_no_stored_result(world: Any) -> None:
    old_settings = world.study.get_settings().to_dict()
    direct = read_and_compare(world, sample_document(150), sample_document(150))
    adjudicated = read_and_compare(world, sample_document(150), document_with_mla(100))
    resolve(world, adjudicated, {"lumen": "reader_a"})
    assert (direct.status, adjudicated.status) == ("consensus", "consensus")
    before = [stored_results(direct), stored_results(adjudicated)]
    assert before[0]["consensus"]["underexpansion"] == {"value": False, "source": "agreed"}

    change_settings(world)
    rerun_every_step(direct)
    rerun_every_step(adjudicated)

    assert [stored_results(direct), stored_results(adjudicated)] == before
    for results in before:
        assert results["consensus_settings"] == old_settings
        assert all(settings == old_settings for _, settings, _ in results["reads"])


def test_new_computations_use_the_new_settings(world: Any) -> None:
    read_and_compare(world, sample_document(150), sample_document(150))
    change_settings(world)
    new = world.study.get_settings().to_dict()
    # Identical reads still agree; only the changed thresholds show: MSA < 9 mm² is now
    # underexpansion, and struts 20 µm off the wall are malapposed at a 10 µm threshold.
    pullback = read_and_compare(world, sample_document(150), sample_document(150))
    assert pullback.status == "consensus"
    consensus = Consensus.objects.get(pullback=pullback)
    assert consensus.settings_used == new
    assert consensus.underexpansion is True
    assert consensus.sm_present is True
    assert {
        m.settings_used["strut_threshold_um"]
        for m in ReadMetrics.objects.filter(read__pullback=pullback)
    } == {10.0}


def test_a_settings_change_between_the_two_submissions_remeasures_the_first_read(
    world: Any,
) -> None:
    from adjudication.services import assignment

    pullback = PullbackFactory(study=world.study)
    read_a, read_b = assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    submit_read(read_a, world.reader_a, sample_document(150), world.password)
    metrics.read_compute_metrics(read_pk=read_a.pk)
    assert ReadMetrics.objects.get(read=read_a).underexpansion is False

    change_settings(world)
    submit_read(read_b, world.reader_b, sample_document(150), world.password)
    metrics.read_compute_metrics(read_pk=read_b.pk)
    metrics.pullback_compare_reads(pullback_pk=pullback.pk)

    # Both reads are compared under one set of settings: the study's current ones.
    new = world.study.get_settings().to_dict()
    a, b = (ReadMetrics.objects.get(read=r) for r in (read_a, read_b))
    assert a.settings_used == b.settings_used == new
    assert a.underexpansion is b.underexpansion is True
    event = AuditEvent.objects.filter(action="read.compute_metrics", object_id=str(read_a.pk))
    assert event.count() == 2
    assert event.last().reason == (
        "study settings or the pullback's device changed after a submission"
    )
    assert Consensus.objects.get(pullback=pullback).settings_used == new
    # What reader A sees of their own read stays as submitted (issue 11/12 blinding).
    assert a.values_as_submitted()["underexpansion"] is False


def test_an_adjudication_keeps_the_settings_it_was_opened_with(world: Any) -> None:
    old = world.study.get_settings().to_dict()
    pullback = read_and_compare(world, sample_document(150), document_with_mla(100))
    assert pullback.status == "flagged"
    change_settings(world)
    resolve(world, pullback, {"lumen": "adjudicator"}, document_with_mla(120))
    consensus = Consensus.objects.get(pullback=pullback)
    assert consensus.settings_used == old
    third = Read.objects.get(pullback=pullback, slot=3)
    assert third.metrics.settings_used == old
    # Under the old 5.0 mm² threshold the adjudicated pullback is not underexpanded.
    assert consensus.underexpansion is False
    assert consensus.mla_mm2 == pytest.approx(third.metrics.mla_mm2)
