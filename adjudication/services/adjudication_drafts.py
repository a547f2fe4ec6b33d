"""The adjudicator's own annotation as a server-side draft (issue 14): versioned, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from adjudication.domain.annotations import parse_document
from adjudication.domain.errors import FieldError, InvalidTransition, Refused
from adjudication.domain.workflow import AdjudicationState
from adjudication.models import Adjudication, AdjudicationDraft, AuditAction, Read
from adjudication.models.reading import ReadKind

from .audit import audit_record
from .reads import StaleVersion, document_summary

ORIGINS = ("reader1", "reader2", "empty")


def _summary(annotations: Any) -> dict[str, Any]:
    return document_summary(annotations) if isinstance(annotations, dict) else {"frames": 0}


def adjudication_draft_of(*, adjudication: Adjudication, actor: Any) -> AdjudicationDraft | None:
    return AdjudicationDraft.objects.filter(adjudication=adjudication, author=actor).first()


def adjudication_draft_save(
    *, adjudication: Adjudication, actor: Any, version: int, origin: str, annotations: Any
) -> AdjudicationDraft:
    """Replace the actor's draft if ``version`` is current (0: none yet); bump the version.

    ``annotations`` None with ``origin`` "" discards the draft's document. The adjudication
    must be open; a reader of the pullback is refused; the document is validated as a read's
    (SPEC §4, nothing stored on error); stale ``version`` → ``StaleVersion`` (409).
    """
    if origin not in (*ORIGINS, ""):
        raise FieldError("origin", f"must be one of {', '.join(ORIGINS)} (or empty to discard)")
    if (annotations is None) != (origin == ""):
        raise FieldError("annotations", "required with an origin; null only to discard")
    with transaction.atomic(durable=True):
        adjudication = (
            Adjudication.objects.select_for_update(of=("self",))
            .select_related("pullback__study")
            .get(pk=adjudication.pk)
        )
        pullback = adjudication.pullback
        if Read.objects.filter(pullback=pullback, reader=actor, kind=ReadKind.READER).exists():
            raise Refused(
                "You read this pullback and cannot adjudicate it.", code="permission_denied"
            )
        if adjudication.status != AdjudicationState.OPEN:
            raise InvalidTransition(
                "This adjudication is resolved; its draft can no longer change."
            )
        if annotations is not None:
            parse_document(
                annotations,
                n_frames=pullback.n_frames,
                rows=pullback.rows,
                columns=pullback.columns,
            )
        draft, _ = AdjudicationDraft.objects.select_for_update().get_or_create(
            adjudication=adjudication, author=actor
        )
        if version != draft.version:
            raise StaleVersion(draft.version)
        before = {"version": draft.version, "origin": draft.origin, **_summary(draft.annotations)}
        draft.annotations = annotations
        draft.origin = origin
        draft.version += 1
        draft.save(update_fields=["annotations", "origin", "version", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.ADJUDICATION_DRAFT_SAVE,
            obj=draft,
            study=pullback.study,
            before=before,
            after={"version": draft.version, "origin": origin, **_summary(annotations)},
        )
    return draft
