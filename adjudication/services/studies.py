"""Studies and their members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from adjudication.domain.errors import Conflict, FieldError, Refused
from adjudication.domain.settings import StudySettings
from adjudication.models import Membership, Study
from adjudication.roles import Role

from .audit import audit_record, snapshot

STUDY_FIELDS = ["name", "code", "description", "settings"]


def user_may_create_study(user: Any) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or user.has_perm("adjudication.add_study"))
    )


def study_create(
    *,
    actor: Any,
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
            action="study.create",
            obj=study,
            study=study,
            after=snapshot(study, STUDY_FIELDS),
        )
        audit_record(
            actor=actor,
            action="membership.create",
            obj=membership,
            study=study,
            after={"username": actor.username, "role": membership.role},
            reason="the creator of a study is its first coordinator",
        )
    return study


def study_update(
    *,
    study: Study,
    actor: Any,
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
            action="study.update",
            obj=study,
            study=study,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            reason=reason,
        )
    return study


def study_add_member(*, study: Study, actor: Any, username: str, role: str) -> Membership:
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
            action="membership.create",
            obj=membership,
            study=study,
            after={"username": username, "role": role_value},
        )
    return membership
