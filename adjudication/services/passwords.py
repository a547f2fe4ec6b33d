"""Password re-check for signed steps; a failed attempt is audited and changes nothing."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from adjudication.domain.errors import PasswordRequired
from adjudication.models import AuditAction
from adjudication.security import step_clear_failures, step_is_locked_out, step_record_failure
from adjudication.types import User

from .audit import audit_record


def require_password(
    *, actor: User, password: str | None, action: AuditAction, obj: models.Model, study: Any
) -> None:
    """Raise ``PasswordRequired`` unless ``password`` is the actor's; audit the refusal.

    The refusal is written in its own committed transaction, so it survives the error.
    """
    locked = step_is_locked_out(actor.get_username())
    if not locked and password and actor.check_password(password):
        step_clear_failures(actor.get_username())
        return
    if not locked:
        step_record_failure(actor.get_username())
    with transaction.atomic(durable=True):
        audit_record(
            actor=actor,
            action=AuditAction(f"{action}.refused"),
            obj=obj,
            study=study,
            reason="too many failed attempts" if locked else "wrong or missing password",
        )
    if locked:
        raise PasswordRequired(
            "Too many failed password attempts; wait a few minutes and try again.",
            code="locked_out",
        )
    raise PasswordRequired("The password is not correct.")
