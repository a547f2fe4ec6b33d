"""``transition``: the only code that changes a status (compare-and-set + audit)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from django.db import models

from adjudication.domain.errors import Conflict
from adjudication.domain.workflow import (
    AdjudicationState,
    PullbackState,
    ReadState,
    check_transition,
)
from adjudication.models import Adjudication, AuditAction, Pullback, Read
from adjudication.types import User

from .audit import audit_record

M = TypeVar("M", Pullback, Read, Adjudication)

_STATE_ENUM: dict[type[models.Model], type[StrEnum]] = {
    Pullback: PullbackState,
    Read: ReadState,
    Adjudication: AdjudicationState,
}


def _study_of(obj: models.Model) -> Any:
    if isinstance(obj, Pullback):
        return obj.study
    if isinstance(obj, Read | Adjudication):
        return obj.pullback.study
    return None


def transition(
    obj: M,
    target: StrEnum,
    *,
    actor: User | None,
    reason: str = "",
    fields: dict[str, Any] | None = None,
) -> M:
    """Move ``obj`` to ``target`` if the state table allows it and nobody moved it first.

    Runs ``UPDATE … WHERE pk = … AND status = <current>``; 0 rows → ``Conflict``. ``fields``
    are written in the same UPDATE. Writes the AuditEvent (before/after) and returns the
    updated row. Must run inside the caller's transaction.

    The row is not read back (one query less per step, issue 3 benchmark): services lock the
    row before changing its state (STYLE rule 7), so apart from what this UPDATE writes the
    instance already holds the row's values; the written values are set on it as the database
    returns them (``to_python``). A value the database computes (an expression) is read back.
    """
    enum = _STATE_ENUM[type(obj)]
    current = enum(obj.status)
    target = enum(target)
    check_transition(current, target)
    extra = dict(fields or {})
    updated = (
        type(obj)
        .objects.filter(pk=obj.pk, status=current.value)
        .update(status=target.value, **extra)
    )
    if updated == 0:
        raise Conflict(f"{type(obj).__name__.lower()} {obj.pk} changed state meanwhile")
    before = {"status": current.value}
    after = {"status": target.value, **{k: v for k, v in extra.items() if k != "updated_at"}}
    _apply_written(obj, {"status": target.value, **extra})
    audit_record(
        actor=actor,
        action=AuditAction(f"{type(obj).__name__.lower()}.{target.value}"),
        obj=obj,
        study=_study_of(obj),
        before=before,
        after=after,
        reason=reason,
    )
    return obj


def _apply_written(obj: models.Model, written: dict[str, Any]) -> None:
    """Set the values an UPDATE just wrote on ``obj``; read back those the database computed."""
    computed = []
    for name, value in written.items():
        field = obj._meta.get_field(name)
        if hasattr(value, "resolve_expression"):
            computed.append(field.name)
        elif field.is_relation:
            setattr(obj, name, value)  # an instance (cached) or a key
        else:
            assert isinstance(field, models.Field)  # not a reverse relation (is_relation above)
            setattr(obj, field.attname, field.to_python(value))
    if computed:
        obj.refresh_from_db(fields=computed)
