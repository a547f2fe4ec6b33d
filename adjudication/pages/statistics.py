"""The coordinator's statistics page (SPEC §13): covariate upload, analysis options, Table 1 and
Table 2 per outcome laid out as in a paper, forest / ROC / Kaplan-Meier figures, downloads.

Only the study's coordinators reach it (404 for everyone else, as the rest of the console).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from adjudication.domain.errors import DomainError
from adjudication.models import Consensus, StudyCovariates, StudyStatistics, SubjectCovariates
from adjudication.services import statistics as service
from adjudication.statistics import tables
from adjudication.statistics.options import (
    CALCIUM_PREDICTORS,
    DEFAULT_PREDICTORS,
    OUTCOME_LABELS,
    OUTCOMES,
    RULE_CHOSEN,
    RULE_P_LT,
)
from adjudication.types import request_user

from .coordinator import coordinated_study

RULE_CHOICES = [
    (RULE_CHOSEN, "Predictors I choose below"),
    (RULE_P_LT, "Every candidate with univariable p below the entry threshold (reference study)"),
]
TIMEPOINT_CHOICES = [
    ("post", "post-procedure"),
    ("followup", "follow-up"),
    ("pre", "pre-procedure"),
    ("all", "all timepoints"),
]


class CovariatesForm(forms.Form):
    file = forms.FileField(
        label="Clinical covariates (CSV)",
        help_text="Header subject_code,<columns>; values numeric, yes/no or text categories; "
        "time-to-event pairs as <event>_days and <event> (yes/no).",
    )
    reason = forms.CharField(max_length=200, required=False, label="Reason (audit log)")


class OptionsForm(forms.Form):
    predictor_rule = forms.ChoiceField(
        choices=RULE_CHOICES, widget=forms.RadioSelect, label="Multivariable predictors"
    )
    predictors = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Chosen predictors"
    )
    entry_p = forms.FloatField(min_value=0.001, max_value=0.5, label="Entry threshold (p <)")
    timepoint = forms.ChoiceField(choices=TIMEPOINT_CHOICES, label="Pullbacks analysed")

    def __init__(self, *args: Any, candidates: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["predictors"]).choices = [(c, c) for c in candidates]


def _candidates(covariates: StudyCovariates | None) -> list[str]:
    names = list(CALCIUM_PREDICTORS)
    if covariates is not None:
        pairs = {n[: -len("_days")] for n in covariates.column_kinds if n.endswith("_days")}
        names += [n for n in covariates.column_kinds if n not in pairs and not n.endswith("_days")]
    return names


def _outcome_views(row: StudyStatistics) -> list[dict[str, Any]]:
    base = reverse("api-statistics-figure", args=[row.study_id, "NAME", "svg"])
    views = []
    for outcome in OUTCOMES:
        block = (row.result or {}).get("outcomes", {}).get(outcome)
        if block is None:
            continue
        names = [
            n
            for n in sorted(row.figures)
            if n == f"forest-{outcome}" or n == f"roc-{outcome}" or n.startswith(f"km-{outcome}-")
        ]
        views.append(
            {
                "name": outcome,
                "label": OUTCOME_LABELS[outcome],
                "block": block,
                "no_events": block["n"] - block["events"],
                "table1": tables.table1(block),
                "table2": tables.table2(block),
                "roc": [
                    {
                        "name": k,
                        **v,
                        "auc_text": tables.num(v["auc"]),
                        "ci_text": f"{tables.num(v['ci_low'])}–{tables.num(v['ci_high'])}",
                        "cutoff_text": f"{v['cutoff']:.4g}",
                    }
                    for k, v in block["roc"].items()
                    if v
                ],
                "survival": [
                    {"event": k, **v, "p_text": tables.pval(v["logrank_p"])}
                    for k, v in block["survival"].items()
                    if v
                ],
                "figures": [
                    {
                        "name": n,
                        "svg": base.replace("NAME", n),
                        "png": base.replace("NAME", n)[: -len("svg")] + "png?download=1",
                    }
                    for n in names
                ],
            }
        )
    return views


@login_required
@require_http_methods(["GET", "POST"])
def study_statistics(request: HttpRequest, pk: int) -> HttpResponse:
    """Covariates, options and results; POST ``action=upload`` or ``action=run``."""
    study = coordinated_study(request, pk)
    covariates = StudyCovariates.objects.filter(study=study).first()
    row = StudyStatistics.objects.filter(study=study).first()
    current = {
        "predictor_rule": RULE_CHOSEN,
        "predictors": list(DEFAULT_PREDICTORS),
        "entry_p": 0.1,
        "timepoint": "post",
        **(row.options if row else {}),
    }
    candidates = _candidates(covariates)
    upload_form = CovariatesForm()
    options_form = OptionsForm(initial=current, candidates=candidates)
    upload_errors: list[dict[str, Any]] = []
    status = 200
    action = request.POST.get("action")
    if request.method == "POST" and action == "upload":
        upload_form = CovariatesForm(request.POST, request.FILES)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["file"]
            try:
                service.covariates_upload(
                    study=study,
                    actor=request_user(request),
                    content=upload.read(),
                    filename=upload.name or "",
                    reason=upload_form.cleaned_data["reason"],
                )
                messages.success(request, "Covariates stored; the statistics are being computed.")
                return redirect("console-statistics", pk=study.pk)
            except service.CovariatesInvalid as exc:
                upload_errors = exc.errors
                upload_form.add_error("file", exc.message)
        status = 400
    elif request.method == "POST" and action == "run":
        options_form = OptionsForm(request.POST, candidates=candidates)
        if options_form.is_valid():
            try:
                service.statistics_request(
                    study=study,
                    actor=request_user(request),
                    options=dict(options_form.cleaned_data),
                )
                messages.success(request, "The statistics are being computed.")
                return redirect("console-statistics", pk=study.pk)
            except DomainError as exc:
                options_form.add_error(None, exc.message)
        status = 400
    latest_consensus = (
        Consensus.objects.filter(pullback__study=study).order_by("-computed_at").first()
    )
    stale = bool(
        row
        and row.computed_at
        and latest_consensus
        and latest_consensus.computed_at > row.computed_at
    )
    return render(
        request,
        "adjudication/coordinator/statistics.html",
        {
            "study": study,
            "section": "statistics",
            "covariates": covariates,
            "n_covariate_subjects": SubjectCovariates.objects.filter(subject__study=study).count(),
            "upload_form": upload_form,
            "upload_errors": upload_errors,
            "options_form": options_form,
            "run": row,
            "stale": stale,
            "outcomes": _outcome_views(row) if row and row.result else [],
            "result": row.result if row else None,
            "downloads": {
                "json": reverse("api-statistics-download", args=[study.pk]) + "?format=json",
                "xlsx": reverse("api-statistics-download", args=[study.pk]) + "?format=xlsx",
            },
        },
        status=status,
    )
