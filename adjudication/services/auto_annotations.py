"""The automatic pre-annotation (SPEC §11): one proposal per pullback, computed by the worker
from the pullback's stored frames alone (never from any read), the same for both readers.

``auto_annotation_schedule`` is called where ingest makes a pullback ``ready``: the task is
sent on commit, and the pullback is ready without waiting for it. ``pullback_auto_annotate``
(the task's service) never holds a transaction across the image analysis (grand-challenge's
``execute_job``): a short transaction claims the run (row ``running`` with a fresh ``claim``),
the frames are decoded and analysed with no transaction open, progress goes out in short
single-row UPDATEs, and a short transaction stores the result, or a readable error, only if
the claim is still this run's. Re-running is harmless: a ``done`` proposal of the current
algorithm version is left alone, and a ``running`` one is left to its worker until its lease
expires (a worker killed mid-run: the redelivered task takes over).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from adjudication import imaging, storage
from adjudication.domain.workflow import PullbackState
from adjudication.models import AuditAction, AutoAnnotation, AutoAnnotationStatus, Pullback

from .audit import audit_record

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=15)  # a run silent for longer than this is taken over
PROGRESS_EVERY_PCT = 5
BATCH_FRAMES = 32
ASSUMED_FIELD_OF_VIEW_MM = 10.0  # only when a pullback has no pixel spacing (see _pixel_spacing)
NOT_ANALYSABLE = frozenset({PullbackState.INGESTING.value, PullbackState.FAILED.value})


def auto_annotation_schedule(*, pullback_pk: int) -> None:
    """Send the proposal's task once the caller's transaction commits (never waits for it)."""
    from adjudication.tasks import pullback_auto_annotate

    transaction.on_commit(lambda: pullback_auto_annotate.delay(pullback_pk=pullback_pk))


def _pixel_spacing(pullback: Pullback) -> float:
    """The column spacing; without a calibration the image analysis still needs a scale for
    its windows, so a typical IVOCT field of view is assumed (the proposal is in pixels)."""
    spacing = pullback.pixel_spacing_col_mm or pullback.pixel_spacing_row_mm
    if spacing:
        return float(spacing)
    return ASSUMED_FIELD_OF_VIEW_MM / max(pullback.columns or 1, 1)


def _claim(pullback_pk: int) -> tuple[Pullback, uuid.UUID] | None:
    with transaction.atomic(durable=True):
        pullback = Pullback.objects.select_related("study").get(pk=pullback_pk)
        if pullback.status in NOT_ANALYSABLE:
            log.info("pullback %s is %s: nothing to propose", pullback_pk, pullback.status)
            return None
        try:
            with transaction.atomic():
                AutoAnnotation.objects.get_or_create(pullback=pullback)
        except IntegrityError:
            pass  # created by a concurrent run a moment ago: the lock below decides
        row = AutoAnnotation.objects.select_for_update(nowait=True).get(pullback=pullback)
        now = timezone.now()
        if (
            row.status == AutoAnnotationStatus.DONE
            and row.algorithm_version == imaging.ALGORITHM_VERSION
        ):
            return None
        if (
            row.status == AutoAnnotationStatus.RUNNING
            and row.started_at
            and now - row.started_at < LEASE
        ):
            return None
        before = {"status": row.status, "attempts": row.attempts}
        row.status = AutoAnnotationStatus.RUNNING
        row.claim = uuid.uuid4()
        row.attempts += 1
        row.progress_pct = 0
        row.started_at = now
        row.finished_at = None
        row.error = ""
        row.algorithm = imaging.ALGORITHM
        row.algorithm_version = imaging.ALGORITHM_VERSION
        row.save()
        audit_record(
            actor=None,
            action=AuditAction.AUTO_ANNOTATION_RUNNING,
            obj=row,
            study=pullback.study,
            before=before,
            after={"status": row.status, "attempts": row.attempts, "pullback": pullback.pk},
            reason="pre-annotation started",
        )
        return pullback, row.claim


def _frames(pullback: Pullback) -> Iterator[np.ndarray]:
    n = int(pullback.n_frames or 0)
    key = str(pullback.storage_key)
    for start in range(0, n, BATCH_FRAMES):
        stop = min(n, start + BATCH_FRAMES)
        batch = storage.read_frames(key, start, stop, pullback.frame_content_type)
        if batch is None:
            raise FileNotFoundError(f"frames {start}–{stop - 1} are missing")
        for data in batch:
            with Image.open(io.BytesIO(data)) as opened:
                image: Image.Image = opened
                if image.mode not in ("L", "RGB"):
                    image = image.convert("RGB")
                yield np.asarray(image)


def _progress(row_pk: int, claim: uuid.UUID, n_frames: int) -> Any:
    last = [0]

    def report(index: int) -> None:
        pct = min(99, int(100 * (index + 1) / max(n_frames, 1)))
        if pct - last[0] >= PROGRESS_EVERY_PCT:
            last[0] = pct
            # its own short write (autocommit): no transaction is held across the analysis;
            # ``started_at`` doubles as the heartbeat the lease is measured from
            AutoAnnotation.objects.filter(pk=row_pk, claim=claim).update(
                progress_pct=pct, started_at=timezone.now()
            )

    return report


def _finish(pullback: Pullback, claim: uuid.UUID, **result: Any) -> None:
    with transaction.atomic(durable=True):
        row = AutoAnnotation.objects.select_for_update().get(pullback=pullback)
        if row.claim != claim:
            log.info("pullback %s: a newer run owns the proposal; result dropped", pullback.pk)
            return
        for name, value in result.items():
            setattr(row, name, value)
        row.finished_at = timezone.now()
        row.claim = None
        row.save()
        after = {"status": row.status, "progress_pct": row.progress_pct}
        if row.status == AutoAnnotationStatus.DONE:
            after |= {
                "algorithm": row.algorithm,
                "algorithm_version": row.algorithm_version,
                "frames": len(row.confidence),
                "low_confidence_frames": sum(
                    1 for c in row.confidence.values() if c < imaging.LOW_CONFIDENCE
                ),
            }
        else:
            after["error"] = row.error
        audit_record(
            actor=None,
            action=AuditAction(f"auto_annotation.{row.status}"),
            obj=row,
            study=pullback.study,
            before={"status": AutoAnnotationStatus.RUNNING.value},
            after=after,
            reason="pre-annotation finished",
        )


def pullback_auto_annotate(*, pullback_pk: int) -> None:
    """Compute (or recompute after an algorithm change) the pullback's proposal."""
    claimed = _claim(pullback_pk)
    if claimed is None:
        return
    pullback, claim = claimed
    row_pk = AutoAnnotation.objects.only("pk").get(pullback=pullback).pk
    try:
        proposal = imaging.analyse_pullback(
            _frames(pullback),
            pixel_spacing_mm=_pixel_spacing(pullback),
            progress=_progress(row_pk, claim, int(pullback.n_frames or 0)),
        )
        annotations, confidence = proposal.document(), proposal.confidence()
    except Exception as exc:  # a decoder or analysis error must not strand the row running
        log.exception("pre-annotation of pullback %s failed", pullback_pk)
        _finish(
            pullback,
            claim,
            status=AutoAnnotationStatus.FAILED,
            error=f"The frames could not be analysed ({type(exc).__name__}); read them by hand.",
        )
        return
    _finish(
        pullback,
        claim,
        status=AutoAnnotationStatus.DONE,
        progress_pct=100,
        annotations=annotations,
        confidence=confidence,
    )


def auto_annotation_view(
    pullback: Pullback, *, start: int | None = None, count: int | None = None
) -> dict[str, Any]:
    """The SPEC §11 body for ``pullback`` (``pending`` when no run has started), with the
    frames ``start … start+count−1`` only when a range is given."""
    row = AutoAnnotation.objects.filter(pullback=pullback).first()
    if row is None:
        return {
            "status": AutoAnnotationStatus.PENDING.value,
            "progress_pct": 0,
            "algorithm": imaging.ALGORITHM,
            "algorithm_version": imaging.ALGORITHM_VERSION,
            "annotations": {"frames": {}},
            "confidence": {},
            "low_confidence_threshold": imaging.LOW_CONFIDENCE,
            "error": "",
        }
    annotations: dict[str, Any] = dict(row.annotations or {"frames": {}})
    confidence: dict[str, float] = dict(row.confidence or {})
    if start is not None or count is not None:
        first = start or 0
        last = first + (count if count is not None else len(confidence)) - 1
        keep = {str(i) for i in range(first, last + 1)}
        annotations["frames"] = {
            k: v for k, v in annotations.get("frames", {}).items() if k in keep
        }
        confidence = {k: v for k, v in confidence.items() if k in keep}
    return {
        "status": row.status,
        "progress_pct": row.progress_pct,
        "algorithm": row.algorithm or imaging.ALGORITHM,
        "algorithm_version": row.algorithm_version or imaging.ALGORITHM_VERSION,
        "annotations": annotations,
        "confidence": confidence,
        "low_confidence_threshold": imaging.LOW_CONFIDENCE,
        "error": row.error,
    }
