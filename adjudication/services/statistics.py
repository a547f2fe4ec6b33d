"""Clinical covariates and study statistics (SPEC §13): the only writers of their models.

``covariates_upload`` validates a CSV against the study's subjects and replaces the covariate
table whole (nothing stored when any row is wrong); ``statistics_request`` records the
analysis options and schedules ``study_compute_statistics`` on commit;
``statistics_compute`` (the task's service) claims the run in a short transaction, computes
with no transaction open, and stores the result in another short one — unless a newer
request superseded it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from adjudication.domain.errors import DomainError, FieldError
from adjudication.domain.metric_defs import READ_METRICS
from adjudication.models import (
    Consensus,
    Study,
    StudyCovariates,
    StudyStatistics,
    Subject,
    SubjectCovariates,
)
from adjudication.models.audit import AuditAction
from adjudication.models.statistics import StatisticsStatus
from adjudication.statistics import (
    ClinicalTable,
    InputInvalid,
    StatisticsOptions,
    parse_clinical_csv,
)
from adjudication.statistics.inputs import clinical_from_stored
from adjudication.types import User

from .audit import audit_record

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class CovariatesInvalid(DomainError):
    """The covariate file is refused; ``errors`` lists ``{row, column, message}``."""

    code = "covariates_invalid"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        n = len(errors)
        first = errors[0]["message"] if errors else "invalid file"
        where = f"row {errors[0]['row']}: " if errors and errors[0].get("row") else ""
        super().__init__(
            f"{where}{first}" + (f" ({n - 1} more errors)" if n > 1 else "") + "; nothing stored"
        )


def _decode(content: bytes) -> str:
    if len(content) > MAX_UPLOAD_BYTES:
        raise CovariatesInvalid(
            [{"row": None, "column": None, "message": "the file is larger than 5 MB"}]
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CovariatesInvalid(
            [{"row": None, "column": None, "message": "the file is not UTF-8 text"}]
        ) from None


def _covariate_snapshot(study: Study) -> dict[str, Any] | None:
    table = StudyCovariates.objects.filter(study=study).first()
    if table is None:
        return None
    values = dict(
        SubjectCovariates.objects.filter(subject__study=study)
        .order_by("subject__code")
        .values_list("subject__code", "values")
    )
    return {
        "columns": table.columns,
        "filename": table.filename,
        "sha256": table.sha256,
        "n_subjects": len(values),
        "values": values,
    }


def covariates_upload(
    *, study: Study, actor: User, content: bytes, filename: str = "", reason: str = ""
) -> StudyCovariates:
    """Validate ``subject_code,<columns>`` CSV bytes and replace the study's covariates.

    Every bad row is reported at once (:class:`CovariatesInvalid`) and nothing is stored.
    Writes one ``covariates.upload`` audit event (before/after: columns and every value) and
    requests a statistics run with the current options.
    """
    text = _decode(content)
    codes = dict(Subject.objects.filter(study=study).values_list("code", "pk"))
    try:
        table = parse_clinical_csv(text, known_subjects=codes)
    except InputInvalid as exc:
        raise CovariatesInvalid(exc.errors) from None
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic(durable=True):
        study = Study.objects.select_for_update().get(pk=study.pk)
        before = _covariate_snapshot(study)
        SubjectCovariates.objects.filter(subject__study=study).delete()
        SubjectCovariates.objects.bulk_create(
            SubjectCovariates(subject_id=codes[code], values=values)
            for code, values in table.rows.items()
        )
        covariates, _ = StudyCovariates.objects.update_or_create(
            study=study,
            defaults={
                "columns": [[name, kind] for name, kind in table.columns.items()],
                "filename": filename[:255],
                "sha256": digest,
                "uploaded_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action=AuditAction.COVARIATES_UPLOAD,
            obj=covariates,
            study=study,
            before=before,
            after=_covariate_snapshot(study),
            reason=reason,
        )
        _request(study=study, actor=actor, options=None, reason="covariates uploaded")
    return covariates


def _validated_options(options: dict[str, Any] | None) -> dict[str, Any]:
    try:
        return StatisticsOptions.from_dict(options).to_dict()
    except (TypeError, ValueError) as exc:
        raise FieldError("options", str(exc), code="invalid") from None


def _request_snapshot(row: StudyStatistics) -> dict[str, Any]:
    """What the audit keeps of a statistics request, before and after."""
    return {"options": row.options, "generation": row.generation, "status": row.status}


def _request(
    *, study: Study, actor: User, options: dict[str, Any] | None, reason: str
) -> StudyStatistics:
    from adjudication.tasks import study_compute_statistics as study_compute_statistics_task

    row = StudyStatistics.objects.select_for_update().filter(study=study).first()
    now = timezone.now()
    if row is None:
        row = StudyStatistics(
            study=study,
            options=_validated_options(options),
            generation=0,
            requested_at=now,
        )
        before = None
    else:
        before = _request_snapshot(row)
        if options is not None:
            row.options = _validated_options(options)
    row.generation += 1
    row.status = StatisticsStatus.PENDING
    row.error = ""
    row.requested_at = now
    row.requested_by = actor
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction.STATISTICS_REQUEST,
        obj=row,
        study=study,
        before=before,
        after=_request_snapshot(row),
        reason=reason,
    )
    study_pk, generation = study.pk, row.generation
    transaction.on_commit(
        lambda: study_compute_statistics_task.delay(study_pk=study_pk, generation=generation)
    )
    return row


def statistics_request(
    *, study: Study, actor: User, options: dict[str, Any] | None = None, reason: str = ""
) -> StudyStatistics:
    """Record the analysis options (None keeps the current ones) and schedule a run.

    Post-state: ``pending`` with a new ``generation``; ``study_compute_statistics`` runs on
    commit. One ``statistics.request`` audit event.
    """
    if options is not None:
        _validated_options(options)
    with transaction.atomic(durable=True):
        study = Study.objects.select_for_update().get(pk=study.pk)
        return _request(study=study, actor=actor, options=options, reason=reason)


def consensus_rows(study: Study) -> list[dict[str, Any]]:
    """The pullback-level consensus rows of the study, as the export has them."""
    names = [m.name for m in READ_METRICS]
    identity = ("pullback_id", "pullback__subject__code", "pullback__timepoint", "pullback__lesion")
    keys = ("pullback", "subject_code", "timepoint", "lesion", *names)
    qs = (
        Consensus.objects.filter(pullback__study=study)
        .order_by("pullback_id")
        .values_list(*identity, *names)
    )
    return [dict(zip(keys, values, strict=True)) for values in qs]


def clinical_table(study: Study) -> ClinicalTable:
    table = StudyCovariates.objects.filter(study=study).first()
    if table is None:
        return ClinicalTable()
    rows = dict(
        SubjectCovariates.objects.filter(subject__study=study).values_list(
            "subject__code", "values"
        )
    )
    return clinical_from_stored(table.column_kinds, rows)


def _claim(study_pk: int, generation: int) -> tuple[StudyStatistics, Study] | None:
    with transaction.atomic(durable=True):
        row = (
            StudyStatistics.objects.select_for_update(nowait=True)
            .select_related("study")
            .get(study_id=study_pk)
        )
        if row.generation != generation or row.status in (
            StatisticsStatus.DONE,
            StatisticsStatus.FAILED,
        ):
            log.info("statistics of study %s gen %s: nothing to do", study_pk, generation)
            return None
        if row.status == StatisticsStatus.PENDING:
            StudyStatistics.objects.filter(pk=row.pk).update(status=StatisticsStatus.RUNNING)
        return row, row.study


def statistics_compute(*, study_pk: int, generation: int) -> None:
    """Compute ``statistics.json`` and the SVG figures for request ``generation``.

    Pre-state ``pending`` (or ``running`` after a lost worker); a superseded generation or a
    finished run is "nothing to do". Post-state ``done`` with the result, or ``failed`` with
    a readable error. One ``statistics.compute`` audit event (actor: the system).
    """
    claimed = _claim(study_pk, generation)
    if claimed is None:
        return
    row, study = claimed
    # The numerical libraries load here, in the worker, not in every web process.
    from adjudication.statistics import figures as figure_module
    from adjudication.statistics.analysis import compute_statistics, to_json_text

    result: dict[str, Any] | None = None
    svgs: dict[str, str] = {}
    error = ""
    try:
        options = StatisticsOptions.from_dict(row.options)
        result = compute_statistics(consensus_rows(study), clinical_table(study), options)
        svgs = {
            name: figure_module.render(result, name, "svg").decode()
            for name in figure_module.figure_names(result)
        }
    except (InputInvalid, ValueError) as exc:
        error = f"the statistics could not be computed: {exc}"
    with transaction.atomic(durable=True):
        row = StudyStatistics.objects.select_for_update().get(pk=row.pk)
        if row.generation != generation:
            return
        row.status = StatisticsStatus.FAILED if error else StatisticsStatus.DONE
        row.result_json = to_json_text(result) if result is not None else ""
        row.figures = svgs
        row.error = error
        row.computed_at = timezone.now()
        row.save()
        summary = (
            {o: {"n": b["n"], "events": b["events"]} for o, b in result["outcomes"].items()}
            if result
            else None
        )
        audit_record(
            actor=None,
            action=AuditAction.STATISTICS_COMPUTE,
            obj=row,
            study=study,
            before={"status": StatisticsStatus.RUNNING, "generation": generation},
            after={"status": row.status, "outcomes": summary, "error": error},
        )
