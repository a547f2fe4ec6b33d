"""Read-side queries of the coordinator console (dashboard, agreement, audit).

Every function takes a study the caller already fetched through ``Study.objects
.coordinated_by(user)``; nothing here writes. (They are console-specific read-outs, kept
beside the pages; ``selectors.study_agreement`` stays the one agreement computation.)
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from adjudication import selectors
from adjudication.domain import number_format
from adjudication.domain.metric_defs import READ_METRICS, Kind, MetricDef
from adjudication.domain.workflow import PullbackState, ReadState
from adjudication.models import AuditEvent, Membership, Pullback, Read, Study
from adjudication.models.reading import ReadKind
from adjudication.roles import Role
from adjudication.types import User

from .charts import BlandAltmanPlot, bland_altman_plot


def unit_label(unit: str) -> str:
    return number_format.unit_label(unit)


def number(value: Any, digits: int = 2) -> str:
    """A table cell: fixed decimals, an en dash for None (undefined, never 0)."""
    return number_format.format_number(value, digits)


def duration(seconds: float | None) -> str:
    """``2 h 05 min``, ``12 min 30 s`` or ``45 s``; an en dash for None."""
    if seconds is None:
        return "–"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


# ----------------------------------------------------------------------------- dashboard


def pullback_state_counts(study: Study) -> list[tuple[str, int]]:
    """Every workflow state in SPEC order with its count (zeros included)."""
    counts = selectors.pullback_status_counts([study])[study.pk]
    return [(state.value, counts.get(state.value, 0)) for state in PullbackState]


def _read_seconds(
    read_rows: list[tuple[Any, dt.datetime, dt.datetime | None]],
) -> dict[Any, list[float]]:
    by_reader: dict[Any, list[float]] = defaultdict(list)
    for reader_id, created_at, submitted_at in read_rows:
        if created_at is not None and submitted_at is not None:
            by_reader[reader_id].append((submitted_at - created_at).total_seconds())
    return by_reader


@dataclass(frozen=True)
class ReaderLoad:
    username: str
    open_reads: int
    finished_reads: int
    median_read_s: float | None

    @property
    def median_read(self) -> str:
        return duration(self.median_read_s)


def reader_workloads(study: Study) -> tuple[list[ReaderLoad], float | None, int]:
    """Each analyst's open and finished reads in the study, their median time per read
    (``submitted_at − created_at``), and the study-wide median and number of finished reads."""
    names = dict(
        Membership.objects.filter(study=study, role=Role.ANALYST.value).values_list(
            "user_id", "user__username"
        )
    )
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: {"open": 0, "finished": 0})
    reads = Read.objects.filter(pullback__study=study, kind=ReadKind.READER)
    for reader_id, username, status, n in (
        reads.values_list("reader_id", "reader__username", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        names.setdefault(reader_id, username)  # a former analyst who still holds reads
        key = "finished" if status == ReadState.SUBMITTED.value else "open"
        counts[reader_id][key] += n
    rows = list(
        reads.filter(status=ReadState.SUBMITTED.value).values_list(
            "reader_id", "created_at", "submitted_at"
        )
    )
    seconds = _read_seconds(rows)
    loads = [
        ReaderLoad(
            username=username,
            open_reads=counts[pk]["open"],
            finished_reads=counts[pk]["finished"],
            median_read_s=statistics.median(seconds[pk]) if seconds.get(pk) else None,
        )
        for pk, username in sorted(names.items(), key=lambda item: item[1])
    ]
    everyone = [s for values in seconds.values() for s in values]
    return loads, (statistics.median(everyone) if everyone else None), len(everyone)


@dataclass(frozen=True)
class MetricRow:
    """One metric of the agreement table, formatted for display."""

    name: str
    unit: str
    kind: str
    n: int
    cells: dict[str, str]
    flag_rate: str


def _flag_rate(result: dict[str, Any]) -> str:
    rate = result.get("flag_rate")
    return "–" if rate is None else f"{100.0 * rate:.0f} %"


def flag_rate_rows(agreement: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric, flag rate) for every compared metric."""
    metrics = agreement["metrics"]
    return [(m.name, _flag_rate(metrics[m.name])) for m in READ_METRICS if m.compared]


@dataclass(frozen=True)
class OverdueRead:
    read_id: int
    pullback_id: int
    reader: str
    slot: int
    status: str
    assigned_at: dt.datetime
    age_days: int


def overdue_reads(study: Study, *, days: int, now: dt.datetime) -> list[OverdueRead]:
    """Readers' reads not yet submitted that were assigned more than ``days`` days ago,
    oldest first (the coordinator's "who is behind" list)."""
    cutoff = now - dt.timedelta(days=days)
    reads = (
        Read.objects.filter(
            pullback__study=study,
            kind=ReadKind.READER,
            created_at__lt=cutoff,
            pullback__archived_at__isnull=True,
        )
        .exclude(status=ReadState.SUBMITTED.value)
        .select_related("reader")
        .order_by("created_at", "id")
    )
    return [
        OverdueRead(
            read_id=r.pk,
            pullback_id=r.pullback_id,
            reader=r.reader.username,
            slot=r.slot,
            status=r.status,
            assigned_at=r.created_at,
            age_days=(now - r.created_at).days,
        )
        for r in reads
    ]


def recent_pullbacks(study: Study, limit: int = 10) -> list[Pullback]:
    return list(
        Pullback.objects.filter(study=study, archived_at__isnull=True)
        .select_related("subject")
        .prefetch_related("reads__reader")
        .order_by("-id")[:limit]
    )


# ----------------------------------------------------------------------------- agreement


@dataclass
class AgreementView:
    pullbacks_compared: int
    continuous: list[MetricRow]
    categorical: list[MetricRow]
    plots: list[tuple[MetricDef, BlandAltmanPlot | None, int]]


def _interval(result: dict[str, Any], prefix: str, digits: int = 2) -> str:
    """``<lower> to <upper>`` of ``<prefix>_lower`` / ``<prefix>_upper``; an en dash when the
    interval is undefined."""
    if result[f"{prefix}_lower"] is None:
        return "–"
    return f"{number(result[f'{prefix}_lower'], digits)} to {number(result[f'{prefix}_upper'], digits)}"


def _metric_row(metric: MetricDef, result: dict[str, Any], cells: dict[str, str]) -> MetricRow:
    return MetricRow(
        name=metric.name,
        unit=unit_label(metric.unit),
        kind=str(metric.kind),
        n=result["n"],
        cells=cells,
        flag_rate=_flag_rate(result),
    )


def agreement_view(study: Study) -> AgreementView:
    """SPEC §7 per metric, formatted, plus a Bland-Altman plot per continuous metric."""
    agreement = selectors.study_agreement(study)
    metrics = agreement["metrics"]
    continuous: list[MetricRow] = []
    categorical: list[MetricRow] = []
    plots: list[tuple[MetricDef, BlandAltmanPlot | None, int]] = []
    for m in READ_METRICS:
        result = metrics[m.name]
        if m.is_categorical:
            categorical.append(
                _metric_row(
                    m,
                    result,
                    {
                        "percent_agreement": number(result["percent_agreement"], 1),
                        "kappa": number(result["kappa"]),
                        "kappa_ci": _interval(result, "kappa_ci"),
                        # Ordinal scores (Fujino): the linearly weighted kappa with its CI.
                        "weighted_kappa": (
                            f"{number(result['weighted_kappa'])} "
                            f"({number(result['weighted_kappa_ci_lower'])} to "
                            f"{number(result['weighted_kappa_ci_upper'])})"
                            if result.get("weighted_kappa") is not None
                            else ("–" if "weighted_kappa" in result else "")
                        ),
                    },
                )
            )
            continue
        d = m.display_digits + 1  # differences between readers: one place finer
        continuous.append(
            _metric_row(
                m,
                result,
                {
                    "bias": number(result["bias"], d),
                    "sd_diff": number(result["sd_diff"], d),
                    "loa": _interval(result, "loa", d),
                    "icc": number(result["icc"]),
                    "icc_ci": _interval(result, "icc_ci"),
                },
            )
        )
        if m.kind is Kind.CONTINUOUS:
            plot = bland_altman_plot(
                metric=m.name, unit=m.unit, unit_label=unit_label(m.unit), result=result, digits=d
            )
            plots.append((m, plot, result["n"]))
    return AgreementView(
        pullbacks_compared=agreement["pullbacks_compared"],
        continuous=continuous,
        categorical=categorical,
        plots=plots,
    )


# ----------------------------------------------------------------------------- members, audit


def study_members(study: Study) -> list[Membership]:
    return list(
        Membership.objects.filter(study=study)
        .select_related("user")
        .order_by("role", "user__username")
    )


def study_analysts(study: Study) -> list[str]:
    return list(
        Membership.objects.filter(study=study, role=Role.ANALYST.value, user__is_active=True)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def audit_events(
    study: Study,
    user: User,
    *,
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """The study's audit trail as the coordinator may see it, newest first, filtered."""
    events = (
        AuditEvent.objects.visible_to(user)
        .filter(study=study)
        .select_related("actor")
        .order_by("-id")
    )
    if actor == "(system)":
        events = events.filter(actor__isnull=True)
    elif actor:
        events = events.filter(actor__username=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if action:
        events = events.filter(action=action)
    if date_from:
        events = events.filter(at__date__gte=date_from)
    if date_to:
        events = events.filter(at__date__lte=date_to)
    return events


def audit_filter_choices(study: Study) -> dict[str, list[str]]:
    """Values that occur in the study's audit trail, for the filter form's selects."""
    base = AuditEvent.objects.filter(study=study)
    actors = sorted(
        {name for name in base.values_list("actor__username", flat=True).distinct() if name}
    )
    if base.filter(actor__isnull=True).exists():
        actors.append("(system)")
    return {
        "actor": actors,
        "object_type": sorted(set(base.values_list("object_type", flat=True).distinct())),
        "action": sorted(set(base.values_list("action", flat=True).distinct())),
    }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def _short(value: Any) -> str:
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "…"


@dataclass(frozen=True)
class Change:
    path: str
    before: str | None
    after: str | None


AUTOSAVE_ACTION = "read.save_annotations"


def collapse_autosaves(rows: Iterable[tuple[int, str, Any, str, str]]) -> list[list[int]]:
    """Audit lines from events newest first, ``(id, action, actor_id, object_type, object_id)``:
    each autosave joins the run of autosaves of the same object by the same actor above it,
    unless another event on that object (a submission, a transition) came in between; every
    other event is a line of its own. A line lists its event ids newest first."""
    lines: list[list[int]] = []
    runs: dict[tuple[str, str, Any], list[int]] = {}
    for event_id, action, actor_id, object_type, object_id in rows:
        if action == AUTOSAVE_ACTION:
            run = runs.get((object_type, object_id, actor_id))
            if run is None:
                run = runs[(object_type, object_id, actor_id)] = []
                lines.append(run)
            run.append(event_id)
            continue
        for key in [k for k in runs if k[:2] == (object_type, object_id)]:
            del runs[key]
        lines.append([event_id])
    return lines


def audit_changes(before: Any, after: Any) -> list[Change]:
    """What an audit event changed, as dotted paths: ``settings.strut_threshold_um 100 → 80``.

    Only differing leaves are listed, so a settings change shows the one value that moved
    rather than two full snapshots. A value present on one side only has None on the other.
    """
    old = (
        _flatten(before)
        if isinstance(before, dict)
        else ({"": before} if before is not None else {})
    )
    new = _flatten(after) if isinstance(after, dict) else ({"": after} if after is not None else {})
    changes = []
    for path in sorted(set(old) | set(new)):
        if path in old and path in new and old[path] == new[path]:
            continue
        changes.append(
            Change(
                path=path,
                before=_short(old[path]) if path in old else None,
                after=_short(new[path]) if path in new else None,
            )
        )
    return changes
