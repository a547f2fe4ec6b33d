"""Assigning the two blinded readers of a pullback."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q

from adjudication.domain.errors import FieldError, Refused
from adjudication.domain.workflow import PullbackState, ReadState
from adjudication.models import AuditAction, Membership, Pullback, Read
from adjudication.roles import Role
from adjudication.types import User

from .audit import audit_record
from .workflow import transition


def _balanced_choice(pullback: Pullback) -> list[Any]:
    """The two analysts of the study with the fewest unfinished reads (ties: username)."""
    User = get_user_model()
    analysts = (
        User.objects.filter(
            memberships__study=pullback.study,
            memberships__role=Role.ANALYST.value,
            is_active=True,
        )
        .annotate(
            open_reads=Count(
                "reads",
                filter=Q(reads__pullback__study=pullback.study)
                & ~Q(reads__status=ReadState.SUBMITTED.value),
            )
        )
        .order_by("open_reads", "username")
    )
    chosen = list(analysts[:2])
    if len(chosen) < 2:
        raise Refused("The study needs at least two analysts before reads can be assigned.")
    return chosen


def pullback_assign_readers(
    *, pullback: Pullback, actor: User, usernames: list[str] | None = None
) -> list[Read]:
    """Create the two reads (Reader 1, Reader 2) and move the pullback ``ready → reading``.

    ``usernames`` omitted → balanced automatic choice. Both must be analysts of the study.
    A pullback without a pixel spacing is refused until a coordinator enters one (SPEC §3).
    One audit event for the assignment plus the transition's.
    """
    User = get_user_model()
    with transaction.atomic(durable=True):
        pullback = (
            Pullback.objects.select_for_update(of=("self",))
            .select_related("study")
            .get(pk=pullback.pk)
        )
        if pullback.status != PullbackState.READY:
            raise Refused(
                f"Readers can only be assigned to a ready pullback (this one is {pullback.status}).",
                code="invalid_transition",
            )
        if pullback.pixel_spacing_mm is None:
            raise Refused(
                "This pullback has no pixel spacing; enter its calibration before assigning.",
                code="calibration_missing",
            )
        if usernames is None:
            readers = _balanced_choice(pullback)
        else:
            if len(usernames) != 2 or len(set(usernames)) != 2:
                raise FieldError("readers", "name exactly two different analysts")
            readers = []
            for i, name in enumerate(usernames):
                user = User.objects.filter(username=name, is_active=True).first()
                is_analyst = (
                    user is not None
                    and Membership.objects.filter(
                        study=pullback.study, user=user, role=Role.ANALYST.value
                    ).exists()
                )
                if not is_analyst:
                    raise FieldError(f"readers[{i}]", "not an analyst of this study")
                readers.append(user)
        reads = [
            Read.objects.create(
                pullback=pullback, reader=user, slot=slot, annotations={"frames": {}}
            )
            for slot, user in enumerate(readers, start=1)
        ]
        audit_record(
            actor=actor,
            action=AuditAction.PULLBACK_ASSIGN,
            obj=pullback,
            study=pullback.study,
            after={
                "reads": [
                    {"read": r.pk, "slot": r.slot, "reader": r.reader.username} for r in reads
                ]
            },
        )
        transition(pullback, PullbackState.READING, actor=actor, reason="readers assigned")
    return reads
