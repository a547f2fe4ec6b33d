"""Selectors for the DICOM SR measurement reports (SPEC §12): rows → ``dicom.sr`` inputs → bytes.

Who may have which report is decided by the API (``api/reports.py``); this module only
decides what a report may *contain* for its audience: coordinators' reports carry the
pullback's de-identified patient attributes (the pseudonymous subject code), reports for
anyone else carry none (readers never see the subject code). Observers are role labels
("Reader 1", "Reader 2", "Adjudicator", "Consensus"), never usernames, in every report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from adjudication import storage
from adjudication.dicom import sr
from adjudication.dicomweb.instances import summary_json, tag_hex
from adjudication.domain.consensus import ConsensusSource
from adjudication.domain.errors import Refused
from adjudication.domain.workflow import ReadState
from adjudication.models import Consensus, Pullback, Read, ReadMetrics, Study
from adjudication.models.reading import ReadKind


def _first(data: dict[str, Any], keyword: str) -> str:
    values = (data.get(tag_hex(keyword)) or {}).get("Value") or []
    if not values:
        return ""
    value = values[0]
    return str(value.get("Alphabetic", "")) if isinstance(value, dict) else str(value)


def source_image(pullback: Pullback, *, coordinator: bool) -> sr.SourceImage:
    """The pullback's de-identified instance; patient attributes only for coordinators."""
    data = summary_json(str(pullback.storage_key))
    if data is None:
        raise Refused("The pullback's DICOM file is not available.", code="not_ready")
    return sr.SourceImage(
        study_uid=_first(data, "StudyInstanceUID"),
        series_uid=_first(data, "SeriesInstanceUID"),
        sop_uid=_first(data, "SOPInstanceUID"),
        sop_class_uid=_first(data, "SOPClassUID"),
        patient_id=_first(data, "PatientID") if coordinator else "",
        patient_name=_first(data, "PatientName") if coordinator else "",
    )


def _kept(pullback: Pullback, seed: str, build: Callable[[], bytes]) -> bytes:
    """The report named by ``seed``, built once and kept beside the pullback's files.

    A report takes about a second to build (highdicom, thousands of content items), and a
    study export carries one per pullback: kept, a second export or download costs a file
    read. ``seed`` names the content (read version, when its metrics or the consensus were
    computed, the audience), so a changed read or consensus gets a new report."""
    name = hashlib.sha256(seed.encode()).hexdigest()[:32]
    path = storage.pullback_dir(pullback) / "sr" / f"{name}.dcm"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        data = build()
        storage.write_atomically(path, data)
        return data


def _read_content(read: Read) -> sr.ReadContent:
    try:
        metrics = read.metrics.values()
    except ReadMetrics.DoesNotExist:
        metrics = {}
    frame_metrics = {fm.frame: fm.values() for fm in read.frame_metrics.all()}
    return sr.ReadContent(
        label=read.label,
        annotations=read.annotations or {},
        metrics=metrics,
        frame_metrics=frame_metrics,
    )


def read_sr_bytes(read: Read, *, coordinator: bool) -> bytes:
    """The report of one submitted, measured read. Refused (409) before that."""
    if read.status != ReadState.SUBMITTED:
        raise Refused("The read is not submitted yet.", code="invalid_transition")
    try:
        measured = read.metrics
    except ReadMetrics.DoesNotExist:
        raise Refused(
            "The read's metrics are being computed; try again shortly.", code="invalid_transition"
        ) from None
    audience = "coordinator" if coordinator else "reader"
    seed = f"read:{read.pk}:{read.version}:{measured.computed_at.isoformat()}:{audience}"
    source = source_image(read.pullback, coordinator=coordinator)
    return _kept(
        read.pullback,
        seed,
        lambda: sr.to_bytes(
            sr.read_report(
                seed=seed,
                source=source,
                read=_read_content(read),
                settings_used=measured.settings_used,
            )
        ),
    )


def _consensus_reads(pullback: Pullback, consensus: Consensus) -> list[Read]:
    """The submitted reads the consensus values came from (both readers for means)."""
    sources = {item["source"] for item in consensus.values().values()}
    reads = (
        Read.objects.filter(pullback=pullback, status=ReadState.SUBMITTED)
        .select_related("metrics")
        .prefetch_related("frame_metrics")
        .order_by("slot")
    )
    wanted = []
    for read in reads:
        if read.kind == ReadKind.ADJUDICATOR:
            if "adjudicator" in sources:
                wanted.append(read)
        elif sources & {ConsensusSource.MEAN, ConsensusSource.AGREED, _own_source(read)}:
            wanted.append(read)
    return wanted


def consensus_sr_bytes(pullback: Pullback) -> bytes:
    """The report of a pullback's consensus (coordinators). Refused (409) before consensus."""
    consensus = Consensus.objects.filter(pullback=pullback).first()
    if consensus is None:
        raise Refused("This pullback has no consensus yet.", code="invalid_transition")
    seed = f"consensus:{pullback.pk}:{consensus.computed_at.isoformat()}"
    source = source_image(pullback, coordinator=True)
    return _kept(
        pullback,
        seed,
        lambda: sr.to_bytes(
            sr.consensus_report(
                seed=seed,
                source=source,
                values=consensus.values(),
                reads=[_read_content(r) for r in _consensus_reads(pullback, consensus)],
                settings_used=consensus.settings_used,
            )
        ),
    )


def study_sr_files(study: Study, level: str) -> list[tuple[str, bytes]]:
    """The reports an export zip carries (coordinators): each consensus for the pullback and
    frame levels, each submitted and measured read for the reader level. Pullbacks whose
    DICOM file is gone are left out."""
    files: list[tuple[str, bytes]] = []
    if level == "reader":
        reads = (
            Read.objects.filter(
                pullback__study=study, status=ReadState.SUBMITTED, metrics__isnull=False
            )
            .select_related("pullback", "metrics")
            .prefetch_related("frame_metrics")
            .order_by("pullback_id", "slot")
        )
        for read in reads:
            label = read.label.lower().replace(" ", "-")
            try:
                data = read_sr_bytes(read, coordinator=True)
            except Refused:
                continue
            files.append((f"sr/pullback-{read.pullback_id}-{label}.dcm", data))
        return files
    pullbacks = Pullback.objects.filter(study=study, consensus__isnull=False).order_by("pk")
    for pullback in pullbacks:
        try:
            data = consensus_sr_bytes(pullback)
        except Refused:
            continue
        files.append((f"sr/pullback-{pullback.pk}-consensus.dcm", data))
    return files


def _own_source(read: Read) -> ConsensusSource:
    """The consensus source naming ``read``'s own values (Reader 1 or Reader 2)."""
    return ConsensusSource.READER_A if read.slot == 1 else ConsensusSource.READER_B
