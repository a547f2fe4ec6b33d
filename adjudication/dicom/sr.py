"""DICOM SR measurement reports (TID 1500) of a read or of a pullback's consensus (SPEC §12).

Built with highdicom as a Comprehensive 3D SR in the **de-identified** study of the pullback
(its own series), from plain values — no models here; ``adjudication.reports`` gathers them.

Content tree of a report (TID 1500 Measurement Report):

- Observation context: the observer as a **role label** — person "Reader 1", "Reader 2" or
  "Adjudicator" for a read; a device "Consensus" for a consensus — never a username.
- Procedure reported: IVOCT.
- Imaging measurements:
  - one TID 1501 group per source of pullback-level values (a read: one group; a consensus:
    one per source, its tracking identifier naming it, e.g. "Consensus from Reader 2", and
    mean values carry the derivation "Mean"), referencing the whole pullback instance:
    every SPEC §5 metric that has a value, continuous and counts as NUM with a UCUM unit,
    yes/no metrics as qualitative evaluations (SCT Yes/No). ``mla_mm2`` and ``msa_mm2``
    also reference the frame they were measured on. Frame positions (``*_frame``) are our
    0-based frame indices (unit ``{frame}``); the DICOM frame number is that + 1.
  - per annotated frame of each read shown: a TID 1410 planar ROI group per contour
    (``lumen``, ``stent``) with the contour as a closed SCOORD POLYLINE on that frame of the
    source instance (Referenced Frame Number = frame + 1; SPEC §3 pixel coordinates, column
    then row, passed through unchanged) and the frame's metrics of that structure; the
    frame's other metrics (calcium, struts, malapposition) in a TID 1501 group referencing
    the frame.
- Qualitative evaluations: a TEXT item "Study settings" holding the settings used (JSON).

Metric concepts use a private coding scheme (``99OCTLAB``, declared in the Coding Scheme
Identification Sequence) whose code values and meanings are the SPEC §5 metric names.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS, Kind, MetricDef

SCHEME = "99OCTLAB"
SCHEME_NAME = "OCT core lab metric names (SPEC section 5)"
UCUM_UNITS = {
    "mm2": "mm2",
    "mm": "mm",
    "deg": "deg",
    "um": "um",
    "%": "%",
    "struts": "{count}",
    "references": "{count}",
    "frame": "{frame}",
    "points": "{score}",
}
PROCEDURE = hd.sr.CodedConcept("IVOCT", "DCM", "Intravascular Optical Coherence Tomography")
SETTINGS_CONCEPT = hd.sr.CodedConcept("study_settings", SCHEME, "Study settings")
QUALITATIVE_EVALUATIONS = hd.sr.CodedConcept("C0034375", "UMLS", "Qualitative Evaluations")
CONTOUR_FINDINGS = {
    "lumen": codes.SCT.LumenOfBloodVessel,
    "stent": codes.SCT.Stent,
}
CONTOUR_METRICS = {
    "lumen": ("lumen_area_mm2", "lumen_min_diameter_mm", "lumen_max_diameter_mm"),
    "stent": ("stent_area_mm2",),
}
# Per-read metrics that point at a frame: the measurement references that frame too.
FRAME_OF = {"mla_mm2": "mla_frame", "msa_mm2": "msa_frame"}
SERIES_NUMBER = 900
MANUFACTURER = "OCT core lab"


@dataclass(frozen=True)
class SourceImage:
    """The de-identified pullback instance the report is about, and the patient/study
    attributes the report may carry (empty strings where the audience may not see them)."""

    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class_uid: str
    patient_id: str = ""
    patient_name: str = ""
    study_id: str = ""
    accession_number: str = ""


@dataclass(frozen=True)
class ReadContent:
    """One read as the report shows it: its role label, annotations and metrics."""

    label: str
    annotations: Mapping[str, Any]
    metrics: Mapping[str, Any]
    frame_metrics: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


def uid_from(*parts: str) -> str:
    """A stable UID (``2.25.`` + a uuid5 integer) for the given parts: the same report of the
    same content gets the same UIDs whenever it is produced."""
    return "2.25." + str(uuid.uuid5(uuid.NAMESPACE_OID, "|".join(parts)).int)


def metric_concept(name: str) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(name, SCHEME, name)


def unit_concept(metric: MetricDef) -> hd.sr.CodedConcept:
    # Every catalogue unit has its UCUM code (a test walks the catalogue): a missing one is a
    # programming error, never a silently unitless number in a report.
    ucum = UCUM_UNITS[metric.unit] if metric.unit else "1"
    return hd.sr.CodedConcept(ucum, "UCUM", ucum)


def _tracking(seed: str, identifier: str) -> hd.sr.TrackingIdentifier:
    return hd.sr.TrackingIdentifier(uid=uid_from(seed, identifier), identifier=identifier)


def _measurements(
    values: Mapping[str, Any],
    metrics: Sequence[MetricDef],
    source: SourceImage,
    *,
    derivation: Any = None,
    frames: Mapping[str, Any] | None = None,
) -> tuple[list[hd.sr.Measurement], list[hd.sr.QualitativeEvaluation]]:
    """NUM items (UCUM units) and yes/no evaluations of ``metrics`` that have a value;
    ``frames`` (default ``values``) holds the ``*_frame`` a measurement references."""
    numbers: list[hd.sr.Measurement] = []
    evaluations: list[hd.sr.QualitativeEvaluation] = []
    for metric in metrics:
        value = values.get(metric.name)
        if value is None:
            continue
        if metric.kind == Kind.BOOLEAN:
            answer = codes.SCT.Yes if value else codes.SCT.No
            evaluations.append(hd.sr.QualitativeEvaluation(metric_concept(metric.name), answer))
            continue
        referenced = None
        frame = (values if frames is None else frames).get(FRAME_OF.get(metric.name, ""))
        if frame is not None:
            referenced = [
                hd.sr.SourceImageForMeasurement(
                    source.sop_class_uid, source.sop_uid, referenced_frame_numbers=[int(frame) + 1]
                )
            ]
        numbers.append(
            hd.sr.Measurement(
                name=metric_concept(metric.name),
                value=float(value),
                unit=unit_concept(metric),
                derivation=derivation,
                referenced_images=referenced,
            )
        )
    return numbers, evaluations


def _pullback_group(
    seed: str,
    identifier: str,
    values: Mapping[str, Any],
    source: SourceImage,
    *,
    derivation: Any = None,
    frames: Mapping[str, Any] | None = None,
) -> hd.sr.MeasurementsAndQualitativeEvaluations | None:
    numbers, evaluations = _measurements(
        values, READ_METRICS, source, derivation=derivation, frames=frames
    )
    if not numbers and not evaluations:
        return None
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=_tracking(seed, identifier),
        measurements=numbers or None,
        qualitative_evaluations=evaluations or None,
        source_images=[hd.sr.SourceImageForMeasurementGroup(source.sop_class_uid, source.sop_uid)],
    )


def _contour(points: Any) -> np.ndarray | None:
    try:
        array = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        return None
    if array.ndim != 2 or array.shape[0] < 3 or array.shape[1] != 2:
        return None
    if not np.array_equal(array[0], array[-1]):
        array = np.vstack([array, array[:1]])  # closed: the polyline ends where it starts
    return array


# A frame's metrics outside its contour groups (stent area too when it comes from struts).
_FRAME_OTHER = tuple(m for m in FRAME_METRICS if m.name not in CONTOUR_METRICS["lumen"])


def _frame_groups(seed: str, read: ReadContent, source: SourceImage) -> list[Any]:
    groups: list[Any] = []
    frames = read.annotations.get("frames") or {}
    for key in sorted(frames, key=lambda k: int(k)):
        frame = int(key)
        entry = frames[key] or {}
        values = read.frame_metrics.get(frame, {})
        shown: set[str] = set()
        for structure, finding in CONTOUR_FINDINGS.items():
            polyline = _contour(entry.get(structure))
            if polyline is None:
                continue
            names = CONTOUR_METRICS[structure]
            shown.update(names)
            numbers, _ = _measurements(
                values, [m for m in FRAME_METRICS if m.name in names], source
            )
            region = hd.sr.ImageRegion(
                graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                graphic_data=polyline,
                source_image=hd.sr.SourceImageForRegion(
                    source.sop_class_uid, source.sop_uid, referenced_frame_numbers=[frame + 1]
                ),
                pixel_origin_interpretation=hd.sr.PixelOriginInterpretationValues.FRAME,
            )
            groups.append(
                hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                    tracking_identifier=_tracking(
                        seed, f"{read.label}: {structure}, frame {frame}"
                    ),
                    referenced_region=region,
                    finding_type=finding,
                    measurements=numbers or None,
                )
            )
        others = [m for m in _FRAME_OTHER if m.name not in shown]
        numbers, _ = _measurements(values, others, source)
        if numbers:
            groups.append(
                hd.sr.MeasurementsAndQualitativeEvaluations(
                    tracking_identifier=_tracking(seed, f"{read.label}: frame {frame}"),
                    measurements=numbers,
                    source_images=[
                        hd.sr.SourceImageForMeasurementGroup(
                            source.sop_class_uid,
                            source.sop_uid,
                            referenced_frame_numbers=[frame + 1],
                        )
                    ],
                )
            )
    return groups


def _person_name(text: str) -> str:
    """A one-component DICOM person name (family name only): the trailing caret says so."""
    return text if "^" in text else f"{text}^"


def _evidence(source: SourceImage) -> Dataset:
    ds = Dataset()
    ds.StudyInstanceUID = source.study_uid
    ds.SeriesInstanceUID = source.series_uid
    ds.SOPInstanceUID = source.sop_uid
    ds.SOPClassUID = source.sop_class_uid
    ds.PatientID = source.patient_id
    ds.PatientName = _person_name(source.patient_name) if source.patient_name else ""
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyID = source.study_id
    ds.AccessionNumber = source.accession_number
    ds.StudyDate = ""
    ds.StudyTime = ""
    ds.ReferringPhysicianName = ""
    return ds


def _settings_item(settings_used: Mapping[str, Any]) -> Dataset:
    container = hd.sr.ContainerContentItem(
        name=QUALITATIVE_EVALUATIONS, relationship_type=hd.sr.RelationshipTypeValues.CONTAINS
    )
    text = hd.sr.TextContentItem(
        name=SETTINGS_CONCEPT,
        value=json.dumps(dict(settings_used), sort_keys=True, default=str),
        relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
    )
    container.ContentSequence = hd.sr.ContentSequence([text])
    return container


def _outline(root: Dataset) -> Dataset:
    """``root`` with only the first measurement group, for highdicom's SR constructor.

    The constructor deep-copies and re-parses the whole content tree to keep a Python view
    of it, and searches it for the evidence (~70 % of the build time of a 60-frame read: 3 of
    4 s). Every group references the same source instance, so the first one is enough for
    the evidence (Current Requested Procedure Evidence Sequence) and for highdicom's checks
    of the header; ``_document`` then sets the whole content tree. The tests read every
    report back with highdicom and dcmtk, so the whole tree is checked there."""
    outline = Dataset()
    for element in root:
        if element.keyword != "ContentSequence":
            outline.add(element)
    items = []
    for item in root.ContentSequence:
        names = getattr(item, "ConceptNameCodeSequence", None) or [None]
        is_measurements = getattr(names[0], "CodeValue", None) == "126010"
        if is_measurements and len(item.ContentSequence) > 1:
            container = Dataset()
            for element in item:
                if element.keyword != "ContentSequence":
                    container.add(element)
            container.ContentSequence = [item.ContentSequence[0]]
            item = container
        items.append(item)
    outline.ContentSequence = items
    return outline


def _document(
    *,
    seed: str,
    source: SourceImage,
    observation: hd.sr.ObservationContext,
    groups: list[Any],
    settings_used: Mapping[str, Any],
    instance_number: int,
) -> Dataset:
    report = hd.sr.MeasurementReport(
        observation_context=observation,
        procedure_reported=PROCEDURE,
        imaging_measurements=groups or None,
    )
    root = report[0]
    root.ContentSequence.append(_settings_item(settings_used))
    sr = hd.sr.Comprehensive3DSR(
        evidence=[_evidence(source)],
        content=_outline(root),
        series_instance_uid=uid_from(seed, "series", source.series_uid),
        series_number=SERIES_NUMBER,
        sop_instance_uid=uid_from(seed, "instance"),
        instance_number=instance_number,
        manufacturer=MANUFACTURER,
        is_complete=True,
        is_final=True,
        series_description="Measurement report",
    )
    sr.ContentSequence = root.ContentSequence  # the whole tree (see ``_outline``)
    scheme = Dataset()
    scheme.CodingSchemeDesignator = SCHEME
    scheme.CodingSchemeName = SCHEME_NAME
    scheme.CodingSchemeResponsibleOrganization = MANUFACTURER
    sr.CodingSchemeIdentificationSequence = [scheme]
    return sr


def read_report(
    *, seed: str, source: SourceImage, read: ReadContent, settings_used: Mapping[str, Any]
) -> Dataset:
    """The TID 1500 report of one submitted read (module doc); ``seed`` names the read and
    its content version so the same read gives the same UIDs."""
    observation = hd.sr.ObservationContext(
        observer_person_context=hd.sr.ObserverContext(
            observer_type=codes.cid270.Person,
            observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                name=_person_name(read.label)
            ),
        )
    )
    groups: list[Any] = []
    pullback = _pullback_group(seed, f"{read.label}: pullback", read.metrics, source)
    if pullback is not None:
        groups.append(pullback)
    groups += _frame_groups(seed, read, source)
    return _document(
        seed=seed,
        source=source,
        observation=observation,
        groups=groups,
        settings_used=settings_used,
        instance_number=1,
    )


SOURCE_LABELS = {
    "reader_a": "Reader 1",
    "reader_b": "Reader 2",
    "adjudicator": "Adjudicator",
    "mean": "Mean of Reader 1 and Reader 2",
    "agreed": "Agreed by Reader 1 and Reader 2",
}


def consensus_report(
    *,
    seed: str,
    source: SourceImage,
    values: Mapping[str, Mapping[str, Any]],
    reads: Sequence[ReadContent],
    settings_used: Mapping[str, Any],
) -> Dataset:
    """The TID 1500 report of a pullback's consensus: ``values`` is ``{metric: {value,
    source}}``; one measurement group per source (module doc), then the contours of
    ``reads`` (the reads the consensus came from), each labelled with its role."""
    observation = hd.sr.ObservationContext(
        observer_device_context=hd.sr.ObserverContext(
            observer_type=codes.cid270.Device,
            observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
                uid=uid_from(seed, "observer"), name="Consensus"
            ),
        )
    )
    by_source: dict[str, dict[str, Any]] = {}
    for name, item in values.items():
        if item.get("value") is not None:
            by_source.setdefault(str(item.get("source") or "unknown"), {})[name] = item["value"]
    groups: list[Any] = []
    # A value's frame (mla_frame for mla_mm2) may come from another source than the value.
    frames = {name: item.get("value") for name, item in values.items()}
    order = list(SOURCE_LABELS)
    for src in sorted(by_source, key=lambda s: (order.index(s) if s in order else 99, s)):
        group = _pullback_group(
            seed,
            f"Consensus from {SOURCE_LABELS.get(src, src)}",
            by_source[src],
            source,
            derivation=codes.SCT.Mean if src == "mean" else None,
            frames=frames,
        )
        if group is not None:
            groups.append(group)
    for read in reads:
        groups += _frame_groups(seed, read, source)
    return _document(
        seed=seed,
        source=source,
        observation=observation,
        groups=groups,
        settings_used=settings_used,
        instance_number=1,
    )


def to_bytes(sr: Dataset) -> bytes:
    """The report as a DICOM Part 10 file."""
    import io

    out = io.BytesIO()
    sr.save_as(out, enforce_file_format=True)
    return out.getvalue()
