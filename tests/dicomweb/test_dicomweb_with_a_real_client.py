"""DICOMweb (SPEC §12) checked with ``dicomweb-client``, a client nobody here wrote, against the
live test server: what a reader finds, frames byte for byte, metadata, STOW-RS ingest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from django.test import Client

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Pullback
from adjudication.services.assignment import pullback_assign_readers
from adjudication.tokens import token_issue
from tests.factories import MembershipFactory, UserFactory
from tests.uploads import ingested

pytestmark = pytest.mark.django_db(transaction=True)

N_FRAMES = 6
SIZE = 64


@pytest.fixture(autouse=True)
def _live_server_closes_connections() -> Iterator[None]:
    """The live server answers each request in a new thread; with persistent connections
    (``CONN_MAX_AGE``) those threads would leave sessions open on the test database and its
    teardown would fail. The wrappers share this settings dict, so 0 applies to them."""
    from django.db import connections

    db = connections.settings["default"]
    before = db["CONN_MAX_AGE"]
    db["CONN_MAX_AGE"] = 0
    yield
    db["CONN_MAX_AGE"] = before


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def ingest_file(world: Any, path: Path, *, subject: str, study: Any = None) -> Pullback:
    pullback = ingested(
        study or world.study, world.coordinator, path, frame_files=False, subject_code=subject
    )
    assert pullback.status == "ready", pullback.error
    return pullback


def synthetic(tmp_path: Path, seed: int, **kwargs: Any) -> Path:
    path = tmp_path / f"pullback-{seed}.dcm"
    make_synthetic_pullback(
        path,
        n_frames=N_FRAMES,
        rows=SIZE,
        columns=SIZE,
        encoding=kwargs.pop("encoding", "jpeg_baseline"),
        seed=seed,
        **kwargs,
    )
    return path


@pytest.fixture
def pullbacks(world: Any, media: Path, tmp_path: Path) -> dict[str, Pullback]:
    """``assigned`` (reader_a and reader_b read it), ``unassigned`` (same study, nobody
    assigned), ``other`` (another study's pullback, its reader is other_reader)."""
    assigned = ingest_file(world, synthetic(tmp_path, 1), subject="S-0001")
    unassigned = ingest_file(world, synthetic(tmp_path, 2), subject="S-0002")
    other = ingest_file(world, synthetic(tmp_path, 3), subject="S-0003", study=world.other)
    pullback_assign_readers(
        pullback=assigned, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    MembershipFactory(
        study=world.other, user=UserFactory(username="other_reader_2"), role="analyst"
    )
    pullback_assign_readers(
        pullback=other, actor=world.coordinator, usernames=["other_reader", "other_reader_2"]
    )
    return {"assigned": assigned, "unassigned": unassigned, "other": other}


def dicomweb(live_server: Any, user: Any) -> DICOMwebClient:
    token = token_issue(user=user)
    return DICOMwebClient(
        url=f"{live_server.url}/dicomweb", headers={"Authorization": f"Token {token}"}
    )


def uids(pullback: Pullback) -> tuple[str, str, str]:
    from adjudication.dicomweb.instances import header_json, tag_hex

    data = header_json(str(pullback.storage_key))
    assert data is not None
    return tuple(  # type: ignore[return-value]
        data[tag_hex(k)]["Value"][0]
        for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
    )


def test_reader_finds_only_assigned_pullbacks_at_every_level(
    live_server: Any, world: Any, pullbacks: dict[str, Pullback]
) -> None:
    client = dicomweb(live_server, world.reader_a)
    study, series, sop = uids(pullbacks["assigned"])
    studies = client.search_for_studies()
    assert [s["0020000D"]["Value"][0] for s in studies] == [study]
    assert [s["0020000E"]["Value"][0] for s in client.search_for_series()] == [series]
    assert [i["00080018"]["Value"][0] for i in client.search_for_instances()] == [sop]
    assert len(client.search_for_series(study_instance_uid=study)) == 1
    assert len(client.search_for_instances(study_instance_uid=study)) == 1
    found = client.search_for_instances(study_instance_uid=study, series_instance_uid=series)
    assert [i["00080018"]["Value"][0] for i in found] == [sop]
    # Searching for a hidden pullback's UID finds nothing (no existence leak).
    hidden_study = uids(pullbacks["unassigned"])[0]
    assert client.search_for_studies(search_filters={"StudyInstanceUID": hidden_study}) == []


def test_coordinator_searches_with_keys_includefield_and_paging(
    live_server: Any, world: Any, pullbacks: dict[str, Pullback]
) -> None:
    client = dicomweb(live_server, world.coordinator)
    everything = client.search_for_instances()
    assert len(everything) == 3  # both of their studies' pullbacks
    assert {i["00100020"]["Value"][0] for i in everything} == {"S-0001", "S-0002", "S-0003"}
    by_patient = client.search_for_studies(search_filters={"PatientID": "S-0002"})
    assert [s["0020000D"]["Value"][0] for s in by_patient] == [uids(pullbacks["unassigned"])[0]]
    assert len(client.search_for_series(search_filters={"Modality": "IVOCT"})) == 3
    assert client.search_for_series(search_filters={"Modality": "CT"}) == []
    page = client.search_for_instances(limit=2, offset=1)
    assert [i["00080018"] for i in page] == [i["00080018"] for i in everything[1:3]]
    with_frames = client.search_for_instances(fields=["NumberOfFrames", "00280010"])
    assert {i["00280008"]["Value"][0] for i in with_frames} == {N_FRAMES}
    assert {i["00280010"]["Value"][0] for i in with_frames} == {SIZE}


def test_reader_never_sees_subject_code_and_cannot_search_by_it(
    live_server: Any, world: Any, pullbacks: dict[str, Pullback]
) -> None:
    client = dicomweb(live_server, world.reader_a)
    study, series, sop = uids(pullbacks["assigned"])
    [result] = client.search_for_studies(fields=["all"])
    assert "00100020" not in result and "00100010" not in result
    assert client.search_for_studies(search_filters={"PatientID": "S-0001"}) == []
    meta = client.retrieve_instance_metadata(study, series, sop)
    assert "00100020" not in meta and "00100010" not in meta
    assert not any(tag.startswith("0012") for tag in meta)


def test_wado_frames_equal_the_single_frame_endpoint_bytes(
    live_server: Any, world: Any, pullbacks: dict[str, Pullback]
) -> None:
    pullback = pullbacks["assigned"]
    client = dicomweb(live_server, world.reader_a)
    study, series, sop = uids(pullback)
    frames = client.retrieve_instance_frames(
        study, series, sop, frame_numbers=[1, 3, N_FRAMES], media_types=("image/jpeg",)
    )
    ours = Client()
    ours.force_login(world.reader_a)
    expected = [
        ours.get(f"/api/v1/pullbacks/{pullback.pk}/frames/{n}").content
        for n in [0, 2, N_FRAMES - 1]
    ]
    assert frames == expected  # DICOM frame n is our frame n − 1, the stored bytes as they are
    # No media type asked for: still the stored JPEG bytes, not a re-encoding.
    assert client.retrieve_instance_frames(study, series, sop, frame_numbers=[2]) == [
        ours.get(f"/api/v1/pullbacks/{pullback.pk}/frames/1").content
    ]


def test_wado_raw_frames_are_the_decoded_pixels(
    live_server: Any, world: Any, media: Path, tmp_path: Path
) -> None:
    path = synthetic(tmp_path, 9, encoding="explicit_little")
    pullback = ingest_file(world, path, subject="S-0009")
    client = dicomweb(live_server, world.coordinator)
    study, series, sop = uids(pullback)
    [raw] = client.retrieve_instance_frames(
        study, series, sop, frame_numbers=[4], media_types=("application/octet-stream",)
    )
    expected = pydicom.dcmread(path).pixel_array[3]
    assert np.array_equal(
        np.frombuffer(raw, dtype=expected.dtype).reshape(expected.shape), expected
    )


def test_metadata_parses_with_pydicom_and_carries_only_deidentified_uids(
    live_server: Any, world: Any, pullbacks: dict[str, Pullback], tmp_path: Path
) -> None:
    client = dicomweb(live_server, world.coordinator)
    study, series, sop = uids(pullbacks["assigned"])
    meta = client.retrieve_instance_metadata(study, series, sop)
    ds = pydicom.Dataset.from_json(meta, bulk_data_uri_handler=lambda *a: b"")
    assert (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID) == (study, series, sop)
    assert int(ds.NumberOfFrames) == N_FRAMES
    original = pydicom.dcmread(tmp_path / "pullback-1.dcm", stop_before_pixels=True)
    assert sop != original.SOPInstanceUID and study != original.StudyInstanceUID
    assert "PHI-12345" not in str(meta) and "DOE" not in str(meta)
    [series_meta] = client.retrieve_series_metadata(study, series)
    assert series_meta["00080018"]["Value"] == [sop]


def test_wado_instance_retrieve_is_a_readable_deidentified_file(
    live_server: Any, world: Any, pullbacks: dict[str, Pullback]
) -> None:
    client = dicomweb(live_server, world.reader_a)
    study, series, sop = uids(pullbacks["assigned"])
    ds = client.retrieve_instance(study, series, sop)
    assert ds.SOPInstanceUID == sop and "PatientID" not in ds
    assert ds.pixel_array.shape == (N_FRAMES, SIZE, SIZE)


def test_stow_rs_ingests_a_pullback_for_the_coordinator(
    live_server: Any, world: Any, media: Path, tmp_path: Path
) -> None:
    client = dicomweb(live_server, world.coordinator)
    dataset = pydicom.dcmread(synthetic(tmp_path, 7))
    answer = client.store_instances(
        [dataset],
        additional_params={
            "study": str(world.study.pk),
            "subject_code": "S-0077",
            "timepoint": "pre",
            "lesion": "LAD",
        },
    )
    [stored] = answer.ReferencedSOPSequence
    pullback = Pullback.objects.get(subject__code="S-0077")
    assert (pullback.status, pullback.timepoint, pullback.lesion) == ("ready", "pre", "LAD")
    assert stored.ReferencedSOPInstanceUID == uids(pullback)[2]
    assert stored.ReferencedSOPInstanceUID != dataset.SOPInstanceUID  # de-identified
    found = client.search_for_instances(search_filters={"PatientID": "S-0077"})
    assert [i["00080018"]["Value"][0] for i in found] == [stored.ReferencedSOPInstanceUID]


def test_stow_rs_is_refused_to_readers_and_outsiders(
    live_server: Any, world: Any, media: Path, tmp_path: Path
) -> None:
    body = synthetic(tmp_path, 8).read_bytes()
    params = {"study": world.study.pk, "subject_code": "S-0088", "timepoint": "pre"}
    for user, status in [(world.reader_a, 403), (world.outsider, 404)]:
        token = token_issue(user=user)
        boundary = "b0undary"
        payload = (
            f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
            + body
            + f"\r\n--{boundary}--\r\n".encode()
        )
        response = requests.post(
            f"{live_server.url}/dicomweb/studies",
            params=params,
            data=payload,
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
            },
            timeout=30,
        )
        assert response.status_code == status
        assert set(response.json()) >= {"detail", "code"}
    assert not Pullback.objects.filter(subject__code="S-0088").exists()


def test_stow_rs_bad_parameters_answer_400_naming_the_field(
    live_server: Any, world: Any, media: Path, tmp_path: Path
) -> None:
    client = dicomweb(live_server, world.coordinator)
    dataset = pydicom.dcmread(synthetic(tmp_path, 6))
    with pytest.raises(requests.HTTPError) as caught:
        client.store_instances(
            [dataset], additional_params={"study": str(world.study.pk), "timepoint": "soon"}
        )
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["field"] == "subject_code"
    assert not Pullback.objects.filter(study=world.study).exists()


def test_raw_http_needs_credentials(live_server: Any, pullbacks: dict[str, Pullback]) -> None:
    response = requests.get(f"{live_server.url}/dicomweb/studies", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


def test_a_bearer_token_works_like_a_token(
    live_server: Any, world: Any, pullbacks: dict[str, Pullback]
) -> None:
    """3D Slicer's importFromDICOMWeb and OHIF send ``Authorization: Bearer <token>``."""
    token = token_issue(user=world.reader_a)
    client = DICOMwebClient(
        url=f"{live_server.url}/dicomweb", headers={"Authorization": f"Bearer {token}"}
    )
    study, series, sop = uids(pullbacks["assigned"])
    assert [s["0020000D"]["Value"][0] for s in client.search_for_studies()] == [study]
    [frame] = client.retrieve_instance_frames(study, series, sop, frame_numbers=[1])
    assert frame[:2] == b"\xff\xd8"  # a JPEG
    hidden = uids(pullbacks["unassigned"])
    with pytest.raises(requests.HTTPError) as caught:
        client.retrieve_instance_frames(*hidden, frame_numbers=[1])
    assert caught.value.response.status_code == 404


def test_stow_rs_answers_202_listing_stored_and_refused_parts(
    live_server: Any, world: Any, media: Path, tmp_path: Path
) -> None:
    """Two parts, one refused at ingest (burned-in annotation): the stored one is listed with
    its de-identified UID, the refused one in FailedSOPSequence; the refused pullback keeps a
    readable reason, as after a browser upload."""
    client = dicomweb(live_server, world.coordinator)
    statuses: list[int] = []
    client._session.hooks["response"].append(lambda r, *a, **k: statuses.append(r.status_code))
    good = pydicom.dcmread(synthetic(tmp_path, 21))
    bad = pydicom.dcmread(synthetic(tmp_path, 22, burned_in_annotation=True))
    answer = client.store_instances(
        [good, bad],
        additional_params={
            "study": str(world.study.pk),
            "subject_code": "S-0021",
            "timepoint": "post",
        },
    )
    assert statuses == [202]
    [stored] = answer.ReferencedSOPSequence
    [refused] = answer.FailedSOPSequence
    ready = Pullback.objects.get(subject__code="S-0021", status="ready")
    assert stored.ReferencedSOPInstanceUID == uids(ready)[2]
    assert refused.FailureReason > 0
    failed = Pullback.objects.get(subject__code="S-0021", status="failed")
    assert failed.error
