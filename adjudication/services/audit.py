"""``audit_record``: the one place AuditEvents are written (inside the caller's transaction)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from adjudication.models import AuditAction, AuditEvent, Study
from adjudication.types import User

_PLAIN = frozenset({str, int, float, bool, type(None)})


def _json_safe(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:  # the usual case first: annotation diffs hold thousands of numbers
        return {str(k): v if type(v) in _PLAIN else _json_safe(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else _json_safe(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """A JSON snapshot of the named fields of a row (foreign keys as ids)."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = _json_safe(getattr(obj, attname))
    return data


def audit_record(
    *,
    actor: User | None,  # None: the system (a task), not a person
    action: AuditAction,
    obj: models.Model,
    study: Study | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Write one AuditEvent; ``actor`` None means the system (a worker task)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        study=study,
        action=action,
        object_type=obj._meta.model_name or type(obj).__name__.lower(),
        object_id=str(obj.pk),
        before=_json_safe(before) if before is not None else None,
        after=_json_safe(after) if after is not None else None,
        reason=reason,
    )
