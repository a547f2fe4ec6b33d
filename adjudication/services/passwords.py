"""Password re-check for signed steps; a failed attempt is audited and changes nothing."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from adjudication.domain.errors import PasswordRequired

from .audit import audit_record


def require_password(
    *, actor: Any, password: str | None, action: str, obj: models.Model, study: Any
) -> None:
    """Raise ``PasswordRequired`` unless ``password`` is the actor's; audit the refusal.

    The refusal is written in its own committed transaction, so it survives the error.
    """
    if password and actor.check_password(password):
        return
    with transaction.atomic(durable=True):
        audit_record(
            actor=actor,
            action=f"{action}.refused",
            obj=obj,
            study=study,
            reason="wrong or missing password",
        )
    raise PasswordRequired("The password is not correct.")
