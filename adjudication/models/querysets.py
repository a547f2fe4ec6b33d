"""``visible_to(user)``: the blinding filter every API queryset and page starts from.

Anything outside these querysets answers 404, so its existence does not leak (SPEC §9).
Which roles grant what is read from the role table (``roles.PERMISSIONS``) through
``roles.roles_with(action)`` — NetBox's ``restrict(user, action)`` idea — so the table the
permission-matrix test is generated from is the one production enforces. A person's reads
count only while they still hold the role that made them (a removed analyst sees nothing).
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery

from adjudication.domain.workflow import PullbackState
from adjudication.roles import Action, roles_with

from .choices import ReadKind

if TYPE_CHECKING:
    from adjudication.types import RequestUser


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


def _study_may(user: RequestUser, action: Action, study_ref: str) -> Exists:
    """The user holds, in the study at ``study_ref``, a role the table allows ``action``."""
    roles = sorted(r.value for r in roles_with(action))
    return Exists(
        _membership_model().objects.filter(study=OuterRef(study_ref), user=user, role__in=roles)
    )


# What a read's kind asks of its reader's role: the rule of ``ReadQuerySet.visible_to`` and
# of ``read_kind_allowed`` alike.
READ_KIND_ACTION = {
    ReadKind.READER.value: Action.READ,
    ReadKind.ADJUDICATOR.value: Action.ADJUDICATE,
}


class StudyQuerySet(models.QuerySet):
    def visible_to(self, user: RequestUser) -> StudyQuerySet:
        """Studies where the user holds any role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user).distinct()

    def coordinated_by(self, user: RequestUser) -> StudyQuerySet:
        """Studies the user coordinates (the /studies/ API and console)."""
        if not user.is_authenticated:
            return self.none()
        return self.restrict(user, Action.VIEW_STUDY)

    def restrict(self, user: RequestUser, action: Action) -> StudyQuerySet:
        """Studies in which the user's role allows ``action`` (roles.PERMISSIONS)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(_study_may(user, action, "pk"))


class MembershipQuerySet(models.QuerySet):
    pass


class PullbackQuerySet(models.QuerySet):
    def visible_to(self, user: RequestUser) -> PullbackQuerySet:
        """Coordinators see their studies' pullbacks; readers the ones assigned to them;
        adjudicators the flagged ones they did not read."""
        if not user.is_authenticated:
            return self.none()
        Read = _read_model()
        reads_as_reader = Exists(
            Read.objects.filter(pullback=OuterRef("pk"), reader=user, kind=ReadKind.READER)
        )
        own_adjudicator_read = Exists(
            Read.objects.filter(pullback=OuterRef("pk"), reader=user, kind=ReadKind.ADJUDICATOR)
        )
        reads_it = reads_as_reader & _study_may(user, Action.READ, "study")
        adjudicates = _study_may(user, Action.ADJUDICATE, "study") & (
            (Q(status__in=ADJUDICATOR_VISIBLE_STATES) & ~reads_as_reader) | own_adjudicator_read
        )
        return self.filter(_study_may(user, Action.VIEW_PROGRESS, "study") | reads_it | adjudicates)


class ReadQuerySet(models.QuerySet):
    def visible_to(self, user: RequestUser) -> ReadQuerySet:
        """A reader sees only their own reads, while their role allows reading (an adjudicator
        their own adjudication annotation); nobody sees another's through this API."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(reader=user).filter(
            reduce(
                operator.or_,
                (
                    Q(kind=kind) & _study_may(user, action, "pullback__study")
                    for kind, action in READ_KIND_ACTION.items()
                ),
            )
        )

    def own_with_role(self, user: RequestUser) -> ReadQuerySet:
        """The user's own reads, each with ``role_in_study``: the user's role in the read's
        study (None without one), read in the same query. With ``read_kind_allowed`` it is
        ``visible_to``'s rule for one read: the autosave (issue 13) locks the user's read by its
        key and learns their role in one round trip, instead of compiling ``visible_to``'s
        correlated subqueries. ``tests/blinding/test_the_autosave_sees_reads_as_visible_to_does``
        holds the two to the same answer for every role, kind and owner."""
        if not user.is_authenticated:
            return self.none()
        role = _membership_model().objects.filter(study=OuterRef("pullback__study"), user=user)
        return self.filter(reader=user).annotate(
            role_in_study=Subquery(role.values("role")[:1])  # one role per study (a constraint)
        )


def read_kind_allowed(kind: str, role: str | None) -> bool:
    """Whether ``role`` in a study allows its holder to work on their own read of ``kind``
    there (``READ_KIND_ACTION``, the rule ``ReadQuerySet.visible_to`` applies)."""
    action = READ_KIND_ACTION.get(kind)
    return action is not None and role is not None and role in roles_with(action)


class AdjudicationQuerySet(models.QuerySet):
    def visible_to(self, user: RequestUser) -> AdjudicationQuerySet:
        """Adjudications of the user's adjudicator studies, minus pullbacks they read."""
        if not user.is_authenticated:
            return self.none()
        Read = _read_model()
        read_it = Exists(
            Read.objects.filter(pullback=OuterRef("pullback"), reader=user, kind=ReadKind.READER)
        )
        return self.filter(_study_may(user, Action.ADJUDICATE, "pullback__study")).exclude(read_it)


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user: RequestUser) -> AuditEventQuerySet:
        """Coordinators see their studies' audit trail."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(_study_may(user, Action.VIEW_AUDIT, "study"))
