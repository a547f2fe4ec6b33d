"""DICOM SR measurement reports (TID 1500, SPEC §12): who may download them, what they hold,
and that independent tools accept them (Debian dcmtk's ``dsrdump``/``dcmdump``, highdicom)."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.sr.codedict import codes

from adjudication import storage
from adjudication.dicom.deidentify import deidentify
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS, Kind
from adjudication.models import Pullback, Read
from adjudication.services.ingest.worker import uid_secret
from tests.conftest import sample_document
from tests.metrics_pipeline.pipeline import document_with_mla, read_and_compare, resolve

UCUM = {
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


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def give_source_file(pullback: Pullback, tmp_path: Path) -> pydicom.Dataset:
    """Store a de-identified DICOM for a factory-made pullback, as ingest would."""
    raw = tmp_path / f"raw-{pullback.pk}.dcm"
    make_synthetic_pullback(raw, n_frames=2, rows=32, columns=32, seed=pullback.pk)
    ds = pydicom.dcmread(raw)
    deidentify(ds, subject_code=pullback.subject.code, key=uid_secret())
    target = storage.source_path(pullback)
    target.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(target, enforce_file_format=True)
    return ds


@pytest.fixture
def agreed(world: Any, media: Path, tmp_path: Path) -> tuple[Pullback, pydicom.Dataset]:
    pullback = read_and_compare(world, sample_document(150), sample_document(150))
    return pullback, give_source_file(pullback, tmp_path)


@pytest.fixture
def adjudicated(world: Any, media: Path, tmp_path: Path) -> tuple[Pullback, pydicom.Dataset]:
    pullback = read_and_compare(world, sample_document(150), document_with_mla(100))
    assert pullback.status == "flagged"
    pullback = resolve(world, pullback, {"lumen": "reader_b"})
    assert pullback.status == "consensus"
    return pullback, give_source_file(pullback, tmp_path)


def read_of(pullback: Pullback, user: Any) -> Read:
    return Read.objects.get(pullback=pullback, reader=user)


def dcmtk_accepts(tmp_path: Path, data: bytes, name: str) -> str:
    """Run dsrdump and dcmdump; fail on a non-zero exit or any error line. Returns dsrdump's
    output (the document tree as dcmtk understands it)."""
    assert shutil.which("dsrdump") and shutil.which("dcmdump"), "install dcmtk (bin/lib.sh)"
    path = tmp_path / name
    path.write_bytes(data)
    outputs = {}
    for tool in ("dsrdump", "dcmdump"):
        done = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
        text = done.stdout + done.stderr
        assert done.returncode == 0, f"{tool}: {text[-2000:]}"
        errors = [line for line in text.splitlines() if line.startswith(("E:", "F:"))]
        assert not errors, f"{tool}: {errors}"
        outputs[tool] = text
    return outputs["dsrdump"]


def read_back(data: bytes) -> hd.sr.Comprehensive3DSR:
    return hd.sr.Comprehensive3DSR.from_dataset(pydicom.dcmread(io.BytesIO(data)))


def measured(report: hd.sr.Comprehensive3DSR) -> dict[str, list[tuple[float, str]]]:
    """Every NUM in the report: metric name → [(value, UCUM unit), …]."""
    out: dict[str, list[tuple[float, str]]] = {}
    groups = [
        *report.content.get_image_measurement_groups(),
        *report.content.get_planar_roi_measurement_groups(),
    ]
    for group in groups:
        for m in group.get_measurements():
            out.setdefault(m.name.value, []).append((m.value, m.unit.value))
    return out


def test_reader_downloads_own_sr_that_dcmtk_and_highdicom_read_with_every_metric(
    world: Any, agreed: tuple[Pullback, pydicom.Dataset], api: Any, tmp_path: Path
) -> None:
    pullback, source = agreed
    read = read_of(pullback, world.reader_a)
    response = api(world.reader_a).get(f"/api/v1/reads/{read.pk}/sr/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom"
    tree = dcmtk_accepts(tmp_path, response.content, "read.dcm")
    assert "Imaging Measurement Report" in tree and "SCOORD" in tree

    report = read_back(response.content)
    # In the pullback's de-identified study, pointing at its instance; no patient identity.
    assert report.StudyInstanceUID == source.StudyInstanceUID
    [evidence] = report.CurrentRequestedProcedureEvidenceSequence
    [series] = evidence.ReferencedSeriesSequence
    assert [i.ReferencedSOPInstanceUID for i in series.ReferencedSOPSequence] == [
        source.SOPInstanceUID
    ]
    assert report.PatientID == "" and str(report.PatientName) == ""
    assert pullback.subject.code.encode() not in response.content
    assert b"reader_a" not in response.content  # the observer is a role label, not a username
    root = pydicom.dcmread(io.BytesIO(response.content)).ContentSequence
    assert [i.PersonName.family_name for i in root if "PersonName" in i] == ["Reader 1"]

    numbers = measured(report)
    metrics = read.metrics.values()
    for metric in READ_METRICS:
        value = metrics[metric.name]
        if value is None or metric.kind == Kind.BOOLEAN:
            continue
        assert (float(value), UCUM[metric.unit]) in [
            (pytest.approx(v), u) for v, u in numbers[metric.name]
        ], metric.name
    for frame_row in read.frame_metrics.all():
        for metric in FRAME_METRICS:
            value = frame_row.values()[metric.name]
            if value is not None:
                assert any(
                    v == pytest.approx(float(value)) and u == UCUM[metric.unit]
                    for v, u in numbers[metric.name]
                ), (frame_row.frame, metric.name)

    [pullback_group] = report.content.get_image_measurement_groups(
        tracking_uid=None, referenced_sop_instance_uid=None
    )[:1]
    yes_no = {e.name.value: e.value for e in pullback_group.get_qualitative_evaluations()}
    for metric in READ_METRICS:
        if metric.kind == Kind.BOOLEAN and metrics[metric.name] is not None:
            expected = codes.SCT.Yes if metrics[metric.name] else codes.SCT.No
            assert yes_no[metric.name] == expected, metric.name


def test_contours_are_closed_polylines_on_the_frame_they_were_drawn_on(
    world: Any, agreed: tuple[Pullback, pydicom.Dataset], api: Any
) -> None:
    pullback, source = agreed
    read = read_of(pullback, world.reader_a)
    report = read_back(api(world.reader_a).get(f"/api/v1/reads/{read.pk}/sr/").content)
    rois = report.content.get_planar_roi_measurement_groups()
    lumens = {}
    for group in rois:
        region = group.roi
        assert region.graphic_type == hd.sr.GraphicTypeValues.POLYLINE
        [image] = region.ContentSequence  # the IMAGE item the SCOORD is selected from
        [ref] = image.ReferencedSOPSequence
        assert ref.ReferencedSOPInstanceUID == source.SOPInstanceUID
        points = region.value
        assert (points[0] == points[-1]).all()  # closed
        if "lumen" in str(group.tracking_identifier):
            lumens[int(ref.ReferencedFrameNumber) - 1] = points
    document = read.annotations["frames"]
    assert set(lumens) == {int(f) for f, entry in document.items() if entry.get("lumen")}
    frame, points = next(iter(lumens.items()))
    drawn = document[str(frame)]["lumen"]
    assert np.allclose(points[:-1], np.asarray(drawn), atol=1e-3)  # SCOORD is float32


def test_settings_are_a_text_item(
    world: Any, agreed: tuple[Pullback, pydicom.Dataset], api: Any
) -> None:
    pullback, _ = agreed
    read = read_of(pullback, world.reader_a)
    data = api(world.reader_a).get(f"/api/v1/reads/{read.pk}/sr/").content
    ds = pydicom.dcmread(io.BytesIO(data))
    texts = [
        item.TextValue
        for container in ds.ContentSequence
        for item in getattr(container, "ContentSequence", [])
        if item.get("ValueType") == "TEXT"
    ]
    assert any('"strut_threshold_um"' in t for t in texts)


def test_the_other_reader_and_outsiders_never_get_a_read_sr(
    world: Any, agreed: tuple[Pullback, pydicom.Dataset], api: Any
) -> None:
    pullback, _ = agreed
    read = read_of(pullback, world.reader_a)
    for user in (world.reader_b, world.outsider, world.other_reader, world.adjudicator):
        response = api(user).get(f"/api/v1/reads/{read.pk}/sr/")
        assert response.status_code == 404, user.username
    assert api(None).get(f"/api/v1/reads/{read.pk}/sr/").status_code == 401


def test_coordinator_gets_the_read_sr_with_the_subject_code(
    world: Any, agreed: tuple[Pullback, pydicom.Dataset], api: Any
) -> None:
    pullback, _ = agreed
    read = read_of(pullback, world.reader_b)
    response = api(world.coordinator).get(f"/api/v1/reads/{read.pk}/sr/")
    assert response.status_code == 200
    report = read_back(response.content)
    assert report.PatientID == pullback.subject.code
    assert b"reader_b" not in response.content


def test_an_unsubmitted_read_has_no_sr_yet(world: Any, media: Path, api: Any) -> None:
    from adjudication.services.assignment import pullback_assign_readers
    from tests.factories import PullbackFactory

    pullback = PullbackFactory(study=world.study)
    read, _ = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    response = api(world.reader_a).get(f"/api/v1/reads/{read.pk}/sr/")
    assert response.status_code == 409
    assert set(response.json()) >= {"detail", "code"}


def test_consensus_sr_names_each_values_source_and_only_coordinators_get_it(
    world: Any, adjudicated: tuple[Pullback, pydicom.Dataset], api: Any, tmp_path: Path
) -> None:
    pullback, _ = adjudicated
    url = f"/api/v1/pullbacks/{pullback.pk}/consensus-sr/"
    for user in (world.reader_a, world.reader_b, world.adjudicator, world.outsider):
        assert api(user).get(url).status_code == 404, user.username
    response = api(world.coordinator).get(url)
    assert response.status_code == 200
    dcmtk_accepts(tmp_path, response.content, "consensus.dcm")
    report = read_back(response.content)
    for name in (b"reader_a", b"reader_b", b"adjudicator\x00"):
        assert name not in response.content
    groups = {str(g.tracking_identifier): g for g in report.content.get_image_measurement_groups()}
    consensus = pullback.consensus.values()
    labels = {
        "reader_a": "Reader 1",
        "reader_b": "Reader 2",
        "adjudicator": "Adjudicator",
        "mean": "Mean of Reader 1 and Reader 2",
        "agreed": "Agreed by Reader 1 and Reader 2",
    }
    for metric in READ_METRICS:
        item = consensus[metric.name]
        if item["value"] is None or metric.kind == Kind.BOOLEAN:
            continue
        label = labels[item["source"]]
        [group] = [g for key, g in groups.items() if key == f"Consensus from {label}"] or [None]
        assert group is not None, (metric.name, item["source"], list(groups))
        values = {m.name.value: (m.value, m.unit.value) for m in group.get_measurements()}
        assert values[metric.name] == (pytest.approx(float(item["value"])), UCUM[metric.unit])
    assert consensus["mla_mm2"]["source"] == "reader_b"


def test_export_zip_carries_the_sr_files(
    world: Any, adjudicated: tuple[Pullback, pydicom.Dataset], api: Any
) -> None:
    pullback, _ = adjudicated
    base = f"/api/v1/studies/{world.study.pk}/export/?format=zip"
    names = zipfile.ZipFile(
        io.BytesIO(api(world.coordinator).get(f"{base}&level=pullback").content)
    )
    assert f"sr/pullback-{pullback.pk}-consensus.dcm" in names.namelist()
    readers = zipfile.ZipFile(
        io.BytesIO(api(world.coordinator).get(f"{base}&level=reader").content)
    )
    assert {
        f"sr/pullback-{pullback.pk}-reader-1.dcm",
        f"sr/pullback-{pullback.pk}-reader-2.dcm",
    } <= set(readers.namelist())
    data = readers.read(f"sr/pullback-{pullback.pk}-reader-2.dcm")
    assert read_back(data).SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"


def test_a_report_is_built_once_and_kept(
    world: Any, agreed: tuple[Pullback, pydicom.Dataset], api: Any
) -> None:
    """Reports carry their creation time, so equal bytes mean the kept copy was served."""
    pullback, _ = agreed
    read = read_of(pullback, world.reader_a)
    first = api(world.reader_a).get(f"/api/v1/reads/{read.pk}/sr/").content
    assert api(world.reader_a).get(f"/api/v1/reads/{read.pk}/sr/").content == first
    coordinator_copy = api(world.coordinator).get(f"/api/v1/reads/{read.pk}/sr/").content
    assert coordinator_copy != first  # another audience, another document (subject code)
    assert read_back(coordinator_copy).SOPInstanceUID != read_back(first).SOPInstanceUID


def test_the_adjudicator_gets_both_reads_reports_without_patient_identity(
    world: Any, media: Path, tmp_path: Path, api: Any
) -> None:
    pullback = read_and_compare(world, sample_document(150), document_with_mla(100))
    give_source_file(pullback, tmp_path)
    assert pullback.status == "flagged"
    for reader in (world.reader_a, world.reader_b):
        response = api(world.adjudicator).get(f"/api/v1/reads/{read_of(pullback, reader).pk}/sr/")
        assert response.status_code == 200
        report = read_back(response.content)
        assert report.PatientID == "" and reader.username.encode() not in response.content


def test_render_reports_builds_what_the_export_then_reads(
    world: Any, adjudicated: tuple[Pullback, pydicom.Dataset], api: Any
) -> None:
    from django.core.management import call_command

    pullback, _ = adjudicated
    out = io.StringIO()
    call_command("render_reports", study=world.study.code, stdout=out)
    assert "pullback: 1 report(s)" in out.getvalue() and "reader: 2 report(s)" in out.getvalue()
    kept = sorted((storage.pullback_dir(pullback) / "sr").iterdir())
    assert len(kept) == 3
    before = [p.read_bytes() for p in kept]
    base = f"/api/v1/studies/{world.study.pk}/export/?format=zip&level=pullback"
    archive = zipfile.ZipFile(io.BytesIO(api(world.coordinator).get(base).content))
    assert archive.read(f"sr/pullback-{pullback.pk}-consensus.dcm") in before


def test_every_catalogue_unit_has_a_ucum_code() -> None:
    from adjudication.dicom.sr import UCUM_UNITS
    from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS

    units = {m.unit for m in (*READ_METRICS, *FRAME_METRICS) if m.unit}
    assert units <= set(UCUM_UNITS), units - set(UCUM_UNITS)
