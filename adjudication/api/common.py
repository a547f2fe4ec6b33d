"""Small shared pieces of the API: role checks that answer 404/403, pagination."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound, PermissionDenied

from adjudication.models import Membership, Study
from adjudication.roles import Role


def role_in(user: Any, study: Study | int) -> str | None:
    study_id = study if isinstance(study, int) else study.pk
    return (
        Membership.objects.filter(study_id=study_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def require_coordinator(user: Any, study: Study) -> None:
    """Visible objects whose action the user's role does not allow → 403; else pass."""
    if role_in(user, study) != Role.COORDINATOR.value:
        raise PermissionDenied("Only the study's coordinators may do this.")


def coordinated_study_or_404(user: Any, pk: Any) -> Study:
    study = Study.objects.coordinated_by(user).filter(pk=pk).first()
    if study is None:
        raise NotFound()
    return study
