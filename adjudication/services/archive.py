"""Archiving failed pullbacks (console): kept for audit, out of the working lists."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from adjudication.domain.errors import FieldError, Refused
from adjudication.domain.workflow import PullbackState
from adjudication.models import AuditAction, Pullback
from adjudication.services.audit import audit_record


def pullback_archive(*, pullback: Pullback, actor: Any, reason: str) -> Pullback:
    """Archive a ``failed`` pullback: its row, file and audit trail stay; the console lists
    leave it out unless asked for archived pullbacks. Audited with the reason.

    Pre-state: ``failed``, not archived. Post-state: ``archived_at`` set. Anything else is
    ``Refused`` (a pullback being read or already read is never archived)."""
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", "say why the pullback is archived")
    with transaction.atomic(durable=True):
        locked = Pullback.objects.select_for_update().get(pk=pullback.pk)
        if locked.archived_at is not None:
            raise Refused(f"Pullback {locked.pk} is already archived.", code="already_archived")
        if locked.status != PullbackState.FAILED:
            raise Refused(
                f"Only failed pullbacks can be archived; pullback {locked.pk} is {locked.status}.",
                code="not_failed",
            )
        locked.archived_at = timezone.now()
        locked.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.PULLBACK_ARCHIVE,
            obj=locked,
            study=locked.study,
            before={"archived_at": None, "status": locked.status},
            after={"archived_at": locked.archived_at.isoformat(), "status": locked.status},
            reason=reason,
        )
    return locked
