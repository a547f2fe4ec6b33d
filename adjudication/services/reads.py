"""Saving and submitting a read (SPEC §4, optimistic concurrency, signed submission)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from adjudication.domain.annotation_changes import document_changes
from adjudication.domain.annotations import AnnotationDocument, parse_document
from adjudication.domain.completeness import Completeness, read_completeness
from adjudication.domain.errors import Conflict, FieldError, Incomplete, InvalidTransition, Refused
from adjudication.domain.settings import StudySettings
from adjudication.domain.workflow import ReadState
from adjudication.fastjson import document_digest
from adjudication.models import AuditAction, Pullback, Read
from adjudication.models.querysets import read_kind_allowed
from adjudication.types import User

from .audit import audit_record
from .passwords import require_password
from .workflow import transition


class StaleVersion(Conflict):
    """The client saved over a version that is no longer current (→ 409 with it)."""

    code = "conflict"

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"The read was saved elsewhere meanwhile (current version {current_version}); "
            "reload it or save your copy over it deliberately."
        )
        self.current_version = current_version


def document_summary(annotations: dict[str, Any]) -> dict[str, Any]:
    """What the audit keeps of a whole document: its digest and size, not every point."""
    return {
        "sha256": document_digest(annotations),
        "frames": len(annotations.get("frames", {}) or {}),
    }


def read_save_annotations(
    *,
    read: Read | int,
    actor: User,
    version: int,
    annotations: Any,
    visible_only: bool = False,
) -> Read:
    """Replace the read's annotation document if ``version`` is current; bump the version.

    ``read``: the read or its id. ``visible_only`` (the API): the read must be one of the
    actor's visible reads (``Read.objects.visible_to``'s rule): it is looked up and locked
    among the actor's own reads by its key, with the actor's role in its study
    (``own_with_role``), and that role must allow the read's kind (``read_kind_allowed``); any
    other raises ``Read.DoesNotExist`` (→ 404, its existence not told).
    Validates the SPEC §4 document (``AnnotationInvalid`` names the field, nothing stored);
    stale ``version`` → ``StaleVersion`` (409, never a silent overwrite); a submitted read is
    immutable (``InvalidTransition``, 409). First save moves the read ``assigned →
    in_progress``. The audit row keeps the version, digest and frame count before and after,
    and in ``after.changes`` what changed (``domain.annotation_changes``: the frames and keys
    set or removed), from which every version can be rebuilt.
    """
    pk = read if isinstance(read, int) else read.pk
    rows = Read.objects.own_with_role(actor) if visible_only else Read.objects.all()
    with transaction.atomic(durable=True):
        read = rows.select_for_update(of=("self",)).select_related("pullback__study").get(pk=pk)
        if visible_only and not read_kind_allowed(read.kind, read.role_in_study):  # type: ignore[union-attr]
            raise Read.DoesNotExist
        if read.reader_id != actor.pk:
            raise Refused("Only the assigned reader can edit this read.", code="permission_denied")
        if read.status == ReadState.SUBMITTED:
            raise InvalidTransition("This read is submitted and can no longer be changed.")
        if version != read.version:
            raise StaleVersion(read.version)
        pullback = read.pullback
        parse_document(
            annotations, n_frames=pullback.n_frames, rows=pullback.rows, columns=pullback.columns
        )
        previous = read.annotations
        before = {"version": read.version, **document_summary(previous)}
        read.annotations = annotations
        read.version = read.version + 1
        read.save(update_fields=["annotations", "version", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.READ_SAVE_ANNOTATIONS,
            obj=read,
            study=pullback.study,
            before=before,
            after={
                "version": read.version,
                **document_summary(annotations),
                "changes": document_changes(previous, annotations),
            },
        )
        if read.status == ReadState.ASSIGNED:
            read = transition(read, ReadState.IN_PROGRESS, actor=actor, reason="first save")
    return read


def pullback_frame_spacing_mm(pullback: Pullback) -> float:
    """The pullback's frame spacing, else the study default (SPEC §3) for the analysis grid."""
    if pullback.frame_spacing_mm and pullback.frame_spacing_mm > 0:
        return float(pullback.frame_spacing_mm)
    return pullback.study.get_settings().default_frame_spacing_mm


def read_completeness_of(
    read: Read, doc: AnnotationDocument, *, settings_used: dict[str, Any] | None = None
) -> Completeness:
    """SPEC §2 completeness of ``read`` against its own analysis frames (SPEC §5), with the
    study's settings (or ``settings_used``, those its metrics were computed with)."""

    pullback = read.pullback
    study_settings = (
        StudySettings.from_dict(settings_used) if settings_used else pullback.study.get_settings()
    )
    return read_completeness(
        doc,
        timepoint=pullback.timepoint,
        n_frames=pullback.n_frames or 0,
        frame_spacing_mm=pullback_frame_spacing_mm(pullback),
        sampling_interval_mm=study_settings.sampling_interval_mm,
        reference_length_mm=study_settings.reference_length_mm,
    )


def read_submit(
    *,
    read: Read,
    actor: User,
    password: str | None,
    allow_incomplete: bool = False,
    reason: str = "",
) -> Read:
    """Sign and submit a read: checks the password, then completeness, freezes the read,
    schedules its metrics.

    Pre-state ``in_progress``. Post-state ``submitted`` (immutable);
    ``read_compute_metrics_task`` runs on commit. A wrong password changes nothing except an
    audited refusal (403). An incomplete read (SPEC §2) is refused with ``Incomplete`` (400
    ``incomplete`` listing the frames) unless ``allow_incomplete`` with a non-empty
    ``reason``; the reason and the frames missing then are kept on the read and audited.
    """
    from adjudication.tasks import read_compute_metrics as read_compute_metrics_task

    if read.reader_id != actor.pk:
        raise Refused("Only the assigned reader can submit this read.", code="permission_denied")
    require_password(
        actor=actor,
        password=password,
        action=AuditAction.READ_SUBMIT,
        obj=read,
        study=read.pullback.study,
    )
    reason = (reason or "").strip()
    if allow_incomplete and not reason:
        raise FieldError(
            "reason",
            "give a reason for submitting an incomplete read",
            code="reason_required",
        )
    with transaction.atomic(durable=True):
        read = (
            Read.objects.select_for_update(of=("self",))
            .select_related("pullback__study")
            .get(pk=read.pk)
        )
        if read.status == ReadState.SUBMITTED:
            raise InvalidTransition("This read is already submitted.")
        if read.status == ReadState.ASSIGNED:
            raise InvalidTransition("Nothing to submit yet: annotate and save the read first.")
        pullback = read.pullback
        doc = parse_document(
            read.annotations,
            n_frames=pullback.n_frames,
            rows=pullback.rows,
            columns=pullback.columns,
        )
        completeness = read_completeness_of(read, doc)
        fields: dict[str, Any] = {"submitted_at": timezone.now()}
        if not completeness.complete:
            if not allow_incomplete:
                raise Incomplete(
                    completeness.message()
                    + " Annotate them, or submit with allow_incomplete and a reason.",
                    extra={
                        "frames": completeness.frames,
                        "missing": [
                            {"frame": f, "missing": completeness.missing[f]}
                            for f in completeness.frames
                        ],
                        "stent_edges_missing": completeness.stent_edges_missing,
                    },
                )
            fields["incomplete_reason"] = reason[:2000]
            fields["incomplete_frames"] = completeness.frames
        read = transition(
            read,
            ReadState.SUBMITTED,
            actor=actor,
            reason=(
                f"signed submission, incomplete: {reason}"
                if "incomplete_reason" in fields
                else "signed submission"
            ),
            fields=fields,
        )
        pk = read.pk
        transaction.on_commit(lambda: read_compute_metrics_task.delay(read_pk=pk))
    return read
