"""The adjudicator's workbench (SPEC §6, issue 6): flags, the frames behind them, and the
signed decision per flagged group.

The adjudication is fetched through ``Adjudication.objects.visible_to`` (adjudicators of the
study who did not read the pullback); anyone else gets 404. Readers appear only as
"Reader 1" and "Reader 2". The decision goes through ``adjudication_resolve``, which checks
the password again and never touches the readers' reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from adjudication import jsonsafe
from adjudication.domain.errors import DomainError, FieldError, PasswordRequired
from adjudication.domain.metric_defs import READ_METRIC_BY_NAME, READ_METRICS
from adjudication.models import Adjudication, Consensus, FrameMetrics, Read, ReadMetrics
from adjudication.models.reading import ReadKind
from adjudication.services.adjudications import SOURCES, adjudication_resolve
from adjudication.types import request_user

SOURCE_LABELS = {"reader_a": "Reader 1", "reader_b": "Reader 2", "adjudicator": "My own annotation"}
GROUP_METRICS = {
    "lumen": ["mla_frame"],
    "expansion": ["msa_frame", "stent_distal_frame", "stent_proximal_frame"],
}


@dataclass
class DrivingFrames:
    """Frames that drive a group's values for one reader, with what each one shows."""

    label: str
    frames: list[tuple[int, str]] = field(default_factory=list)


def _argmax_frame(rows: list[FrameMetrics], name: str) -> int | None:
    best = None
    for row in rows:
        value = getattr(row, name)
        if value is not None and (best is None or value > getattr(best, name)):
            best = row
    return best.frame if best is not None else None


def driving_frames(read: Read, group: str) -> DrivingFrames:
    """The frames an adjudicator should look at for ``group`` in ``read`` (SPEC §5)."""
    result = DrivingFrames(label=read.label)
    metrics = ReadMetrics.objects.filter(read=read).first()
    rows = list(FrameMetrics.objects.filter(read=read).order_by("frame"))
    if metrics is not None:
        for name in GROUP_METRICS.get(group, []):
            value = getattr(metrics, name)
            if value is not None:
                result.frames.append((value, READ_METRIC_BY_NAME[name].definition))
    if group == "calcium":
        for name, what in [
            ("calcium_arc_deg", "largest calcium arc"),
            ("calcium_thickness_mm", "thickest calcium"),
        ]:
            frame = _argmax_frame(rows, name)
            if frame is not None:
                result.frames.append((frame, what))
    if group == "malapposition":
        frame = _argmax_frame(rows, "max_malapposition_um")
        if frame is not None:
            result.frames.append((frame, "largest strut malapposition"))
        malapposed = [
            r.frame for r in rows if (getattr(r, "malapposed_strut_count", None) or 0) > 0
        ]
        result.frames.extend((f, "malapposed strut(s)") for f in malapposed[:8])
    return result


@dataclass(frozen=True)
class LModeMark:
    """Where one reader found a minimum (or a stent edge), placed on the L-mode."""

    slot: int
    label: str
    metric: str
    frame: int
    position_pct: float
    value: float | None


# The positions an adjudicator compares on the L-mode (SPEC §6: compared, never averaged).
LMODE_METRICS = (
    ("mla_frame", "MLA", "mla_mm2"),
    ("msa_frame", "MSA", "msa_mm2"),
    ("stent_distal_frame", "distal edge", None),
    ("stent_proximal_frame", "proximal edge", None),
)


def lmode_marks(reads: list[Read], n_frames: int | None) -> list[LModeMark]:
    """Each reader's MLA and MSA frames and stent edges as L-mode positions (0–100 % of the
    pullback, distal at the left), from the metrics the comparison used."""
    last = max(1, (n_frames or 1) - 1)
    marks = []
    for read in reads:
        values: dict[str, Any] = read.metrics.values() if hasattr(read, "metrics") else {}
        for metric, what, value_metric in LMODE_METRICS:
            frame = values.get(metric)
            if frame is None:
                continue
            value = values.get(value_metric) if value_metric else None
            marks.append(
                LModeMark(
                    slot=read.slot,
                    label=f"{read.label} {what}",
                    metric=metric,
                    frame=int(frame),
                    position_pct=round(100.0 * int(frame) / last, 3),
                    value=float(value) if value is not None else None,
                )
            )
    return marks


def _visible_adjudication(request: HttpRequest, pk: int) -> Adjudication:
    adjudication = (
        Adjudication.objects.visible_to(request.user)
        .filter(pk=pk)
        .select_related("pullback__study")
        .prefetch_related("flags", "decisions")
        .first()
    )
    if adjudication is None:
        raise Http404
    return adjudication


def _decisions_from_post(request: HttpRequest, groups: list[str]) -> list[dict[str, str]]:
    return [
        {
            "group": group,
            "source": request.POST.get(f"source-{group}", ""),
            "reason": request.POST.get(f"reason-{group}", ""),
        }
        for group in groups
    ]


@login_required
@require_http_methods(["GET", "POST"])
def adjudication_page(request: HttpRequest, pk: int) -> HttpResponse:
    adjudication = _visible_adjudication(request, pk)
    pullback = adjudication.pullback
    flags = list(adjudication.flags.all())
    groups = sorted({f.group for f in flags})
    reads = list(
        Read.objects.filter(pullback=pullback, kind=ReadKind.READER)
        .select_related("metrics")
        .order_by("slot")
    )
    error: DomainError | None = None
    if request.method == "POST":
        try:
            adjudication_resolve(
                adjudication=adjudication,
                actor=request_user(request),
                password=request.POST.get("password"),
                decisions=_decisions_from_post(request, groups),
                annotations=_own_annotations(request),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, "Signed. The consensus is being written.")
            return redirect("adjudication-page", pk=adjudication.pk)
    values = {r.slot: (r.metrics.values() if hasattr(r, "metrics") else {}) for r in reads}
    group_rows = [
        {
            "group": group,
            "metrics": [
                {
                    "name": m.name,
                    "unit": m.unit,
                    "a": values.get(1, {}).get(m.name),
                    "b": values.get(2, {}).get(m.name),
                    "flagged": any(f.metric == m.name for f in flags),
                }
                for m in READ_METRICS
                if m.group == group
            ],
            "frames": [driving_frames(r, group) for r in reads],
            "chosen_source": request.POST.get(f"source-{group}", ""),
            "reason": request.POST.get(f"reason-{group}", ""),
        }
        for group in groups
    ]
    consensus = Consensus.objects.filter(pullback=pullback).first()
    return render(
        request,
        "adjudication/adjudicator/workbench.html",
        {
            "adjudication": adjudication,
            "pullback": pullback,
            "flags": flags,
            "group_rows": group_rows,
            "sources": [(s, SOURCE_LABELS[s]) for s in SOURCES],
            "decisions": list(adjudication.decisions.all()),
            "source_labels": SOURCE_LABELS,
            "consensus": consensus.values() if consensus else None,
            "error": error,
            "error_field": getattr(error, "field", None) if isinstance(error, FieldError) else None,
            "error_at": error_place(error, groups),
            "bootstrap": viewer_bootstrap(request, adjudication),
            "lmode_marks": lmode_marks(reads, pullback.n_frames),
            "lmode_rows": [
                {
                    "metric": metric,
                    "a": values.get(1, {}).get(metric),
                    "b": values.get(2, {}).get(metric),
                }
                for metric, _, _ in LMODE_METRICS
            ],
            "lmode_url": reverse("api-frame", args=[pullback.pk, 0]).removesuffix("frames/0")
            + "lmode/?angle_deg=0",
            "own_annotations": request.POST.get("annotations", ""),
        },
    )


def error_place(error: DomainError | None, groups: list[str]) -> str | None:
    """Where the form shows an error: "password", a group (its reason field), "annotations",
    or None (above the page, for errors that belong to no field)."""
    if isinstance(error, PasswordRequired):
        return "password"
    if not isinstance(error, FieldError):
        return None
    if error.field == "annotations":
        return "annotations"
    if error.field.startswith("decisions[") and "]" in error.field:
        index = error.field[len("decisions[") : error.field.index("]")]
        if index.isdigit() and int(index) < len(groups):
            return groups[int(index)]
    return None


def viewer_bootstrap(request: HttpRequest, adjudication: Adjudication) -> dict[str, Any]:
    """What the adjudication viewer needs (frontend/src/adjudication/bootstrap.ts): ids, URLs,
    the CSRF token, read-only once resolved, and the study settings its live readouts use.
    Nothing names a reader; the viewer fetches the blinded reads from the API."""
    pullback = adjudication.pullback
    frames_base = reverse("api-frame", args=[pullback.pk, 0])[:-1]  # ".../frames/"
    study_settings = pullback.study.get_settings()
    return {
        "adjudication_id": adjudication.pk,
        "pullback_id": pullback.pk,
        "api_base": "/api/v1",
        "csrf_token": get_token(request),
        "frame_url_template": frames_base + "{n}",
        # Aligned batches of FRAMES_BATCH_MAX_COUNT (the viewer asks for whole blocks): behind
        # nginx each is a file it sends after the grant, like a single frame.
        "frames_batch_url_template": frames_base + "?start={start}&count={count}",
        "frames_batch_size": settings.FRAMES_BATCH_MAX_COUNT,
        "lmode_url_template": frames_base.removesuffix("frames/") + "lmode/?angle_deg={angle}",
        "read_only": adjudication.status != "open",
        "strut_threshold_um": study_settings.strut_threshold_for(pullback.device or None),
        "sampling_interval_mm": study_settings.sampling_interval_mm,
        "reference_length_mm": study_settings.reference_length_mm,
    }


def _own_annotations(request: HttpRequest) -> Any:
    """The adjudicator's own document (JSON from the viewer), when one was sent."""
    raw = request.POST.get("annotations", "").strip()
    if not raw:
        return None
    try:
        return jsonsafe.loads(raw)
    except ValueError:
        raise FieldError("annotations", "is not valid JSON") from None
