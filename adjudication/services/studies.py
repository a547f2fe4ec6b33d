"""Studies and their members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from adjudication.domain.errors import Conflict, FieldError, Refused
from adjudication.domain.settings import StudySettings
from adjudication.domain.workflow import ReadState
from adjudication.models import AuditAction, Membership, Pullback, Read, Study
from adjudication.models.reading import ReadKind
from adjudication.roles import Action, Role, role_may
from adjudication.types import User

from .audit import audit_record, snapshot

STUDY_FIELDS = ["name", "code", "description", "settings"]


def user_may_create_study(user: User) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or user.has_perm("adjudication.add_study"))
    )


def study_create(
    *,
    actor: User,
    name: str,
    code: str,
    description: str = "",
    settings: dict[str, Any] | None = None,
) -> Study:
    """Create a study; the creator becomes its first coordinator (an audit event each)."""
    if not user_may_create_study(actor):
        raise Refused("You may not create studies.", code="permission_denied")
    study_settings = StudySettings.from_dict(settings or {})
    with transaction.atomic(durable=True):
        if Study.objects.filter(code=code).exists():
            raise FieldError("code", "a study with this code exists", code="duplicate")
        study = Study.objects.create(
            name=name,
            code=code,
            description=description,
            settings=study_settings.to_dict(),
            created_by=actor,
        )
        membership = Membership.objects.create(study=study, user=actor, role=Role.COORDINATOR.value)
        audit_record(
            actor=actor,
            action=AuditAction.STUDY_CREATE,
            obj=study,
            study=study,
            after=snapshot(study, STUDY_FIELDS),
        )
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_CREATE,
            obj=membership,
            study=study,
            after={"username": actor.username, "role": membership.role},
            reason="the creator of a study is its first coordinator",
        )
    return study


def study_update(
    *,
    study: Study,
    actor: User,
    name: str | None = None,
    description: str | None = None,
    settings: dict[str, Any] | None = None,
    reason: str = "",
) -> Study:
    """Change a study's name, description or settings (partial, validated). One audit event.

    Computed results keep the settings they were computed with (``settings_used``), so a
    change here never rewrites an existing consensus.
    """
    with transaction.atomic(durable=True):
        study = Study.objects.select_for_update().get(pk=study.pk)
        before = snapshot(study, STUDY_FIELDS)
        if name is not None:
            study.name = name
        if description is not None:
            study.description = description
        if settings is not None:
            study.settings = study.get_settings().merged(settings).to_dict()
        after = snapshot(study, STUDY_FIELDS)
        if after == before:
            return study
        study.save()
        changed = [k for k in STUDY_FIELDS if before[k] != after[k]]
        audit_record(
            actor=actor,
            action=AuditAction.STUDY_UPDATE,
            obj=study,
            study=study,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            reason=reason,
        )
    return study


def study_add_member(*, study: Study, actor: User, username: str, role: str) -> Membership:
    """Give ``username`` a role in the study (one role per person per study)."""
    try:
        role_value = Role(role).value
    except ValueError:
        raise FieldError("role", f"must be one of {', '.join(r.value for r in Role)}") from None
    User = get_user_model()
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise FieldError("username", "no active user with this username", code="not_found")
    with transaction.atomic(durable=True):
        existing = Membership.objects.filter(study=study, user=user).first()
        if existing is not None:
            raise Conflict(f"{username} is already a member of this study as {existing.role}")
        try:
            membership = Membership.objects.create(study=study, user=user, role=role_value)
        except IntegrityError:
            raise Conflict(f"{username} is already a member of this study") from None
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_CREATE,
            obj=membership,
            study=study,
            after={"username": username, "role": role_value},
        )
    return membership


def _require_member_manager(study: Study, actor: User) -> None:
    role = (
        Membership.objects.filter(study=study, user_id=actor.pk)
        .values_list("role", flat=True)
        .first()
    )
    if role is None or not role_may(role, Action.MANAGE_MEMBERS):
        raise Refused("Only the study's coordinators may manage members.", code="permission_denied")


def _locked_membership(study: Study, username: str) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(study=study, user__username=username)
        .first()
    )
    if membership is None:
        raise FieldError("username", "not a member of this study", code="not_found")
    return membership


def _keep_a_coordinator(study: Study, membership: Membership) -> None:
    """Refuse to leave the study without a coordinator (someone must be able to run it)."""
    if membership.role != Role.COORDINATOR.value:
        return
    others = (
        Membership.objects.select_for_update()
        .filter(study=study, role=Role.COORDINATOR.value, user__is_active=True)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise Conflict(
            "A study keeps at least one coordinator: add another coordinator first.",
            code="last_coordinator",
        )


def _hand_on_open_reads(*, study: Study, membership: Membership, actor: User, reason: str) -> int:
    """Give every unsubmitted read of the departing analyst to another analyst of the study,
    as ``read_reassign`` does (their work is discarded, never shown to the next reader); the
    least-loaded eligible analyst takes each. Submitted reads stay: they are immutable, signed
    results the comparison and the consensus rest on. Returns how many reads moved."""
    from .reassignment import reassign_locked

    mine = Read.objects.filter(pullback__study=study, reader=membership.user, kind=ReadKind.READER)
    open_mine = mine.exclude(status=ReadState.SUBMITTED)
    # Pullbacks first, then reads (the order of the comparison and of read_reassign), so
    # concurrent steps wait rather than deadlock.
    list(
        Pullback.objects.select_for_update(of=("self",))
        .filter(pk__in=open_mine.values("pullback_id"))
        .order_by("pk")
    )
    open_reads = list(
        open_mine.select_for_update(of=("self",))
        .select_related("reader", "pullback", "pullback__study")
        .order_by("pullback_id")
    )
    for read in open_reads:
        taken = Read.objects.filter(pullback_id=read.pullback_id).values_list("reader_id")
        candidate = (
            Membership.objects.filter(study=study, role=Role.ANALYST.value, user__is_active=True)
            .exclude(user=membership.user)
            .exclude(user__in=taken)
            .annotate(
                open_reads=Count(
                    "user__reads",
                    filter=Q(user__reads__pullback__study=study)
                    & ~Q(user__reads__status=ReadState.SUBMITTED),
                )
            )
            .select_related("user")
            .order_by("open_reads", "user__username")
            .first()
        )
        if candidate is None:
            raise Conflict(
                f"{membership.user.username} holds unsubmitted reads and no other analyst of the "
                "study can take them over: add an analyst first.",
                code="no_analyst_to_take_over",
            )
        reassign_locked(
            old=read,
            pullback=read.pullback,
            user=candidate.user,
            actor=actor,
            reason=reason or f"{membership.user.username} left the readers of the study",
        )
    return len(open_reads)


def membership_change_role(
    *, study: Study, actor: User, username: str, role: str, reason: str = ""
) -> Membership:
    """Give a member another role. A departing analyst's unsubmitted reads are handed on
    (``_hand_on_open_reads``); the last coordinator keeps the role. Audited
    (``membership.update``; ``read.reassign`` per read handed on)."""
    try:
        role_value = Role(role).value
    except ValueError:
        raise FieldError("role", f"must be one of {', '.join(r.value for r in Role)}") from None
    _require_member_manager(study, actor)
    with transaction.atomic(durable=True):
        membership = _locked_membership(study, username)
        before = membership.role
        if before == role_value:
            return membership
        _keep_a_coordinator(study, membership)
        moved = 0
        if before == Role.ANALYST.value:
            moved = _hand_on_open_reads(
                study=study, membership=membership, actor=actor, reason=reason
            )
        membership.role = role_value
        membership.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_UPDATE,
            obj=membership,
            study=study,
            before={"username": username, "role": before},
            after={"username": username, "role": role_value, "reads_handed_on": moved},
            reason=reason,
        )
    return membership


def membership_remove(*, study: Study, actor: User, username: str, reason: str = "") -> None:
    """Remove a member from the study. They lose access at once (frames within
    ``FRAME_GRANT_TTL_S``); an analyst's unsubmitted reads are handed on, submitted ones stay
    (hidden from the removed person like everything of the study). The last coordinator
    cannot be removed. Audited (``membership.delete``; ``read.reassign`` per read)."""
    _require_member_manager(study, actor)
    with transaction.atomic(durable=True):
        membership = _locked_membership(study, username)
        _keep_a_coordinator(study, membership)
        moved = 0
        if membership.role == Role.ANALYST.value:
            moved = _hand_on_open_reads(
                study=study, membership=membership, actor=actor, reason=reason
            )
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_DELETE,
            obj=membership,
            study=study,
            before={"username": username, "role": membership.role},
            after={"reads_handed_on": moved},
            reason=reason,
        )
        membership.delete()
