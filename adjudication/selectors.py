"""Read-side queries for pages and read-outs; every one starts from ``visible_to``."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Case, Count, When

from adjudication.domain.agreement import study_agreement as domain_study_agreement
from adjudication.domain.metric_defs import READ_METRICS
from adjudication.domain.workflow import PullbackState
from adjudication.models import Adjudication, Flag, Pullback, Read, ReadMetrics, Study
from adjudication.models.reading import ReadKind
from adjudication.roles import Role
from adjudication.types import User


def worklist_for_reader(user: User) -> list[Read]:
    return list(
        Read.objects.visible_to(user)
        .filter(kind=ReadKind.READER)
        .select_related("pullback__study")
        .order_by("status", "id")
    )


# The adjudication queue's orders (issue 14): open cases first, then the chosen key.
QUEUE_SORTS: dict[str, tuple[str, ...]] = {
    "age": ("created_at", "id"),
    "flags": ("-flag_count", "created_at"),
    "study": ("pullback__study__code", "created_at"),
}


def adjudication_queue(user: User, sort: str = "age") -> list[Adjudication]:
    """Visible adjudications with their flag count and flagged groups; open ones first,
    then oldest first (``sort="age"``), most flags first (``"flags"``) or by study."""
    order = QUEUE_SORTS.get(sort, QUEUE_SORTS["age"])
    cases = list(
        Adjudication.objects.visible_to(user)
        .select_related("pullback__study")
        .prefetch_related("flags")
        .annotate(flag_count=Count("flags"))
        .order_by(Case(When(status="open", then=0), default=1), *order)
    )
    for case in cases:
        case.flag_groups = sorted({f.group for f in case.flags.all()})
    return cases


def pullback_status_counts(studies: Iterable[Study | int]) -> dict[int, dict[str, int]]:
    """``{study id: {pullback status: count}}`` in one query (statuses without pullbacks are
    absent; archived pullbacks are out of every count); the study list, the API's ``progress``
    and the dashboard all count this way."""
    ids = [s if isinstance(s, int) else s.pk for s in studies]
    counts = (
        Pullback.objects.filter(study_id__in=ids, archived_at__isnull=True)
        .values_list("study_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_study: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    for study_id, status, n in counts:
        by_study[study_id][status] = n
    return by_study


def studies_for_coordinator(user: User) -> list[Study]:
    studies = list(Study.objects.coordinated_by(user).order_by("code"))
    by_study = pullback_status_counts(studies)
    for study in studies:
        study.progress_counts = by_study.get(study.pk, {})
    return studies


def memberships_by_role(user: User) -> dict[str, list[Any]]:
    roles: dict[str, list[Any]] = {r.value: [] for r in Role}
    for m in user.memberships.select_related("study").order_by("study__code"):
        roles[m.role].append(m.study)
    return roles


COMPARED_STATES = (
    PullbackState.FLAGGED.value,
    PullbackState.ADJUDICATING.value,
    PullbackState.CONSENSUS.value,
)


def _finite_or_none(value: Any) -> Any:
    """JSON has no inf/NaN: an undefined statistic is null (SPEC §5's rule, applied to §7)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    return value


def study_agreement(study: Study) -> dict[str, Any]:
    """SPEC §7 per metric: reader 1 vs reader 2 before adjudication, plus flag rates.

    Pairs come from the pullbacks whose two reads were compared (flagged, adjudicating or
    consensus), each read's metrics as computed with its frozen settings; the adjudicator's
    own read never enters. Continuous metrics: ``n, bias, sd_diff, loa_lower, loa_upper, icc,
    icc_ci_lower, icc_ci_upper`` and ``bland_altman`` points ``{pullback, mean, diff}``
    (A − B); categorical: ``n, percent_agreement, kappa, kappa_ci_lower, kappa_ci_upper``.
    Every metric: ``kind, unit, group, flag_count, flag_rate`` (flags ÷ compared pullbacks;
    null for metrics that are never compared). Three queries whatever the study's size.
    """
    names = [m.name for m in READ_METRICS]
    rows = (
        ReadMetrics.objects.filter(
            read__pullback__study=study,
            read__pullback__status__in=COMPARED_STATES,
            read__kind=ReadKind.READER,
            read__slot__in=(1, 2),
        )
        .order_by("read__pullback_id", "read__slot")
        .values_list("read__pullback_id", "read__slot", *names)
    )
    by_pullback: dict[int, dict[int, tuple[Any, ...]]] = defaultdict(dict)
    for pullback_id, slot, *values in rows:
        by_pullback[pullback_id][slot] = tuple(values)
    pullback_ids = [pk for pk, slots in by_pullback.items() if 1 in slots and 2 in slots]
    pairs: dict[str, list[tuple[Any, Any]]] = {
        name: [(by_pullback[pk][1][i], by_pullback[pk][2][i]) for pk in pullback_ids]
        for i, name in enumerate(names)
    }
    flag_rows = Flag.objects.filter(
        adjudication__pullback__study=study, adjudication__pullback_id__in=pullback_ids
    ).values_list("metric", "adjudication__pullback_id")
    flag_counts: dict[str, int] = defaultdict(int)
    flagged_pullbacks: set[int] = set()
    for metric_name, pullback_id in flag_rows:
        flag_counts[metric_name] += 1
        flagged_pullbacks.add(pullback_id)
    results = domain_study_agreement(pairs, flag_counts)
    for metric in READ_METRICS:
        result = results[metric.name]
        result.update(
            unit=metric.unit,
            group=str(metric.group),
            flag_count=flag_counts.get(metric.name, 0) if metric.compared else None,
        )
        if "bland_altman" in result:
            measured = [
                pk
                for pk, (a, b) in zip(pullback_ids, pairs[metric.name], strict=True)
                if a is not None and b is not None
            ]
            for point, pk in zip(result["bland_altman"], measured, strict=True):
                point["pullback"] = pk
    return _finite_or_none(
        {
            "study": study.pk,
            "pullbacks_compared": len(pullback_ids),
            "pullbacks_flagged": len(flagged_pullbacks),
            "metrics": results,
        }
    )
