"""Coordinators upload one file, several files or a zip; refusals store nothing (SPEC §8, §9).

Upload answers 202 with ``{id, status}`` for one pullback and ``{pullbacks: [{id, status}]}``
for several; ``manage.py import_pullbacks`` goes through the same service.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import AuditEvent, Pullback
from adjudication.services import ingest

MB = 1024 * 1024


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def dicom_bytes(tmp_path: Path, seed: int, n_frames: int = 3) -> bytes:
    path = tmp_path / f"seed{seed}.dcm"
    make_synthetic_pullback(path, n_frames=n_frames, rows=64, columns=64, seed=seed)
    return path.read_bytes()


def named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def zipped(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buffer.getvalue()


def post(client: Any, study: Any, files: list[io.BytesIO], **fields: str) -> Any:
    form = {"subject_code": "S-0007", "timepoint": "post", "lesion": "LAD", **fields}
    return client.post(
        f"/api/v1/studies/{study.pk}/pullbacks/", {**form, "file": files}, format="multipart"
    )


def test_coordinator_uploads_one_file_and_gets_its_id_and_status(
    world: Any, api: Any, media: Path, tmp_path: Path
) -> None:
    r = post(api(world.coordinator), world.study, [named(dicom_bytes(tmp_path, 1), "a.dcm")])
    assert r.status_code == 202
    pullback = Pullback.objects.get()
    assert r.json() == {"id": pullback.pk, "status": "ingesting"}  # exactly the SPEC shape
    assert pullback.subject.code == "S-0007" and pullback.original_filename == "a.dcm"
    assert files_under(media) == [f"pullbacks/{pullback.storage_key}/upload.bin"]
    assert AuditEvent.objects.filter(action="pullback.create", object_id=str(pullback.pk)).exists()


def test_coordinator_uploads_several_files_and_gets_one_pullback_each(
    world: Any, api: Any, media: Path, tmp_path: Path
) -> None:
    files = [named(dicom_bytes(tmp_path, s), f"{s}.dcm") for s in (1, 2, 3)]
    r = post(api(world.coordinator), world.study, files)
    assert r.status_code == 202
    ids = list(Pullback.objects.order_by("pk").values_list("pk", flat=True))
    assert r.json() == {"pullbacks": [{"id": pk, "status": "ingesting"} for pk in ids]}
    assert [p.original_filename for p in Pullback.objects.order_by("pk")] == [
        "1.dcm",
        "2.dcm",
        "3.dcm",
    ]


def test_each_member_of_an_uploaded_zip_becomes_a_pullback(
    world: Any, api: Any, media: Path, tmp_path: Path
) -> None:
    archive = zipped(
        [
            ("run/first.dcm", dicom_bytes(tmp_path, 1)),
            ("run/second.dcm", dicom_bytes(tmp_path, 2)),
            ("__MACOSX/run/._first.dcm", b"resource fork"),
        ]
    )
    r = post(api(world.coordinator), world.study, [named(archive, "runs.zip")])
    assert r.status_code == 202
    assert len(r.json()["pullbacks"]) == 2
    names = sorted(Pullback.objects.values_list("original_filename", flat=True))
    assert names == ["runs.zip/run/first.dcm", "runs.zip/run/second.dcm"]
    for pullback in Pullback.objects.all():  # every member ingests on its own
        ingest.pullback_ingest(pullback_pk=pullback.pk)
    assert set(Pullback.objects.values_list("status", flat=True)) == {"ready"}


@pytest.mark.parametrize(
    "member", ["../escape.dcm", "run/../../escape.dcm", "/etc/escape.dcm", "C:/escape.dcm"]
)
def test_a_zip_with_a_member_escaping_its_folder_is_refused_and_nothing_stored(
    world: Any, api: Any, media: Path, tmp_path: Path, member: str
) -> None:
    archive = zipped([("ok.dcm", dicom_bytes(tmp_path, 1)), (member, dicom_bytes(tmp_path, 2))])
    r = post(api(world.coordinator), world.study, [named(archive, "evil.zip")])
    assert r.status_code == 400
    assert r.json()["code"] == "archive_unsafe" and member in r.json()["detail"]
    assert not Pullback.objects.exists()
    assert files_under(media) == []


def test_a_zip_bomb_is_refused_with_413_and_nothing_stored(
    world: Any, api: Any, media: Path, settings: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 5 * MB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.dcm", "w") as out:
            for _ in range(40):
                out.write(b"\x00" * MB)
    assert len(buffer.getvalue()) < MB
    r = post(api(world.coordinator), world.study, [named(buffer.getvalue(), "bomb.zip")])
    assert r.status_code == 413
    assert "limit" in r.json()["detail"]
    assert not Pullback.objects.exists()
    assert files_under(media) == []


def test_an_upload_over_the_size_limit_is_refused_with_413_and_nothing_stored(
    world: Any, api: Any, media: Path, tmp_path: Path, settings: Any
) -> None:
    data = dicom_bytes(tmp_path, 1)
    settings.UPLOAD_MAX_BYTES = len(data) + 10
    r = post(api(world.coordinator), world.study, [named(data, "a.dcm"), named(data, "b.dcm")])
    assert r.status_code == 413
    assert r.json()["code"] == "too_large"
    assert not Pullback.objects.exists()
    assert files_under(media) == []


def test_a_file_and_an_archive_share_one_byte_budget(
    world: Any, api: Any, media: Path, tmp_path: Path, settings: Any
) -> None:
    # Issue 15: one budget for the upload. The archive's expansion alone fits the limit, the
    # plain file alone fits it, but both together do not: refused, nothing stored.
    data = dicom_bytes(tmp_path, 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("b.dcm", data)
    settings.UPLOAD_MAX_BYTES = len(data) + len(data) // 2
    assert len(buffer.getvalue()) <= settings.UPLOAD_MAX_BYTES
    alone = post(api(world.coordinator), world.study, [named(buffer.getvalue(), "b.zip")])
    assert alone.status_code == 202
    Pullback.objects.all().delete()
    r = post(
        api(world.coordinator),
        world.study,
        [named(data, "a.dcm"), named(buffer.getvalue(), "b.zip")],
    )
    assert r.status_code == 413
    assert r.json()["code"] == "too_large"
    assert Pullback.objects.count() == 0


def test_one_bad_file_refuses_the_whole_upload(
    world: Any, api: Any, media: Path, tmp_path: Path
) -> None:
    files = [named(dicom_bytes(tmp_path, 1), "a.dcm"), named(b"%PDF-1.4 report", "b.pdf")]
    r = post(api(world.coordinator), world.study, files)
    assert r.status_code == 400
    assert r.json()["code"] == "not_dicom" and "b.pdf" in r.json()["detail"]
    assert not Pullback.objects.exists()
    assert files_under(media) == []


@pytest.mark.parametrize(
    ("files", "code"),
    [([named(b"", "empty.dcm")], "empty"), ([named(b"hello" * 100, "t.dcm")], "not_dicom")],
)
def test_empty_and_non_dicom_uploads_answer_400(
    world: Any, api: Any, media: Path, files: list, code: str
) -> None:
    r = post(api(world.coordinator), world.study, files)
    assert r.status_code == 400
    assert r.json()["code"] == code
    assert not Pullback.objects.exists() and files_under(media) == []


def test_an_upload_without_a_file_names_the_field(world: Any, api: Any, media: Path) -> None:
    r = api(world.coordinator).post(
        f"/api/v1/studies/{world.study.pk}/pullbacks/",
        {"subject_code": "S-1", "timepoint": "post"},
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["field"] == "file"


@pytest.mark.parametrize("persona", ["reader_a", "adjudicator", "outsider"])
def test_only_coordinators_can_upload(
    world: Any, api: Any, media: Path, tmp_path: Path, persona: str
) -> None:
    r = post(api(getattr(world, persona)), world.study, [named(dicom_bytes(tmp_path, 1), "a")])
    assert r.status_code == 404
    assert not Pullback.objects.exists() and files_under(media) == []


def test_coordinator_sees_ingest_progress_on_the_pullback(
    world: Any, api: Any, media: Path, tmp_path: Path
) -> None:
    r = post(api(world.coordinator), world.study, [named(dicom_bytes(tmp_path, 1), "a.dcm")])
    url = f"/api/v1/pullbacks/{r.json()['id']}/"
    assert api(world.coordinator).get(url).json()["ingest_progress_pct"] == 0
    ingest.pullback_ingest(pullback_pk=r.json()["id"])
    assert api(world.coordinator).get(url).json()["ingest_progress_pct"] == 100


# ------------------------------------------------------------------------------------------
# manage.py import_pullbacks: files, folders and zips through the same service
# ------------------------------------------------------------------------------------------


def _import(world: Any, path: Path, *extra: str) -> None:
    call_command(
        "import_pullbacks",
        str(path),
        "--study",
        world.study.code,
        "--subject",
        "S-0101",
        "--timepoint",
        "pre",
        "--as-user",
        "coordinator",
        *extra,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def test_import_pullbacks_takes_a_file_a_folder_and_a_zip(
    world: Any, media: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.dcm").write_bytes(dicom_bytes(tmp_path, 1))
    (folder / "sub" / "b.dcm").write_bytes(dicom_bytes(tmp_path, 2))
    (folder / "DICOMDIR").write_bytes(b"media index, skipped")
    single = tmp_path / "c.dcm"
    single.write_bytes(dicom_bytes(tmp_path, 3))
    archive = tmp_path / "d.zip"
    archive.write_bytes(
        zipped([("d1.dcm", dicom_bytes(tmp_path, 4)), ("d2.dcm", dicom_bytes(tmp_path, 5))])
    )
    for path in (folder, single, archive):
        _import(world, path, "--now")
    assert Pullback.objects.count() == 5
    assert set(Pullback.objects.values_list("status", flat=True)) == {"ready"}


def test_import_pullbacks_reports_refusals_and_fails(
    world: Any, media: Path, tmp_path: Path
) -> None:
    path = tmp_path / "notes.dcm"
    path.write_text("not a dicom")
    with pytest.raises(CommandError):
        _import(world, path, "--now")
    assert not Pullback.objects.exists() and files_under(media) == []
