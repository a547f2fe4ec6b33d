"""Upload with the file as the request body (``Content-Type: application/dicom``; issue 13).

The body is streamed to staging without multipart parsing; subject, timepoint and lesion come
as query parameters of the same names as the multipart fields; refusals are the same.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import AuditEvent, Pullback
from adjudication.services import ingest
from adjudication.storage import upload_path


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def dicom_bytes(tmp_path: Path, seed: int = 1) -> bytes:
    path = tmp_path / f"seed{seed}.dcm"
    make_synthetic_pullback(path, n_frames=3, rows=64, columns=64, seed=seed)
    return path.read_bytes()


def post_raw(client: Any, study: Any, body: bytes, query: str) -> Any:
    return client.post(
        f"/api/v1/studies/{study.pk}/pullbacks/?{query}", body, content_type="application/dicom"
    )


def test_a_raw_body_upload_ingests_like_a_multipart_one(
    world: Any, api: Any, media: Path, tmp_path: Path
) -> None:
    client = api(world.coordinator)
    data = dicom_bytes(tmp_path, seed=1)
    raw = post_raw(
        client, world.study, data, "subject_code=S-0007&timepoint=post&lesion=LAD&filename=a.dcm"
    )
    assert raw.status_code == 202
    raw_pullback = Pullback.objects.get(pk=raw.json()["id"])
    assert raw.json() == {"id": raw_pullback.pk, "status": "ingesting"}
    assert upload_path(raw_pullback).read_bytes() == data  # the body, byte for byte
    assert AuditEvent.objects.filter(action="pullback.create", object_id=str(raw_pullback.pk))
    multipart = client.post(
        f"/api/v1/studies/{world.study.pk}/pullbacks/",
        {
            "subject_code": "S-0007",
            "timepoint": "post",
            "lesion": "LAD",
            "file": [named(dicom_bytes(tmp_path, seed=2), "a.dcm")],
        },
        format="multipart",
    )
    assert multipart.status_code == 202
    part_pullback = Pullback.objects.get(pk=multipart.json()["id"])
    for pullback in (raw_pullback, part_pullback):
        ingest.pullback_ingest(pullback_pk=pullback.pk)
        pullback.refresh_from_db()
    fields = [
        "status",
        "subject_id",
        "timepoint",
        "lesion",
        "original_filename",
        "n_frames",
        "rows",
        "columns",
        "frame_content_type",
    ]
    assert [getattr(raw_pullback, f) for f in fields] == [getattr(part_pullback, f) for f in fields]
    assert raw_pullback.status == "ready" and raw_pullback.n_frames == 3


def test_without_a_filename_the_raw_body_is_named_upload_dcm(
    world: Any, api: Any, media: Path, tmp_path: Path
) -> None:
    r = post_raw(
        api(world.coordinator), world.study, dicom_bytes(tmp_path), "subject_code=S-1&timepoint=pre"
    )
    assert r.status_code == 202
    assert Pullback.objects.get().original_filename == "upload.dcm"


def named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("timepoint=post", "subject_code"),
        ("subject_code=bad code!&timepoint=post", "subject_code"),
        ("subject_code=S-1", "timepoint"),
        ("subject_code=S-1&timepoint=later", "timepoint"),
        ("subject_code=S-1&timepoint=post&lesion=" + "L" * 61, "lesion"),
    ],
)
def test_bad_query_parameters_answer_400_naming_the_field(
    world: Any, api: Any, media: Path, tmp_path: Path, query: str, field: str
) -> None:
    r = post_raw(api(world.coordinator), world.study, dicom_bytes(tmp_path), query)
    assert r.status_code == 400
    assert r.json()["field"] == field and r.json()["detail"] and r.json()["code"]
    assert not Pullback.objects.exists() and files_under(media) == []


@pytest.mark.parametrize(("body", "code"), [(b"", "empty"), (b"hello" * 100, "not_dicom")])
def test_an_empty_or_non_dicom_body_answers_400(
    world: Any, api: Any, media: Path, body: bytes, code: str
) -> None:
    r = post_raw(api(world.coordinator), world.study, body, "subject_code=S-1&timepoint=post")
    assert r.status_code == 400 and r.json()["code"] == code
    assert not Pullback.objects.exists() and files_under(media) == []


def test_a_body_over_the_size_limit_answers_413_and_stores_nothing(
    world: Any, api: Any, media: Path, tmp_path: Path, settings: Any
) -> None:
    data = dicom_bytes(tmp_path)
    settings.UPLOAD_MAX_BYTES = len(data) - 1
    r = post_raw(api(world.coordinator), world.study, data, "subject_code=S-1&timepoint=post")
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert not Pullback.objects.exists() and files_under(media) == []


@pytest.mark.parametrize("persona", ["reader_a", "adjudicator", "outsider"])
def test_only_coordinators_can_upload_a_raw_body(
    world: Any, api: Any, media: Path, tmp_path: Path, persona: str
) -> None:
    r = post_raw(
        api(getattr(world, persona)),
        world.study,
        dicom_bytes(tmp_path),
        "subject_code=S-1&timepoint=post",
    )
    assert r.status_code == 404
    assert not Pullback.objects.exists() and files_under(media) == []
