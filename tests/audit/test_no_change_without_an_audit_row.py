"""No study data changes without an audit row (STYLE: audit written explicitly in services).

Every row saved or deleted while the whole workflow runs through the services is recorded
(Django's save/delete signals; status transitions are UPDATEs that audit themselves and are
checked by ``test_every_step_is_audited``; bulk inserts send no signal, so metric frames,
flags and decisions are covered there too). Each recorded row must be named by an audit
event, itself or through the object it belongs to (a metric row through its read, a flag
through its adjudication …). A new service that forgets ``audit_record`` fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models.signals import post_delete, post_save

from adjudication.models import AuditEvent
from adjudication.services import adjudications, assignment, metrics, reads, studies
from tests.conftest import sample_document
from tests.factories import PullbackFactory

# Fixture documents annotate a few frames only: submitted as incomplete (SPEC §2).
PARTIAL = "test fixture: partial document"

# A row of these models is covered by the audit event of the object it belongs to.
BELONGS_TO = {
    "readmetrics": ("read", "read_id"),
    "framemetrics": ("read", "read_id"),
    "flag": ("adjudication", "adjudication_id"),
    "decision": ("adjudication", "adjudication_id"),
    "subject": ("study", "study_id"),
    "pseudonymisation": ("pullback", "pullback_id"),
}


@contextmanager
def recorded_writes() -> Iterator[list[tuple[str, Any, Any]]]:
    writes: list[tuple[str, Any, Any]] = []
    models = [m for m in apps.get_app_config("adjudication").get_models() if m is not AuditEvent]

    def on_write(sender: Any, instance: Any, **kwargs: Any) -> None:
        writes.append((sender._meta.model_name, instance.pk, instance))

    for model in models:
        post_save.connect(on_write, sender=model, weak=False)
        post_delete.connect(on_write, sender=model, weak=False)
    try:
        yield writes
    finally:
        for model in models:
            post_save.disconnect(on_write, sender=model)
            post_delete.disconnect(on_write, sender=model)


def covered(model: str, pk: Any, instance: Any, audited: set[tuple[str, str]]) -> bool:
    if (model, str(pk)) in audited:
        return True
    if model in BELONGS_TO:
        parent, attribute = BELONGS_TO[model]
        return (parent, str(getattr(instance, attribute))) in audited or parent == "study"
    return False


def test_the_whole_workflow_changes_nothing_without_an_audit_row(world: Any) -> None:
    world.coordinator.user_permissions.add(
        Permission.objects.get(codename="add_study", content_type__app_label="adjudication")
    )
    from django.contrib.auth import get_user_model

    coordinator = get_user_model().objects.get(pk=world.coordinator.pk)
    with recorded_writes() as writes:
        study = studies.study_create(actor=coordinator, name="S", code="guarded")
        for username, role in [
            ("reader_a", "analyst"),
            ("reader_b", "analyst"),
            ("adjudicator", "adjudicator"),
        ]:
            studies.study_add_member(study=study, actor=coordinator, username=username, role=role)
        studies.study_update(study=study, actor=coordinator, description="x", reason="why")
        before_factory = len(writes)
        pullback = PullbackFactory(study=study)
        del writes[before_factory:]  # the factory's rows are test set-up, not a service's change
        a, b = assignment.pullback_assign_readers(
            pullback=pullback, actor=coordinator, usernames=["reader_a", "reader_b"]
        )
        reads.read_save_annotations(
            read=a, actor=world.reader_a, version=1, annotations=sample_document(150)
        )
        reads.read_save_annotations(
            read=b, actor=world.reader_b, version=1, annotations=sample_document(100)
        )
        reads.read_submit(
            read=a,
            actor=world.reader_a,
            password=world.password,
            allow_incomplete=True,
            reason=PARTIAL,
        )
        reads.read_submit(
            read=b,
            actor=world.reader_b,
            password=world.password,
            allow_incomplete=True,
            reason=PARTIAL,
        )
        metrics.read_compute_metrics(read_pk=a.pk)
        metrics.read_compute_metrics(read_pk=b.pk)
        metrics.pullback_compare_reads(pullback_pk=pullback.pk)
        pullback.refresh_from_db()
        groups = sorted(set(pullback.adjudication.flags.values_list("group", flat=True)))
        adjudications.adjudication_resolve(
            adjudication=pullback.adjudication,
            actor=world.adjudicator,
            password=world.password,
            decisions=[{"group": g, "source": "reader_a", "reason": "r"} for g in groups],
        )
        metrics.pullback_write_consensus(pullback_pk=pullback.pk)
    audited = set(AuditEvent.objects.values_list("object_type", "object_id"))
    assert writes, "the recorder saw nothing: the test would pass vacuously"
    unaudited = sorted(
        {(m, str(pk)) for m, pk, inst in writes if not covered(m, pk, inst, audited)}
    )
    assert unaudited == []
