"""The console's "assign all ready": every ready, calibrated pullback gets its two readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adjudication.domain.errors import DomainError, Refused
from adjudication.domain.workflow import PullbackState
from adjudication.models import Membership, Pullback, Study
from adjudication.roles import Role

from .assignment import pullback_assign_readers


@dataclass
class AssignAllResult:
    """What happened: ``assigned`` maps pullback id → the two usernames; ``skipped`` maps
    pullback id → why it was left (no calibration, changed meanwhile, too few analysts)."""

    assigned: dict[int, list[str]] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)


def study_assign_all_ready(*, study: Study, actor: Any) -> AssignAllResult:
    """Assign readers to every ``ready`` pullback of the study that has a pixel spacing, one
    at a time in id order with the balanced rule (``pullback_assign_readers`` without names),
    so each choice sees the reads created just before it and the load stays even.

    Each pullback is its own audited transaction: one that cannot be assigned (it changed
    meanwhile, or no calibration) is reported in ``skipped`` and does not stop the others;
    fewer than two analysts refuses the whole run before any change."""
    analysts = Membership.objects.filter(
        study=study, role=Role.ANALYST.value, user__is_active=True
    ).count()
    if analysts < 2:
        raise Refused("The study needs at least two analysts before reads can be assigned.")
    result = AssignAllResult()
    candidates = (
        Pullback.objects.filter(
            study=study, status=PullbackState.READY.value, archived_at__isnull=True
        )
        .order_by("id")
        .only("id", "pixel_spacing_row_mm", "pixel_spacing_col_mm")
    )
    for pullback in candidates:
        if pullback.pixel_spacing_mm is None:
            result.skipped[pullback.pk] = "no pixel spacing: enter its calibration"
            continue
        try:
            reads = pullback_assign_readers(pullback=pullback, actor=actor)
        except DomainError as exc:
            result.skipped[pullback.pk] = exc.message
        else:
            result.assigned[pullback.pk] = [r.reader.username for r in reads]
    return result
