"""Metrics, comparison, consensus and agreement through a real Celery worker (issue 3).

Several pullbacks are read twice; a real ``celery worker`` measures and compares them: the
ones that agree get their consensus written directly (sources ``mean`` / ``agreed``), the ones
that disagree get an adjudication listing every flag ``{metric, group, a, b, difference,
tolerance}``. Running every task again, in-process and through the worker, changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import OperationalError

from adjudication import tasks
from adjudication.models import (
    Adjudication,
    AuditEvent,
    Consensus,
    Flag,
    FrameMetrics,
    Pullback,
    Read,
    ReadMetrics,
)
from adjudication.services import assignment, metrics
from tests.conftest import client_for, sample_document
from tests.factories import PullbackFactory
from tests.metrics_pipeline.pipeline import submit_read

pytestmark = pytest.mark.integration

AGREEING = [(150, 150), (150, 151), (140, 141), (120, 120)]
DISAGREEING = [(150, 110), (150, 100)]


def start_reading(world: Any, radius_a: float, radius_b: float) -> Pullback:
    """Assign both readers and submit their documents; the worker takes it from there."""
    pullback = PullbackFactory(study=world.study)
    read_a, read_b = assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    submit_read(read_a, world.reader_a, sample_document(radius_a), world.password)
    submit_read(read_b, world.reader_b, sample_document(radius_b), world.password)
    return pullback


def wait_for_states(wait_until: Any, pullbacks: list[Pullback], states: set[str]) -> None:
    pks = [p.pk for p in pullbacks]
    wait_until(
        lambda: set(Pullback.objects.filter(pk__in=pks).values_list("status", flat=True)) <= states,
        what=f"pullbacks to reach {states}",
    )


def snapshot(exclude_pullback: int | None = None) -> dict[str, Any]:
    """Every row the metric pipeline writes, with all its values (one pullback left out)."""

    def rows(qs: Any) -> list[dict[str, Any]]:
        return list(qs.order_by("pk").values())

    return {
        "pullbacks": rows(Pullback.objects.exclude(pk=exclude_pullback)),
        "reads": rows(Read.objects.exclude(pullback_id=exclude_pullback)),
        "read_metrics": rows(ReadMetrics.objects.exclude(read__pullback_id=exclude_pullback)),
        "frame_metrics": rows(FrameMetrics.objects.exclude(read__pullback_id=exclude_pullback)),
        "consensus": rows(Consensus.objects.exclude(pullback_id=exclude_pullback)),
        "adjudications": rows(Adjudication.objects.exclude(pullback_id=exclude_pullback)),
        "flags": rows(Flag.objects.exclude(adjudication__pullback_id=exclude_pullback)),
    }


def run_like_a_task(service: Any, **pks: int) -> None:
    """Call a service as its task does: a row locked by the worker (which is running the
    tasks our own calls schedule) means "retry shortly", never a failure."""
    for _ in range(50):
        try:
            return service(**pks)
        except OperationalError:
            time.sleep(0.1)
    raise AssertionError(f"{service.__name__}({pks}) never obtained its lock")


def audit_objects_since(event_id: int) -> set[tuple[str, str]]:
    return set(AuditEvent.objects.filter(id__gt=event_id).values_list("object_type", "object_id"))


def test_worker_writes_consensus_or_opens_adjudications_and_reruns_change_nothing(
    world: Any, celery_worker_process: Any, wait_until: Any
) -> None:
    agreeing = [start_reading(world, a, b) for a, b in AGREEING]
    disagreeing = [start_reading(world, a, b) for a, b in DISAGREEING]
    wait_for_states(wait_until, agreeing, {"consensus"})
    wait_for_states(wait_until, disagreeing, {"flagged"})

    # Agreeing pullbacks: consensus written directly, every value a mean or agreed value, but
    # frame positions, which come from one reader (SPEC §6: never averaged).
    for pullback in agreeing:
        consensus = Consensus.objects.get(pullback=pullback)
        frame_metrics = {"mla_frame", "msa_frame", "stent_distal_frame", "stent_proximal_frame"}
        sources = {v["source"] for k, v in consensus.values().items() if k not in frame_metrics}
        assert sources <= {"mean", "agreed"}, sources
        frame_sources = {consensus.values()[k]["source"] for k in frame_metrics}
        assert frame_sources <= {"reader_a", "reader_b"}, frame_sources
        a, b = (Read.objects.get(pullback=pullback, slot=s).metrics for s in (1, 2))
        assert consensus.mla_mm2 == pytest.approx((a.mla_mm2 + b.mla_mm2) / 2)
        assert not Adjudication.objects.filter(pullback=pullback).exists()

    # Disagreeing pullbacks: an adjudication lists every flag with its full shape.
    adjudicator = client_for(world.adjudicator)
    listed = adjudicator.get("/api/v1/adjudications/").json()["results"]
    assert sorted(item["pullback"] for item in listed) == sorted(p.pk for p in disagreeing)
    for item in listed:
        assert item["flags"], item
        for flag in item["flags"]:
            assert set(flag) == {"metric", "group", "a", "b", "difference", "tolerance"}
            if flag["difference"] is not None:
                assert flag["difference"] > flag["tolerance"]
        assert "lumen" in {flag["group"] for flag in item["flags"]}
        assert not Consensus.objects.filter(pullback_id=item["pullback"]).exists()

    before = snapshot()
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    # Re-run every step twice in-process (as a redelivered task would) …
    reads = list(Read.objects.values_list("pk", flat=True))
    for _ in range(2):
        for pk in reads:
            run_like_a_task(metrics.read_compute_metrics, read_pk=pk)
        for pullback in agreeing + disagreeing:
            run_like_a_task(metrics.pullback_compare_reads, pullback_pk=pullback.pk)
            run_like_a_task(metrics.pullback_write_consensus, pullback_pk=pullback.pk)
    assert snapshot() == before
    assert audit_objects_since(last_event) == set()
    # … and through the worker: with one process and prefetch 1 the queue is FIFO, so when a
    # pullback submitted after the re-sent tasks reaches consensus, they have all run.
    for pk in reads:
        tasks.read_compute_metrics.delay(read_pk=pk)
    for pullback in agreeing + disagreeing:
        tasks.pullback_compare_reads.delay(pullback_pk=pullback.pk)
        tasks.pullback_write_consensus.delay(pullback_pk=pullback.pk)
    sentinel = start_reading(world, 150, 150)
    wait_for_states(wait_until, [sentinel], {"consensus"})
    assert snapshot(exclude_pullback=sentinel.pk) == before
    # The only audit rows written since are the sentinel pullback's own.
    sentinel_objects = {("pullback", str(sentinel.pk)), ("consensus", str(sentinel.consensus.pk))}
    sentinel_objects |= {("read", str(r.pk)) for r in Read.objects.filter(pullback=sentinel)}
    assert audit_objects_since(last_event) == sentinel_objects

    # Agreement over the compared pullbacks (reader vs reader, before adjudication).
    coordinator = client_for(world.coordinator)
    agreement = coordinator.get(f"/api/v1/studies/{world.study.pk}/agreement/").json()
    n = len(AGREEING) + len(DISAGREEING) + 1
    assert agreement["pullbacks_compared"] == n
    assert agreement["pullbacks_flagged"] == len(DISAGREEING)
    mla = agreement["metrics"]["mla_mm2"]
    assert mla["n"] == n
    assert mla["flag_rate"] == pytest.approx(len(DISAGREEING) / n)
    assert len(mla["bland_altman"]) == n

    # The adjudicator resolves; the worker writes those consensus rows too.
    for item in listed:
        groups = sorted({flag["group"] for flag in item["flags"]})
        r = adjudicator.post(
            f"/api/v1/adjudications/{item['id']}/resolve/",
            {
                "password": world.password,
                "decisions": [
                    {"group": g, "source": "reader_a", "reason": "Reader 1 is right"}
                    for g in groups
                ],
            },
            format="json",
        )
        assert r.status_code == 200, r.content
    wait_for_states(wait_until, disagreeing, {"consensus"})
    export = coordinator.get(f"/api/v1/studies/{world.study.pk}/export/?format=csv")
    lines = export.content.decode("utf-8").splitlines()
    assert len(lines) == 1 + n
