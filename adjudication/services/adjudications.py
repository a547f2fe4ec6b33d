"""Resolving an adjudication (SPEC §6): a signed decision per flagged group."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from adjudication.domain.annotations import parse_document
from adjudication.domain.consensus import SOURCES, ConsensusSource
from adjudication.domain.errors import FieldError, InvalidTransition, Refused
from adjudication.domain.workflow import AdjudicationState, PullbackState, ReadState
from adjudication.models import Adjudication, AuditAction, Decision, Read
from adjudication.models.reading import ReadKind
from adjudication.types import User

from .audit import audit_record
from .passwords import require_password
from .reads import document_summary
from .workflow import transition


def _validate_decisions(decisions: Any, flagged_groups: set[str]) -> dict[str, dict[str, str]]:
    if not isinstance(decisions, list):
        raise FieldError("decisions", "must be a list of {group, source, reason}")
    by_group: dict[str, dict[str, str]] = {}
    for i, item in enumerate(decisions):
        if not isinstance(item, dict):
            raise FieldError(f"decisions[{i}]", "must be an object")
        group, source, reason = item.get("group"), item.get("source"), item.get("reason")
        if group not in flagged_groups:
            raise FieldError(f"decisions[{i}].group", f"{group!r} is not a flagged group")
        if group in by_group:
            raise FieldError(f"decisions[{i}].group", "decided twice")
        if source not in SOURCES:
            raise FieldError(f"decisions[{i}].source", f"must be one of {', '.join(SOURCES)}")
        if not isinstance(reason, str) or not reason.strip():
            raise FieldError(f"decisions[{i}].reason", "give a reason")
        by_group[group] = {"source": source, "reason": reason.strip()}
    missing = flagged_groups - set(by_group)
    if missing:
        raise FieldError("decisions", f"decide every flagged group: {', '.join(sorted(missing))}")
    return by_group


def adjudication_resolve(
    *,
    adjudication: Adjudication,
    actor: User,
    password: str | None,
    decisions: Any,
    annotations: Any = None,
) -> Adjudication:
    """Sign the decisions for every flagged group; the worker then writes the consensus.

    Pre-state: adjudication ``open``, pullback ``flagged``; the actor did not read it.
    ``annotations`` (the adjudicator's own document) is required when any group's source is
    ``adjudicator``; it is stored as a third, submitted, immutable read. Readers' reads are
    never touched. Post-state: adjudication ``resolved``, pullback ``adjudicating``;
    ``pullback_write_consensus_task`` runs on commit.
    """
    from adjudication.tasks import pullback_write_consensus as pullback_write_consensus_task

    pullback = adjudication.pullback
    if Read.objects.filter(pullback=pullback, reader=actor, kind=ReadKind.READER).exists():
        raise Refused("You read this pullback and cannot adjudicate it.", code="permission_denied")
    require_password(
        actor=actor,
        password=password,
        action=AuditAction.ADJUDICATION_RESOLVE,
        obj=adjudication,
        study=pullback.study,
    )
    with transaction.atomic(durable=True):
        adjudication = (
            Adjudication.objects.select_for_update(of=("self", "pullback"))
            .select_related("pullback__study")
            .get(pk=adjudication.pk)
        )
        pullback = adjudication.pullback
        if (
            adjudication.status != AdjudicationState.OPEN
            or pullback.status != PullbackState.FLAGGED
        ):
            raise InvalidTransition("This adjudication is already resolved.")
        groups = set(adjudication.flags.values_list("group", flat=True))
        chosen = _validate_decisions(decisions, groups)
        own_read = None
        if any(d["source"] == ConsensusSource.ADJUDICATOR for d in chosen.values()):
            if annotations is None:
                raise FieldError("annotations", "required when a group's source is adjudicator")
            parse_document(
                annotations,
                n_frames=pullback.n_frames,
                rows=pullback.rows,
                columns=pullback.columns,
            )
            own_read = Read.objects.create(
                pullback=pullback,
                reader=actor,
                kind=ReadKind.ADJUDICATOR,
                slot=3,
                status=ReadState.SUBMITTED.value,
                annotations=annotations,
                submitted_at=timezone.now(),
            )
        elif annotations is not None:
            raise FieldError("annotations", "only allowed when a group's source is adjudicator")
        Decision.objects.bulk_create(
            Decision(adjudication=adjudication, group=g, source=d["source"], reason=d["reason"])
            for g, d in sorted(chosen.items())
        )
        audit_record(
            actor=actor,
            action=AuditAction.ADJUDICATION_DECIDE,
            obj=adjudication,
            study=pullback.study,
            after={
                "decisions": chosen,
                "adjudicator_read": (
                    {"read": own_read.pk, **document_summary(annotations)} if own_read else None
                ),
            },
            reason="; ".join(f"{g}: {d['reason']}" for g, d in sorted(chosen.items())),
        )
        transition(
            adjudication,
            AdjudicationState.RESOLVED,
            actor=actor,
            reason="signed",
            fields={
                "adjudicator": actor,
                "adjudicator_read": own_read,
                "resolved_at": timezone.now(),
            },
        )
        transition(pullback, PullbackState.ADJUDICATING, actor=actor, reason="adjudication signed")
        pk = pullback.pk
        transaction.on_commit(lambda: pullback_write_consensus_task.delay(pullback_pk=pk))
    return adjudication
