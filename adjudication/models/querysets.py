"""``visible_to(user)``: the blinding filter every API queryset and page starts from.

Anything outside these querysets answers 404, so its existence does not leak (SPEC §9).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from adjudication.domain.workflow import PullbackState
from adjudication.roles import Role

ADJUDICATOR_VISIBLE_STATES = (
    PullbackState.FLAGGED.value,
    PullbackState.ADJUDICATING.value,
    PullbackState.CONSENSUS.value,
)


def _membership_model() -> Any:
    from .study import Membership

    return Membership


def _read_model() -> Any:
    from .reading import Read

    return Read


def _study_role(user: Any, role: Role, study_ref: str) -> Exists:
    return Exists(
        _membership_model().objects.filter(study=OuterRef(study_ref), user=user, role=role.value)
    )


class StudyQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> StudyQuerySet:
        """Studies where the user holds any role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user).distinct()

    def coordinated_by(self, user: Any) -> StudyQuerySet:
        """Studies the user coordinates (the /studies/ API and console)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(_study_role(user, Role.COORDINATOR, "pk"))


class MembershipQuerySet(models.QuerySet):
    pass


class PullbackQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> PullbackQuerySet:
        """Coordinators see their studies' pullbacks; readers the ones assigned to them;
        adjudicators the flagged ones they did not read."""
        if not user.is_authenticated:
            return self.none()
        Read = _read_model()
        is_reader = Exists(Read.objects.filter(pullback=OuterRef("pk"), reader=user))
        reads_as_reader = Exists(
            Read.objects.filter(pullback=OuterRef("pk"), reader=user, kind="reader")
        )
        adjudicates = (
            _study_role(user, Role.ADJUDICATOR, "study")
            & Q(status__in=ADJUDICATOR_VISIBLE_STATES)
            & ~reads_as_reader
        )
        return self.filter(_study_role(user, Role.COORDINATOR, "study") | is_reader | adjudicates)

    def read_by(self, user: Any) -> PullbackQuerySet:
        Read = _read_model()
        return self.filter(Exists(Read.objects.filter(pullback=OuterRef("pk"), reader=user)))


class ReadQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ReadQuerySet:
        """A reader sees only their own reads; nobody sees another's through this API."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(reader=user)


class AdjudicationQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> AdjudicationQuerySet:
        """Adjudications of the user's adjudicator studies, minus pullbacks they read."""
        if not user.is_authenticated:
            return self.none()
        Read = _read_model()
        read_it = Exists(
            Read.objects.filter(pullback=OuterRef("pullback"), reader=user, kind="reader")
        )
        return self.filter(_study_role(user, Role.ADJUDICATOR, "pullback__study")).exclude(read_it)


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> AuditEventQuerySet:
        """Coordinators see their studies' audit trail."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(_study_role(user, Role.COORDINATOR, "study"))
