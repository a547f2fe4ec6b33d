"""Per-read metrics, the comparison of two reads and consensus (SPEC §5, §6).

Called by Celery tasks. Each function locks its row, guards on state ("nothing to do" when
already done) and replaces its rows wholesale, so a re-run after a worker death is harmless.
Locks are ``of=("self",)``: PostgreSQL's ``FOR UPDATE`` otherwise also locks every row joined
by ``select_related`` (the study), and every task of a study would then fight for one row.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from adjudication.domain.annotations import parse_submitted_document
from adjudication.domain.calibration import Calibration
from adjudication.domain.comparison import Flag as DomainFlag
from adjudication.domain.comparison import compare_reads
from adjudication.domain.consensus import build_consensus
from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS
from adjudication.domain.metrics import compute_read_metrics
from adjudication.domain.settings import StudySettings
from adjudication.domain.workflow import PullbackState, ReadState
from adjudication.models import (
    Adjudication,
    Consensus,
    Flag,
    FrameMetrics,
    Pullback,
    Read,
    ReadMetrics,
)
from adjudication.models.audit import AuditAction
from adjudication.models.reading import ReadKind

from .audit import audit_record
from .workflow import transition

log = logging.getLogger(__name__)


def pullback_calibration(pullback: Pullback) -> Calibration:
    pixel_source, _, frame_source = pullback.calibration_source.partition("; ")
    spacing = pullback.pixel_spacing_mm
    return Calibration(
        pixel_spacing_mm=(spacing[0], spacing[1]) if spacing else None,
        frame_spacing_mm=float(pullback.frame_spacing_mm or 0.0),
        pixel_spacing_source=pixel_source or "none",
        frame_spacing_source=frame_source or "none",
    )


def _compute_and_store(
    read: Read, study_settings: StudySettings, *, replace: bool = True
) -> ReadMetrics:
    """Compute the read's metrics and replace its metric rows (inside the caller's atomic).

    ``replace=False`` when the caller knows the read has no metric rows yet (saves two
    DELETEs per read, see bench/consensus.py)."""
    pullback = read.pullback
    calibration = pullback_calibration(pullback)
    previous = (
        ReadMetrics.objects.filter(read_id=read.pk).values_list("as_submitted", flat=True).first()
        if replace
        else None
    )
    # Submitted documents are immutable and were validated by read_submit (or
    # adjudication_resolve): only their structure is parsed again, not their geometry.
    doc = parse_submitted_document(
        read.annotations, n_frames=pullback.n_frames, rows=pullback.rows, columns=pullback.columns
    )
    result = compute_read_metrics(
        doc,
        calibration=calibration,
        settings=study_settings,
        n_frames=pullback.n_frames or 0,
        timepoint=pullback.timepoint,
        device=pullback.device or None,
    )
    values = {m.name: result.values.get(m.name) for m in READ_METRICS}
    if replace:
        ReadMetrics.objects.filter(read=read).delete()
        FrameMetrics.objects.filter(read=read).delete()
    # ``read_id``, not ``read``: assigning the instance would also cache ``read.metrics``, a
    # reference cycle that keeps the read's whole decoded document (thousands of lists) alive
    # until Python's cyclic collector finds it, which then keeps traversing it (issue 3
    # benchmark: ~10 % of a read's time). Without the cycle it is freed on return.
    metrics = ReadMetrics.objects.create(
        read_id=read.pk,
        settings_used=study_settings.to_dict(),
        calibration_used={
            "pixel_spacing_mm": list(calibration.pixel_spacing_mm or []) or None,
            "frame_spacing_mm": calibration.frame_spacing_mm,
            "calibration_source": calibration.calibration_source,
            # The pullback's device and the malapposition threshold it gave (SPEC §5).
            "device": pullback.device,
            "strut_threshold_um": study_settings.strut_threshold_for(pullback.device or None),
        },
        analysis_frames=list(result.analysis_frames),
        # Frozen at the first computation (submission); a recomputation keeps it.
        as_submitted=previous
        or {
            "values": values,
            "settings_used": study_settings.to_dict(),
            "analysis_frames": list(result.analysis_frames),
        },
        **values,
    )
    analysis = set(result.analysis_frames)
    FrameMetrics.objects.bulk_create(
        FrameMetrics(
            read_id=read.pk,
            frame=frame,
            is_analysis_frame=frame in analysis,
            **{m.name: values.get(m.name) for m in FRAME_METRICS},
        )
        for frame, values in sorted(result.frames.items())
    )
    return metrics


def read_compute_metrics(*, read_pk: int) -> None:
    """Compute a submitted read's per-frame and per-read metrics into Postgres.

    Pre-state: read ``submitted``. Idempotent: existing metrics are kept. Schedules
    ``pullback_compare_reads_task`` on commit for reader reads (the comparison itself checks
    that both reads are ready). The reader's own metrics never depend on the other read, so
    their appearance reveals nothing about the other reader.
    """
    from adjudication.tasks import pullback_compare_reads as pullback_compare_reads_task

    with transaction.atomic(durable=True):
        read = (
            Read.objects.select_for_update(nowait=True, of=("self",))
            .select_related("pullback__study")
            # Asked with the lock, saving a round trip per read (issue 3 benchmark); no one
            # else can add metrics to a read while this transaction holds it.
            .annotate(has_metrics=Exists(ReadMetrics.objects.filter(read=OuterRef("pk"))))
            .get(pk=read_pk)
        )
        if read.status != ReadState.SUBMITTED:
            log.info("read %s is %s: nothing to compute", read_pk, read.status)
            return
        if not read.has_metrics:
            settings_obj = read.pullback.study.get_settings()
            metrics = _compute_and_store(read, settings_obj, replace=False)
            audit_record(
                actor=None,
                action=AuditAction.READ_COMPUTE_METRICS,
                obj=read,
                study=read.pullback.study,
                after=metrics.values(),
            )
        if read.kind == ReadKind.READER:
            pk = read.pullback_id
            transaction.on_commit(lambda: pullback_compare_reads_task.delay(pullback_pk=pk))


def _reader_pair(pullback: Pullback) -> tuple[Read, Read] | None:
    # The documents are not needed to compare metrics; not loading them saves decoding JSON.
    reads = {
        r.slot: r
        for r in Read.objects.filter(pullback=pullback, kind=ReadKind.READER)
        .select_related("metrics")
        .defer("annotations")
    }
    a, b = reads.get(1), reads.get(2)
    if a is None or b is None:
        return None
    if a.status != ReadState.SUBMITTED or b.status != ReadState.SUBMITTED:
        return None
    if not (hasattr(a, "metrics") and hasattr(b, "metrics")):
        return None
    return a, b


def _measured_with_current_settings(
    pair: tuple[Read, Read], pullback: Pullback
) -> tuple[Read, Read]:
    """Both reads measured with the study's current settings (inside the caller's atomic).

    Each read is measured when it is submitted, so a settings change between the two
    submissions would compare metrics computed under different thresholds, with tolerances
    from only one of them. A read measured under other settings than the study's current ones
    is measured again (audited) before the comparison; nothing is compared or agreed yet, so
    no consensus changes. In the usual case both already match and nothing is recomputed.
    The reader keeps seeing the metrics frozen at their submission (``as_submitted``): the
    recomputed ones are for the comparison, adjudicators and coordinators only.
    """
    current = pullback.study.get_settings()
    current_dict = current.to_dict()
    remeasured = []
    for read in pair:
        same_device = read.metrics.calibration_used.get("device", "") == pullback.device
        if read.metrics.settings_used == current_dict and same_device:
            remeasured.append(read)
            continue
        before = read.metrics.settings_used
        read = Read.objects.select_related("pullback__study").get(pk=read.pk)
        metrics = _compute_and_store(read, current)
        audit_record(
            actor=None,
            action=AuditAction.READ_COMPUTE_METRICS,
            obj=read,
            study=pullback.study,
            before={"settings_used": before},
            after={"settings_used": current_dict, **metrics.values()},
            reason="study settings or the pullback's device changed after a submission",
        )
        read.metrics = metrics
        remeasured.append(read)
    return remeasured[0], remeasured[1]


def _write_consensus(pullback: Pullback, values: dict[str, Any], settings_used: dict) -> Consensus:
    Consensus.objects.filter(pullback=pullback).delete()
    columns: dict[str, Any] = {}
    for m in READ_METRICS:
        cv = values[m.name]
        columns[m.name] = cv.value
        columns[f"{m.name}_source"] = cv.source
    return Consensus.objects.create(pullback=pullback, settings_used=settings_used, **columns)


def pullback_compare_reads(*, pullback_pk: int) -> None:
    """Compare both submitted reads: no flag → consensus; flags → open an adjudication.

    Pre-state ``reading`` with both reads submitted and measured; otherwise nothing to do.
    Post-state ``consensus`` (Consensus row written) or ``flagged`` (Adjudication + Flags).
    """
    with transaction.atomic(durable=True):
        pullback = (
            Pullback.objects.select_for_update(nowait=True, of=("self",))
            .select_related("study")
            .get(pk=pullback_pk)
        )
        if pullback.status != PullbackState.READING:
            log.info("pullback %s is %s: nothing to compare", pullback_pk, pullback.status)
            return
        pair = _reader_pair(pullback)
        if pair is None:
            log.info("pullback %s: both reads are not ready yet", pullback_pk)
            return
        a, b = _measured_with_current_settings(pair, pullback)
        settings_obj = StudySettings.from_dict(a.metrics.settings_used)
        values_a, values_b = a.metrics.values(), b.metrics.values()
        flags = compare_reads(
            values_a,
            values_b,
            settings=settings_obj,
            frame_spacing_mm=float(pullback.frame_spacing_mm or 0.0),
        )
        if not flags:
            consensus = _write_consensus(
                pullback, build_consensus(values_a, values_b, flags=[]), settings_obj.to_dict()
            )
            audit_record(
                actor=None,
                action=AuditAction.CONSENSUS_CREATE,
                obj=consensus,
                study=pullback.study,
                after=consensus.values(),
                reason="reads agree within tolerance",
            )
            transition(pullback, PullbackState.CONSENSUS, actor=None, reason="no flags")
            return
        adjudication = Adjudication.objects.create(
            pullback=pullback, settings_used=settings_obj.to_dict()
        )
        Flag.objects.bulk_create(
            Flag(
                adjudication=adjudication,
                metric=f.metric,
                group=f.group,
                a=f.a,
                b=f.b,
                difference=f.difference,
                tolerance=f.tolerance,
            )
            for f in flags
        )
        audit_record(
            actor=None,
            action=AuditAction.ADJUDICATION_CREATE,
            obj=adjudication,
            study=pullback.study,
            after={"flags": [f.to_dict() for f in flags]},
        )
        transition(
            pullback, PullbackState.FLAGGED, actor=None, reason=f"{len(flags)} metric(s) flagged"
        )


def pullback_write_consensus(*, pullback_pk: int) -> None:
    """Write the adjudicated consensus: each flagged group from its chosen source.

    Pre-state ``adjudicating`` with a resolved adjudication. Computes the adjudicator's own
    read's metrics first when that source was chosen. Post-state ``consensus``.
    """
    with transaction.atomic(durable=True):
        pullback = (
            Pullback.objects.select_for_update(nowait=True, of=("self",))
            .select_related("study")
            .get(pk=pullback_pk)
        )
        if pullback.status != PullbackState.ADJUDICATING:
            log.info("pullback %s is %s: no consensus to write", pullback_pk, pullback.status)
            return
        adjudication = Adjudication.objects.get(pullback=pullback)
        pair = _reader_pair(pullback)
        if pair is None:
            raise RuntimeError(f"pullback {pullback_pk} is adjudicating without two measured reads")
        a, b = pair
        settings_obj = StudySettings.from_dict(adjudication.settings_used)
        adjudicator_values = None
        if adjudication.adjudicator_read_id is not None:
            own = Read.objects.select_related("pullback").get(pk=adjudication.adjudicator_read_id)
            metrics = ReadMetrics.objects.filter(read=own).first() or _compute_and_store(
                own, settings_obj, replace=False
            )
            adjudicator_values = metrics.values()
        flags = list(adjudication.flags.all())
        decisions = {d.group: d.source for d in adjudication.decisions.all()}
        domain_flags = [
            DomainFlag(
                metric=f.metric,
                group=f.group,
                a=f.a,
                b=f.b,
                difference=f.difference,
                tolerance=f.tolerance,
            )
            for f in flags
        ]
        values = build_consensus(
            a.metrics.values(),
            b.metrics.values(),
            flags=domain_flags,
            decisions=decisions,
            adjudicator=adjudicator_values,
        )
        consensus = _write_consensus(pullback, values, settings_obj.to_dict())
        audit_record(
            actor=None,
            action=AuditAction.CONSENSUS_CREATE,
            obj=consensus,
            study=pullback.study,
            after=consensus.values(),
            reason="adjudicated",
        )
        transition(pullback, PullbackState.CONSENSUS, actor=None, reason="adjudication resolved")
