"""Handing an unsubmitted read to another analyst (SPEC §1–§2, issue 6)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from adjudication.domain.errors import FieldError, InvalidTransition, Refused
from adjudication.domain.workflow import PullbackState, ReadState
from adjudication.models import AuditAction, Membership, Pullback, Read
from adjudication.models.reading import ReadKind
from adjudication.roles import Role
from adjudication.types import User

from .audit import audit_record
from .reads import document_summary


def read_reassign(*, read: Read, actor: User, username: str, reason: str) -> Read:
    """Give an unsubmitted reader read to another analyst of the study; returns the new read.

    Pre-state: the pullback is ``reading`` and the read (Reader 1 or Reader 2) is ``assigned``
    or ``in_progress``. ``username`` must be an active analyst of the study who is neither the
    current reader nor the pullback's other reader (the two readers stay distinct; an
    adjudicator holds another role in the study, so can never be chosen).

    Post-state: the old read row is deleted with its annotations, and a fresh read in the same
    slot (``assigned``, version 1, an empty document) belongs to the new analyst. The old work
    is discarded on purpose: handing it on would let the new reader see another analyst's
    annotation, which breaks blinding and independence; a fresh row also keeps its id, version
    and timestamps from hinting that anyone worked on it before. One audit event
    (``read.reassign``, on the new read) records who had it, how far they were (version and a
    digest of the discarded document) and why. Nothing is scheduled.
    """
    if not (reason or "").strip():
        raise FieldError("reason", "say why the read is reassigned")
    User = get_user_model()
    with transaction.atomic(durable=True):
        # Lock the pullback first (as the comparison does), then the read, so a concurrent
        # submission or comparison either finishes before us or sees the new read.
        pullback = (
            Pullback.objects.select_for_update(of=("self",))
            .select_related("study")
            .get(pk=read.pullback_id)
        )
        study = pullback.study
        if not Membership.objects.filter(
            study=study, user_id=actor.pk, role=Role.COORDINATOR.value
        ).exists():
            raise Refused(
                "Only the study's coordinators may reassign reads.", code="permission_denied"
            )
        old = (
            Read.objects.select_for_update(of=("self",))
            .select_related("reader")
            .filter(pk=read.pk, pullback=pullback)
            .first()
        )
        if old is None or old.kind != ReadKind.READER:
            raise Refused("Only a reader's read can be reassigned.")
        if pullback.status != PullbackState.READING:
            raise InvalidTransition(
                f"Reads can only be reassigned while the pullback is being read "
                f"(this one is {pullback.status})."
            )
        if old.status == ReadState.SUBMITTED:
            raise InvalidTransition("A submitted read is immutable and cannot be reassigned.")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise FieldError("username", "no active user with this username", code="not_found")
        if user.pk == old.reader_id:
            raise FieldError("username", "this analyst already holds the read")
        if not Membership.objects.filter(study=study, user=user, role=Role.ANALYST.value).exists():
            raise FieldError("username", "not an analyst of this study")
        if Read.objects.filter(pullback=pullback, reader=user).exists():
            raise FieldError("username", "already reads this pullback; the two readers must differ")
        new = reassign_locked(
            old=old, pullback=pullback, user=user, actor=actor, reason=reason.strip()
        )
    return new


def reassign_locked(*, old: Read, pullback: Pullback, user: User, actor: User, reason: str) -> Read:
    """The reassignment itself, inside the caller's transaction, with ``pullback`` and ``old``
    locked and every rule already checked: the old read goes with its annotations, a fresh
    read in the same slot belongs to ``user``; one ``read.reassign`` audit event."""
    before = {
        "read": old.pk,
        "slot": old.slot,
        "reader": old.reader.username,
        "status": old.status,
        "version": old.version,
        "annotations": document_summary(old.annotations or {}),
    }
    slot = old.slot
    # Deleting (rather than editing) the row: the state table has no way back from
    # in_progress to assigned, and a new row gives the new reader nothing of the old one.
    old.delete()
    new = Read.objects.create(pullback=pullback, reader=user, slot=slot, annotations={"frames": {}})
    audit_record(
        actor=actor,
        action=AuditAction.READ_REASSIGN,
        obj=new,
        study=pullback.study,
        before=before,
        after={
            "read": new.pk,
            "slot": new.slot,
            "reader": user.username,
            "status": new.status,
            "version": new.version,
        },
        reason=reason,
    )
    return new
