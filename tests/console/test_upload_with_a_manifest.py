"""A coordinator loads many pullbacks with their own subject codes in one upload (manifest CSV).

The manifest (``file,subject_code,timepoint[,lesion]``) gives each uploaded file — or zip
member — its subject, timepoint and lesion; a bad row or a file/row mismatch refuses the whole
upload with one message per problem, and nothing (no row, no file, no audit event) is stored.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import AuditEvent, Pullback, Subject


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(scope="module")
def dicoms(tmp_path_factory: Any) -> list[bytes]:
    folder = tmp_path_factory.mktemp("dicoms")
    out = []
    for seed in range(3):
        path = folder / f"{seed}.dcm"
        make_synthetic_pullback(path, n_frames=2, rows=32, columns=32, seed=seed)
        out.append(path.read_bytes())
    return out


def named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def zipped(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buffer.getvalue()


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post(client: Any, study: Any, files: list[io.BytesIO], manifest: str, **form: str) -> Any:
    return client.post(
        f"/api/v1/studies/{study.pk}/pullbacks/",
        {**form, "file": files, "manifest": named(manifest.encode(), "manifest.csv")},
        format="multipart",
    )


def test_twenty_pullbacks_of_twenty_subjects_in_one_upload(
    world: Any, api: Any, media: Path, dicoms: list[bytes]
) -> None:
    members = [(f"run-{i:02d}.dcm", dicoms[i % 3]) for i in range(20)]
    manifest = "file,subject_code,timepoint,lesion\n" + "".join(
        f"run-{i:02d}.dcm,S-{i:04d},{'post' if i % 2 else 'pre'},L{i}\n" for i in range(20)
    )
    r = post(api(world.coordinator), world.study, [named(zipped(members), "batch.zip")], manifest)
    assert r.status_code == 202, r.json()
    ids = [row["id"] for row in r.json()["pullbacks"]]
    got = {
        p.original_filename: (p.subject.code, p.timepoint, p.lesion)
        for p in Pullback.objects.filter(pk__in=ids).select_related("subject")
    }
    assert len(got) == 20
    assert got["batch.zip/run-07.dcm"] == ("S-0007", "post", "L7")
    assert got["batch.zip/run-12.dcm"] == ("S-0012", "pre", "L12")
    events = AuditEvent.objects.filter(action="pullback.create")
    assert sorted(e.after["subject_code"] for e in events) == [f"S-{i:04d}" for i in range(20)]


def test_plain_files_match_their_rows_and_two_files_may_share_a_subject(
    world: Any, api: Any, media: Path, dicoms: list[bytes]
) -> None:
    files = [named(dicoms[0], "a.dcm"), named(dicoms[1], "b.dcm")]
    manifest = "file,subject_code,timepoint\nb.dcm,S-1,followup\na.dcm,S-1,pre\n"
    r = post(api(world.coordinator), world.study, files, manifest)
    assert r.status_code == 202
    rows = Pullback.objects.order_by("pk").values_list("original_filename", "timepoint")
    assert list(rows) == [("a.dcm", "pre"), ("b.dcm", "followup")]
    assert Subject.objects.filter(study=world.study).count() == 1


@pytest.mark.parametrize(
    ("manifest", "code", "words"),
    [
        (
            "file,subject_code,timepoint\na.dcm,S-1,post\nb.dcm,Jane Doe,later\n",
            "manifest_invalid",
            ["row 3: subject_code 'Jane Doe'", "timepoint 'later' is not one of"],
        ),
        (
            "file,subject_code,timepoint\na.dcm,S-1,post\n",
            "manifest_mismatch",
            ["file 'b.dcm' is not listed in the manifest"],
        ),
        (
            "file,subject_code,timepoint\na.dcm,S-1,post\nb.dcm,S-2,post\nc.dcm,S-3,post\n",
            "manifest_mismatch",
            ["row 4: no uploaded file is named 'c.dcm'"],
        ),
        ("subject,timepoint\n", "manifest_invalid", ["header lacks column(s) file"]),
    ],
)
def test_a_bad_manifest_refuses_the_upload_and_stores_nothing(
    world: Any,
    api: Any,
    media: Path,
    dicoms: list[bytes],
    manifest: str,
    code: str,
    words: list[str],
) -> None:
    files = [named(dicoms[0], "a.dcm"), named(dicoms[1], "b.dcm")]
    r = post(api(world.coordinator), world.study, files, manifest)
    assert r.status_code == 400
    body = r.json()
    assert (body["code"], body["field"]) == (code, "manifest")
    for word in words:
        assert word in body["detail"]
    assert not Pullback.objects.exists() and not Subject.objects.exists()
    assert not AuditEvent.objects.filter(action="pullback.create").exists()
    assert files_under(media) == []


def test_without_a_manifest_subject_and_timepoint_are_still_required(
    world: Any, api: Any, media: Path, dicoms: list[bytes]
) -> None:
    r = api(world.coordinator).post(
        f"/api/v1/studies/{world.study.pk}/pullbacks/",
        {"file": [named(dicoms[0], "a.dcm")]},
        format="multipart",
    )
    assert r.status_code == 400
    assert r.json()["field"] in {"subject_code", "timepoint"}
    assert not Pullback.objects.exists()


def test_the_upload_page_takes_a_manifest_and_shows_each_bad_row_on_its_field(
    world: Any, browser_as: Any, media: Path, dicoms: list[bytes]
) -> None:
    client = browser_as(world.coordinator)
    page = client.get(f"/studies/{world.study.pk}/upload/").content.decode()
    assert 'name="manifest"' in page and 'accept=".csv,text/csv"' in page

    def upload(manifest: str) -> Any:
        return client.post(
            f"/studies/{world.study.pk}/upload/",
            {
                "file": [
                    SimpleUploadedFile("a.dcm", dicoms[0]),
                    SimpleUploadedFile("b.dcm", dicoms[1]),
                ],
                "manifest": SimpleUploadedFile("m.csv", manifest.encode()),
            },
        )

    bad = upload("file,subject_code,timepoint\na.dcm,S 1,post\nb.dcm,S-2,soon\n")
    assert bad.status_code == 200
    errors = bad.context["form"].errors["manifest"]
    assert len(errors) == 2 and errors[0].startswith("row 2:") and errors[1].startswith("row 3:")
    assert not Pullback.objects.exists()

    good = upload("file,subject_code,timepoint,lesion\na.dcm,S-1,post,LAD\nb.dcm,S-2,post,RCA\n")
    assert good.status_code == 302
    assert sorted(Pullback.objects.values_list("subject__code", "lesion")) == [
        ("S-1", "LAD"),
        ("S-2", "RCA"),
    ]
