"""Small shared pieces of the API: role checks that answer 404/403, pagination."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery
from rest_framework.exceptions import NotFound, PermissionDenied

from adjudication.models import Membership, Study
from adjudication.roles import Action, role_may
from adjudication.types import User


def role_in(user: User, study: Study | int) -> str | None:
    study_id = study if isinstance(study, int) else study.pk
    return (
        Membership.objects.filter(study_id=study_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def require_action(user: User, study: Study | int, action: Action) -> None:
    """A visible object whose ``action`` the user's role does not allow (roles.PERMISSIONS)
    → 403; else pass."""
    role = role_in(user, study)
    if role is None or not role_may(role, action):
        raise PermissionDenied("Your role in this study does not allow this.")


def require_coordinator(user: User, study: Study, action: Action = Action.ASSIGN) -> None:
    """``require_action`` for the coordinators' actions on a pullback (assign, calibrate)."""
    require_action(user, study, action)


def coordinated_study_or_404(user: User, pk: Any, action: Action = Action.VIEW_STUDY) -> Study:
    """The study if the user may see it (``VIEW_STUDY``), else 404; then 403 unless the
    user's role also allows ``action`` (both from roles.PERMISSIONS)."""
    role = Membership.objects.filter(study=OuterRef("pk"), user=user).values("role")[:1]
    study = (
        Study.objects.restrict(user, Action.VIEW_STUDY)
        .filter(pk=pk)
        .annotate(caller_role=Subquery(role))
        .first()
    )  # one query: list endpoints keep their query budgets
    if study is None:
        raise NotFound()
    if not role_may(study.caller_role, action):
        raise PermissionDenied("Your role in this study does not allow this.")
    return study
