"""Saving and submitting a read (SPEC §4, optimistic concurrency, signed submission)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from adjudication.domain.annotations import parse_document
from adjudication.domain.errors import Conflict, InvalidTransition, Refused
from adjudication.domain.workflow import ReadState
from adjudication.models import Read

from .audit import audit_record
from .passwords import require_password
from .workflow import transition


class StaleVersion(Conflict):
    """The client saved over a version that is no longer current (→ 409 with it)."""

    code = "conflict"

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"The read was saved elsewhere meanwhile (current version {current_version}); "
            "reload it or save your copy over it deliberately."
        )
        self.current_version = current_version


def document_summary(annotations: dict[str, Any]) -> dict[str, Any]:
    """What the audit keeps of a document: its digest and size, not every point."""
    canonical = json.dumps(annotations, sort_keys=True, separators=(",", ":")).encode()
    return {
        "sha256": hashlib.sha256(canonical).hexdigest(),
        "frames": len(annotations.get("frames", {}) or {}),
    }


def read_save_annotations(*, read: Read, actor: Any, version: int, annotations: Any) -> Read:
    """Replace the read's annotation document if ``version`` is current; bump the version.

    Validates the SPEC §4 document (``AnnotationInvalid`` names the field, nothing stored);
    stale ``version`` → ``StaleVersion`` (409); a submitted read is immutable
    (``InvalidTransition``, 409). First save moves the read ``assigned → in_progress``.
    """
    with transaction.atomic(durable=True):
        read = (
            Read.objects.select_for_update(of=("self",))
            .select_related("pullback__study")
            .get(pk=read.pk)
        )
        if read.reader_id != actor.pk:
            raise Refused("Only the assigned reader can edit this read.", code="permission_denied")
        if read.status == ReadState.SUBMITTED:
            raise InvalidTransition("This read is submitted and can no longer be changed.")
        if version != read.version:
            raise StaleVersion(read.version)
        pullback = read.pullback
        parse_document(
            annotations, n_frames=pullback.n_frames, rows=pullback.rows, columns=pullback.columns
        )
        before = {"version": read.version, **document_summary(read.annotations)}
        read.annotations = annotations
        read.version = read.version + 1
        read.save(update_fields=["annotations", "version", "updated_at"])
        audit_record(
            actor=actor,
            action="read.save_annotations",
            obj=read,
            study=pullback.study,
            before=before,
            after={"version": read.version, **document_summary(annotations)},
        )
        if read.status == ReadState.ASSIGNED:
            read = transition(read, ReadState.IN_PROGRESS, actor=actor, reason="first save")
    return read


def read_submit(*, read: Read, actor: Any, password: str | None) -> Read:
    """Sign and submit a read: checks the password, freezes the read, schedules its metrics.

    Pre-state ``in_progress``. Post-state ``submitted`` (immutable);
    ``read_compute_metrics_task`` runs on commit. A wrong password changes nothing except an
    audited refusal.
    """
    from adjudication.tasks import read_compute_metrics as read_compute_metrics_task

    if read.reader_id != actor.pk:
        raise Refused("Only the assigned reader can submit this read.", code="permission_denied")
    require_password(
        actor=actor, password=password, action="read.submit", obj=read, study=read.pullback.study
    )
    with transaction.atomic(durable=True):
        read = (
            Read.objects.select_for_update(of=("self",)).select_related("pullback").get(pk=read.pk)
        )
        if read.status == ReadState.SUBMITTED:
            raise InvalidTransition("This read is already submitted.")
        if read.status == ReadState.ASSIGNED:
            raise InvalidTransition("Nothing to submit yet: annotate and save the read first.")
        pullback = read.pullback
        parse_document(
            read.annotations,
            n_frames=pullback.n_frames,
            rows=pullback.rows,
            columns=pullback.columns,
        )
        read = transition(
            read,
            ReadState.SUBMITTED,
            actor=actor,
            reason="signed submission",
            fields={"submitted_at": timezone.now()},
        )
        pk = read.pk
        transaction.on_commit(lambda: read_compute_metrics_task.delay(read_pk=pk))
    return read
