"""The coordinator console (SPEC §1 coordinator row, issue 6).

Every page fetches its study through ``Study.objects.coordinated_by(user)``: anyone who does
not coordinate the study (a reader, its adjudicator, an outsider, a coordinator of another
study) gets 404, never 403, so a study's existence does not leak. Writes go through the
services; domain refusals are shown on the form that caused them.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from adjudication import selectors
from adjudication.domain.errors import DomainError
from adjudication.domain.workflow import PullbackState, ReadState
from adjudication.models import AuditAction, AutoAnnotation, Consensus, Pullback, Read, Study
from adjudication.models.reading import ReadKind
from adjudication.services import (
    archive,
    assignment,
    batch_assignment,
    ingest,
    pullback_device,
    reassignment,
    studies,
)
from adjudication.types import User, request_user

from . import readouts
from .forms import (
    AssignForm,
    AuditFilterForm,
    CalibrationForm,
    DeviceForm,
    MemberForm,
    ReassignForm,
    StudyCreateForm,
    StudySettingsForm,
    UploadForm,
    add_domain_error,
)

PAGE_SIZE = 50
EXPORT_FORMATS = [("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("json", "JSON")]
EXPORT_LEVELS = [
    ("pullback", "Pullback", "One row per pullback: consensus values, each with its source."),
    ("frame", "Frame", "One row per analysis frame."),
    ("reader", "Reader", "One row per reader and pullback, for agreement work."),
]


def coordinated_study(request: HttpRequest, pk: int) -> Study:
    """The study if the signed-in user coordinates it, else 404 (SPEC §9: no 403 leak)."""
    study = Study.objects.coordinated_by(request.user).filter(pk=pk).first()
    if study is None:
        raise Http404
    return study


def study_pullback(study: Study, user: User, pullback_pk: int) -> Pullback:
    pullback = (
        Pullback.objects.visible_to(user)
        .filter(pk=pullback_pk, study=study)
        .select_related("subject", "study")
        .first()
    )
    if pullback is None:
        raise Http404
    return pullback


def _render(
    request: HttpRequest,
    template: str,
    study: Study | None,
    section: str,
    *,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    return render(
        request,
        f"adjudication/coordinator/{template}",
        {"study": study, "section": section, **context},
        status=status,
    )


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to the form's ``next`` when it is a local URL, else to ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _attach_json(events: Any) -> None:
    """What changed (dotted paths) and the full before/after snapshots as JSON text."""
    for event in events:
        event.changes = readouts.audit_changes(event.before, event.after)
        event.before_json = _json(event.before)
        event.after_json = _json(event.after)


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


# ----------------------------------------------------------------------------- study


@login_required
@require_http_methods(["GET", "POST"])
def study_create(request: HttpRequest) -> HttpResponse:
    """A new study; the creator becomes its first coordinator (SPEC §1)."""
    if not studies.user_may_create_study(request_user(request)):
        raise Http404
    form = StudyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            study = studies.study_create(
                actor=request_user(request),
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
                description=form.cleaned_data["description"],
                settings=form.full_settings(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Study {study.code} created. Add its members next.")
            return redirect("console-members", pk=study.pk)
    return _render(request, "study_create.html", None, "create", form=form)


OVERDUE_DAYS_DEFAULT = 7  # reads still open this many days after assignment are "overdue"


@login_required
def study_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress dashboard: pullbacks per state, reader workloads, flag rates, time per read."""
    study = coordinated_study(request, pk)
    loads, median_s, finished = readouts.reader_workloads(study)
    agreement = selectors.study_agreement(study)
    try:
        overdue_days = min(max(int(request.GET.get("overdue_days", "")), 1), 365)
    except ValueError:
        overdue_days = OVERDUE_DAYS_DEFAULT
    overdue = readouts.overdue_reads(study, days=overdue_days, now=timezone.now())
    context = {
        "overdue_days": overdue_days,
        "overdue": overdue,
        "overdue_by_reader": sorted(Counter(r.reader for r in overdue).items()),
        "state_counts": readouts.pullback_state_counts(study),
        "loads": loads,
        "median_read": readouts.duration(median_s),
        "finished_reads": finished,
        "flag_rates": readouts.flag_rate_rows(agreement),
        "pullbacks_compared": agreement["pullbacks_compared"],
        "recent": readouts.recent_pullbacks(study),
    }
    return _render(request, "dashboard.html", study, "dashboard", **context)


@login_required
@require_http_methods(["GET", "POST"])
def study_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Name, description, every threshold and tolerance; each change audited with a reason."""
    study = coordinated_study(request, pk)
    current = study.get_settings()
    initial = {"name": study.name, "description": study.description}
    form = StudySettingsForm(request.POST or None, initial=initial, initial_settings=current)
    if request.method == "POST" and form.is_valid():
        try:
            updated = studies.study_update(
                study=study,
                actor=request_user(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                settings=form.settings_changes(),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if updated.settings == study.settings and (updated.name, updated.description) == (
                study.name,
                study.description,
            ):
                messages.info(request, "Nothing changed.")
            else:
                messages.success(request, "Settings saved; the change is in the audit log.")
            return redirect("console-settings", pk=study.pk)
    changes = list(
        readouts.audit_events(study, request_user(request), action=AuditAction.STUDY_UPDATE)[:10]
    )
    _attach_json(changes)
    return _render(request, "settings.html", study, "settings", form=form, changes=changes)


@login_required
@require_http_methods(["GET", "POST"])
def study_members(request: HttpRequest, pk: int) -> HttpResponse:
    study = coordinated_study(request, pk)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = studies.study_add_member(
                study=study,
                actor=request_user(request),
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{membership.user.username} added as {membership.role}.")
            return redirect("console-members", pk=study.pk)
    members = readouts.study_members(study)
    roles = [(value, label) for value, label in form.fields["role"].choices]  # type: ignore[attr-defined]
    return _render(
        request, "members.html", study, "members", form=form, members=members, roles=roles
    )


@login_required
@require_POST
def member_change_role(request: HttpRequest, pk: int, username: str) -> HttpResponse:
    """Change a member's role (the services hand an analyst's open reads on; audited)."""
    study = coordinated_study(request, pk)
    try:
        membership = studies.membership_change_role(
            study=study,
            actor=request_user(request),
            username=username,
            role=request.POST.get("role", ""),
            reason=request.POST.get("reason", "").strip(),
        )
    except DomainError as exc:
        messages.error(request, f"{username}: {exc.message}")
    else:
        messages.success(request, f"{username} is now {membership.role}.")
    return redirect("console-members", pk=study.pk)


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, username: str) -> HttpResponse:
    """Remove a member from the study (audited; their open reads go to another analyst)."""
    study = coordinated_study(request, pk)
    try:
        studies.membership_remove(
            study=study,
            actor=request_user(request),
            username=username,
            reason=request.POST.get("reason", "").strip(),
        )
    except DomainError as exc:
        messages.error(request, f"{username}: {exc.message}")
    else:
        messages.success(request, f"{username} was removed from the study.")
    return redirect("console-members", pk=study.pk)


# ----------------------------------------------------------------------------- pullbacks


@login_required
@require_http_methods(["GET", "POST"])
def study_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload pullbacks. The page script sends each file to the API with a progress bar and
    polls the ingest; without script the form posts here and the same service runs."""
    study = coordinated_study(request, pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        created = []
        data = form.cleaned_data
        try:
            if data.get("manifest"):
                created = ingest.pullbacks_create_from_upload(
                    study=study,
                    actor=request_user(request),
                    sources=[
                        ingest.UploadSource(f.name or "upload.dcm", f, f.size) for f in data["file"]
                    ],
                    manifest=ingest.manifest_read(data["manifest"]),
                )
            else:
                for upload in data["file"]:
                    created.append(
                        ingest.pullback_create_from_upload(
                            study=study,
                            actor=request_user(request),
                            fileobj=upload,
                            filename=upload.name or "upload.dcm",
                            size_bytes=upload.size,
                            subject_code=data["subject_code"],
                            timepoint=data["timepoint"],
                            lesion=data["lesion"],
                        )
                    )
        except DomainError as exc:
            add_domain_error(form, exc)
        if created:
            ids = ", ".join(str(p.pk) for p in created)
            messages.success(request, f"Uploaded pullback(s) {ids}; ingest runs in the background.")
        if not form.errors:
            return redirect("console-pullbacks", pk=study.pk)
    api = {
        # API routes (SPEC §9); the two bases end with "/" and the script appends "<id>/".
        "upload_url": reverse("study-pullbacks", args=[study.pk]),
        "pullback_base": reverse("pullback-detail", args=[0]).removesuffix("0/"),
        "manage_base": reverse("console-pullback", args=[study.pk, 0]).removesuffix("0/"),
    }
    return _render(request, "upload.html", study, "upload", form=form, api=api)


@login_required
def study_pullbacks(request: HttpRequest, pk: int) -> HttpResponse:
    """Every pullback of the study with its state, readers and the next action."""
    study = coordinated_study(request, pk)
    status = request.GET.get("status", "")
    show_archived = request.GET.get("archived") == "1"
    pullbacks = (
        Pullback.objects.visible_to(request_user(request))
        .filter(study=study, archived_at__isnull=not show_archived)
        .select_related("subject")
        .prefetch_related("reads__reader")
        .order_by("id")
    )
    if status in {s.value for s in PullbackState}:
        pullbacks = pullbacks.filter(status=status)
    else:
        status = ""
    query = "&".join(
        part
        for part in (f"status={status}" if status else "", "archived=1" if show_archived else "")
        if part
    )
    page = Paginator(pullbacks.select_related("auto_annotation"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for pullback in page:
        if pullback.status == PullbackState.INGESTING:
            pullback.ingest_pct = ingest.ingest_progress_pct(pullback)
        pullback.proposal = _proposal(pullback)
    return _render(
        request,
        "pullbacks.html",
        study,
        "pullbacks",
        page=page,
        selected_status=status,
        show_archived=show_archived,
        querystring=query,
        states=[s.value for s in PullbackState],
        n_ready=Pullback.objects.filter(
            study=study, status=PullbackState.READY.value, archived_at__isnull=True
        ).count(),
    )


@login_required
@require_POST
def study_assign_all_ready(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign both readers of every ready, calibrated pullback with the balanced rule."""
    study = coordinated_study(request, pk)
    try:
        result = batch_assignment.study_assign_all_ready(study=study, actor=request_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if result.assigned:
            messages.success(
                request,
                f"Assigned {len(result.assigned)} pullback(s): "
                + "; ".join(f"{k} → {' and '.join(v)}" for k, v in result.assigned.items()),
            )
        for pullback_pk, why in result.skipped.items():
            messages.warning(request, f"Pullback {pullback_pk} not assigned: {why}")
        if not result.assigned and not result.skipped:
            messages.info(request, "No pullback is ready to be assigned.")
    return _back(request, reverse("console-pullbacks", args=[study.pk]))


@login_required
@require_POST
def pullback_archive(request: HttpRequest, pk: int, pullback_pk: int) -> HttpResponse:
    """Archive a failed pullback (kept for audit, out of the lists); audited with a reason."""
    study = coordinated_study(request, pk)
    pullback = study_pullback(study, request_user(request), pullback_pk)
    try:
        archive.pullback_archive(
            pullback=pullback, actor=request_user(request), reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, f"Pullback {pullback.pk}: {exc.message}")
        return redirect("console-pullback", pk=study.pk, pullback_pk=pullback.pk)
    messages.success(request, f"Pullback {pullback.pk} archived; it stays in the audit log.")
    return redirect("console-pullbacks", pk=study.pk)


def _proposal(pullback: Pullback) -> AutoAnnotation | None:
    """The automatic pre-annotation of the pullback (issue 10), if one was scheduled."""
    try:
        return pullback.auto_annotation
    except AutoAnnotation.DoesNotExist:
        return None


def _reassign_candidates(pullback: Pullback, reads: list[Read]) -> list[str]:
    taken = {r.reader.username for r in reads}
    return [u for u in readouts.study_analysts(pullback.study) if u not in taken]


def _pullback_context(
    study: Study,
    pullback: Pullback,
    *,
    assign_form: AssignForm | None = None,
    calibration_form: CalibrationForm | None = None,
    device_form: DeviceForm | None = None,
    reassign_forms: dict[int, ReassignForm] | None = None,
) -> dict[str, Any]:
    reads = list(Read.objects.filter(pullback=pullback).select_related("reader").order_by("slot"))
    reader_reads = [r for r in reads if r.kind == ReadKind.READER]
    analysts = readouts.study_analysts(study)
    candidates = _reassign_candidates(pullback, reads)
    reassign_forms = dict(reassign_forms or {})
    reassignable = pullback.status == PullbackState.READING
    rows = []
    for read in reader_reads:
        form = None
        if reassignable and read.status != ReadState.SUBMITTED:
            form = reassign_forms.get(read.pk) or ReassignForm(
                candidates=candidates, auto_id=f"id_read{read.pk}_%s"
            )
        rows.append((read, form))
    consensus = Consensus.objects.filter(pullback=pullback).first()
    return {
        "pullback": pullback,
        "ingest_pct": (
            ingest.ingest_progress_pct(pullback)
            if pullback.status == PullbackState.INGESTING
            else None
        ),
        "proposal": _proposal(pullback),
        "read_rows": rows,
        "adjudicator_read": next((r for r in reads if r.kind != ReadKind.READER), None),
        "assign_form": assign_form or AssignForm(analysts=analysts, initial={"mode": "manual"}),
        "calibration_form": calibration_form or CalibrationForm(),
        "device_form": device_form
        or DeviceForm(devices=study.get_settings().devices, current=pullback.device),
        "strut_threshold_um": study.get_settings().strut_threshold_for(pullback.device or None),
        "consensus": consensus.values() if consensus else None,
        "can_assign": pullback.status == PullbackState.READY,
    }


@login_required
def pullback_manage(request: HttpRequest, pk: int, pullback_pk: int) -> HttpResponse:
    """One pullback: calibration, assignment (by hand or balanced), reassignment, consensus."""
    study = coordinated_study(request, pk)
    pullback = study_pullback(study, request_user(request), pullback_pk)
    context = _pullback_context(study, pullback)
    return _render(request, "pullback.html", study, "pullbacks", **context)


@login_required
@require_POST
def pullback_assign(request: HttpRequest, pk: int, pullback_pk: int) -> HttpResponse:
    """Assign the two readers: by hand, or ``mode=auto`` for the balanced choice."""
    study = coordinated_study(request, pk)
    pullback = study_pullback(study, request_user(request), pullback_pk)
    form = AssignForm(request.POST, analysts=readouts.study_analysts(study))
    if form.is_valid():
        try:
            reads = assignment.pullback_assign_readers(
                pullback=pullback, actor=request_user(request), usernames=form.usernames()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            names = " and ".join(r.reader.username for r in reads)
            messages.success(request, f"Pullback {pullback.pk} assigned to {names}.")
            return _back(request, reverse("console-pullback", args=[study.pk, pullback.pk]))
    if request.POST.get("next"):
        # The one-click button of the pullback list: report there rather than switch pages.
        messages.error(request, f"Pullback {pullback.pk}: {_form_message(form)}")
        return _back(request, reverse("console-pullback", args=[study.pk, pullback.pk]))
    context = _pullback_context(study, pullback, assign_form=form)
    return _render(request, "pullback.html", study, "pullbacks", status=400, **context)


def _form_message(form: Any) -> str:
    errors = [str(e) for e in form.non_field_errors()]
    for name, field_errors in form.errors.items():
        if name != "__all__":
            errors.extend(f"{name}: {e}" for e in field_errors)
    return "; ".join(errors) or "refused"


@login_required
@require_POST
def pullback_calibrate(request: HttpRequest, pk: int, pullback_pk: int) -> HttpResponse:
    """Enter the calibration a DICOM lacks (SPEC §3); audited with the reason."""
    study = coordinated_study(request, pk)
    pullback = study_pullback(study, request_user(request), pullback_pk)
    form = CalibrationForm(request.POST)
    if form.is_valid():
        try:
            ingest.pullback_set_calibration(
                pullback=pullback,
                actor=request_user(request),
                pixel_spacing_mm=form.pixel_spacing_mm(),
                frame_spacing_mm=form.cleaned_data.get("frame_spacing_mm"),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Calibration of pullback {pullback.pk} saved.")
            return redirect("console-pullback", pk=study.pk, pullback_pk=pullback.pk)
    context = _pullback_context(study, pullback, calibration_form=form)
    return _render(request, "pullback.html", study, "pullbacks", status=400, **context)


@login_required
@require_POST
def pullback_set_device(request: HttpRequest, pk: int, pullback_pk: int) -> HttpResponse:
    """Name the pullback's device (SPEC §5 threshold per device); audited with the reason."""
    study = coordinated_study(request, pk)
    pullback = study_pullback(study, request_user(request), pullback_pk)
    form = DeviceForm(request.POST, devices=study.get_settings().devices, current=pullback.device)
    if form.is_valid():
        try:
            pullback_device.pullback_set_device(
                pullback=pullback,
                actor=request_user(request),
                device=form.cleaned_data["device"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Device of pullback {pullback.pk} saved.")
            return redirect("console-pullback", pk=study.pk, pullback_pk=pullback.pk)
    context = _pullback_context(study, pullback, device_form=form)
    return _render(request, "pullback.html", study, "pullbacks", status=400, **context)


@login_required
@require_POST
def read_reassign(request: HttpRequest, pk: int, pullback_pk: int, read_pk: int) -> HttpResponse:
    """Hand an unsubmitted read to another analyst; the old annotations are discarded."""
    study = coordinated_study(request, pk)
    pullback = study_pullback(study, request_user(request), pullback_pk)
    read = (
        Read.objects.filter(pk=read_pk, pullback=pullback, kind=ReadKind.READER)
        .select_related("reader")
        .first()
    )
    if read is None:
        raise Http404
    reads = list(Read.objects.filter(pullback=pullback).select_related("reader"))
    form = ReassignForm(
        request.POST,
        candidates=_reassign_candidates(pullback, reads),
        auto_id=f"id_read{read.pk}_%s",
    )
    if form.is_valid():
        try:
            new = reassignment.read_reassign(
                read=read,
                actor=request_user(request),
                username=form.cleaned_data["username"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"{new.label} of pullback {pullback.pk} reassigned from {read.reader.username} "
                f"to {new.reader.username}; the previous annotations were discarded.",
            )
            return redirect("console-pullback", pk=study.pk, pullback_pk=pullback.pk)
    context = _pullback_context(study, pullback, reassign_forms={read.pk: form})
    return _render(request, "pullback.html", study, "pullbacks", status=400, **context)


# ----------------------------------------------------------------------------- read-outs


@login_required
def study_agreement(request: HttpRequest, pk: int) -> HttpResponse:
    """SPEC §7 table per metric and a Bland-Altman plot per continuous metric."""
    study = coordinated_study(request, pk)
    view = readouts.agreement_view(study)
    return _render(request, "agreement.html", study, "agreement", agreement=view)


@login_required
def study_exports(request: HttpRequest, pk: int) -> HttpResponse:
    """Links to the export API (SPEC §10) for every format and level."""
    study = coordinated_study(request, pk)
    base = reverse("api-export", args=[study.pk])
    rows = [
        {
            "level": level,
            "label": label,
            "help": help_text,
            "links": [(f"{base}?format={fmt}&level={level}", name) for fmt, name in EXPORT_FORMATS],
            "dictionary": f"{base}?format=csv&level={level}&part=dictionary",
        }
        for level, label, help_text in EXPORT_LEVELS
    ]
    n_consensus = Consensus.objects.filter(pullback__study=study).count()
    return _render(request, "exports.html", study, "exports", rows=rows, n_consensus=n_consensus)


@login_required
def study_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """The study's audit log, newest first, filtered by who, object, action and date."""
    study = coordinated_study(request, pk)
    form = AuditFilterForm(request.GET or None, choices=readouts.audit_filter_choices(study))
    filters = form.filters() if request.GET else {}
    events = readouts.audit_events(study, request_user(request), **filters)
    expand = request.GET.get("autosaves") == "all"
    if expand:
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        _attach_json(page)
        lines = list(page)
        n_events = page.paginator.count
    else:
        grouped = readouts.collapse_autosaves(
            events.values_list("id", "action", "actor_id", "object_type", "object_id")
        )
        page = Paginator(grouped, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[assignment]
        lines = _audit_lines(events, list(page))  # type: ignore[arg-type]
        n_events = sum(len(line) for line in grouped)
    query = request.GET.copy()
    query.pop("page", None)
    collapsed = query.copy()
    collapsed.pop("autosaves", None)
    return _render(
        request,
        "audit.html",
        study,
        "audit",
        form=form,
        page=page,
        lines=lines,
        n_events=n_events,
        expand=expand,
        collapsed_query=collapsed.urlencode(),
        querystring=query.urlencode(),
    )


def _audit_lines(events: Any, groups: list[list[int]]) -> list[Any]:
    """One event per line; a run of autosaves is its newest event carrying ``count``, the
    oldest event's time and the change from the oldest ``before`` to the newest ``after``."""
    wanted = {i for group in groups for i in (group[0], group[-1])}
    by_id = {e.pk: e for e in events.filter(pk__in=wanted)}
    lines = []
    for group in groups:
        head, tail = by_id[group[0]], by_id[group[-1]]
        head.count = len(group)
        if head.count > 1:
            head.first_at, head.first_id = tail.at, tail.pk
            head.before = tail.before
        lines.append(head)
    _attach_json(lines)
    return lines
