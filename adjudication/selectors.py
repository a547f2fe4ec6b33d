"""Read-side queries for pages and read-outs; every one starts from ``visible_to``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count

from adjudication.domain.agreement import study_agreement as domain_study_agreement
from adjudication.domain.metric_defs import READ_METRICS
from adjudication.models import Adjudication, Flag, Pullback, Read, ReadMetrics, Study
from adjudication.models.reading import ReadKind
from adjudication.roles import Role


def worklist_for_reader(user: Any) -> list[Read]:
    return list(
        Read.objects.visible_to(user)
        .filter(kind=ReadKind.READER)
        .select_related("pullback__study")
        .order_by("status", "id")
    )


def adjudication_queue(user: Any) -> list[Adjudication]:
    return list(
        Adjudication.objects.visible_to(user)
        .select_related("pullback__study")
        .order_by("status", "id")
    )


def studies_for_coordinator(user: Any) -> list[Study]:
    studies = list(Study.objects.coordinated_by(user).order_by("code"))
    counts = (
        Pullback.objects.filter(study__in=studies)
        .values_list("study_id", "status")
        .annotate(n=Count("id"))
    )
    by_study: dict[int, dict[str, int]] = defaultdict(dict)
    for study_id, status, n in counts:
        by_study[study_id][status] = n
    for study in studies:
        study.progress_counts = by_study.get(study.pk, {})  # type: ignore[attr-defined]
    return studies


def memberships_by_role(user: Any) -> dict[str, list[Any]]:
    roles: dict[str, list[Any]] = {r.value: [] for r in Role}
    for m in user.memberships.select_related("study").order_by("study__code"):
        roles[m.role].append(m.study)
    return roles


def study_agreement(study: Study) -> dict[str, Any]:
    """SPEC §7 per metric from the two readers' metrics (before adjudication), plus flag rates."""
    pairs: dict[str, list[tuple[Any, Any]]] = {m.name: [] for m in READ_METRICS}
    rows = (
        ReadMetrics.objects.filter(read__pullback__study=study, read__kind=ReadKind.READER)
        .select_related("read")
        .order_by("read__pullback_id", "read__slot")
    )
    by_pullback: dict[int, dict[int, ReadMetrics]] = defaultdict(dict)
    for metrics in rows:
        by_pullback[metrics.read.pullback_id][metrics.read.slot] = metrics
    compared = 0
    for slots in by_pullback.values():
        if 1 in slots and 2 in slots:
            compared += 1
            a, b = slots[1].values(), slots[2].values()
            for m in READ_METRICS:
                pairs[m.name].append((a[m.name], b[m.name]))
    flag_counts = dict(
        Flag.objects.filter(adjudication__pullback__study=study)
        .values_list("metric")
        .annotate(n=Count("id"))
        .values_list("metric", "n")
    )
    return {
        "study": study.pk,
        "pullbacks_compared": compared,
        "metrics": domain_study_agreement(pairs, flag_counts),
    }
