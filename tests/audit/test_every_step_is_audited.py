"""Every step of the workflow leaves exactly the audit rows it should, with actor and diff."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from adjudication.models import AuditEvent
from adjudication.services import adjudications, assignment, metrics, reads, studies
from tests.conftest import sample_document
from tests.factories import PullbackFactory

# Fixture documents annotate a few frames only: submitted as incomplete (SPEC §2).
PARTIAL = "test fixture: partial document"


def new_events(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=since).order_by("id"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.fixture
def step(world: Any) -> Any:
    """``step(fn)`` runs a service call and returns the (action, actor) pairs it wrote."""

    def run(fn: Any) -> list[tuple[str, str | None]]:
        since = last_id()
        fn()
        return [(e.action, e.actor.username if e.actor else None) for e in new_events(since)]

    return run


def test_each_service_writes_its_audit_rows(world: Any, step: Any) -> None:
    world.coordinator.user_permissions.add(
        Permission.objects.get(codename="add_study", content_type__app_label="adjudication")
    )
    from django.contrib.auth import get_user_model

    coordinator = get_user_model().objects.get(pk=world.coordinator.pk)
    holder: dict[str, Any] = {}

    assert step(
        lambda: holder.update(
            study=studies.study_create(actor=coordinator, name="S", code="audited")
        )
    ) == [("study.create", "coordinator"), ("membership.create", "coordinator")]
    study = holder["study"]
    for username, role in [
        ("reader_a", "analyst"),
        ("reader_b", "analyst"),
        ("adjudicator", "adjudicator"),
    ]:
        assert step(
            lambda u=username, r=role: studies.study_add_member(
                study=study, actor=coordinator, username=u, role=r
            )
        ) == [("membership.create", "coordinator")]
    assert step(
        lambda: studies.study_update(
            study=study, actor=coordinator, settings={"strut_threshold_um": 80}, reason="device"
        )
    ) == [("study.update", "coordinator")]
    event = AuditEvent.objects.filter(action="study.update").get()
    assert event.before["settings"]["strut_threshold_um"] == 100
    assert event.after["settings"]["strut_threshold_um"] == 80
    assert event.reason == "device"

    pullback = PullbackFactory(study=study)
    assert step(
        lambda: holder.update(
            reads=assignment.pullback_assign_readers(
                pullback=pullback, actor=coordinator, usernames=["reader_a", "reader_b"]
            )
        )
    ) == [("pullback.assign", "coordinator"), ("pullback.reading", "coordinator")]
    a, b = holder["reads"]
    assert step(
        lambda: reads.read_save_annotations(
            read=a, actor=world.reader_a, version=1, annotations=sample_document(150)
        )
    ) == [("read.save_annotations", "reader_a"), ("read.in_progress", "reader_a")]
    assert step(
        lambda: reads.read_save_annotations(
            read=a, actor=world.reader_a, version=2, annotations=sample_document(151)
        )
    ) == [("read.save_annotations", "reader_a")]
    reads.read_save_annotations(
        read=b, actor=world.reader_b, version=1, annotations=sample_document(110)
    )
    assert step(
        lambda: reads.read_submit(
            read=a,
            actor=world.reader_a,
            password=world.password,
            allow_incomplete=True,
            reason=PARTIAL,
        )
    ) == [("read.submitted", "reader_a")]
    reads.read_submit(
        read=b, actor=world.reader_b, password=world.password, allow_incomplete=True, reason=PARTIAL
    )
    assert step(lambda: metrics.read_compute_metrics(read_pk=a.pk)) == [
        ("read.compute_metrics", None)
    ]
    # Re-running the task is harmless: nothing recomputed, nothing audited twice.
    assert step(lambda: metrics.read_compute_metrics(read_pk=a.pk)) == []
    metrics.read_compute_metrics(read_pk=b.pk)
    assert step(lambda: metrics.pullback_compare_reads(pullback_pk=pullback.pk)) == [
        ("adjudication.create", None),
        ("pullback.flagged", None),
    ]
    assert step(lambda: metrics.pullback_compare_reads(pullback_pk=pullback.pk)) == []
    pullback.refresh_from_db()
    adjudication = pullback.adjudication
    groups = sorted(set(adjudication.flags.values_list("group", flat=True)))
    assert step(
        lambda: adjudications.adjudication_resolve(
            adjudication=adjudication,
            actor=world.adjudicator,
            password=world.password,
            decisions=[{"group": g, "source": "reader_b", "reason": "r"} for g in groups],
        )
    ) == [
        ("adjudication.decide", "adjudicator"),
        ("adjudication.resolved", "adjudicator"),
        ("pullback.adjudicating", "adjudicator"),
    ]
    assert step(lambda: metrics.pullback_write_consensus(pullback_pk=pullback.pk)) == [
        ("consensus.create", None),
        ("pullback.consensus", None),
    ]
    assert step(lambda: metrics.pullback_write_consensus(pullback_pk=pullback.pk)) == []
    transition = AuditEvent.objects.filter(action="pullback.consensus").get()
    assert transition.before == {"status": "adjudicating"}
    assert transition.after["status"] == "consensus"
