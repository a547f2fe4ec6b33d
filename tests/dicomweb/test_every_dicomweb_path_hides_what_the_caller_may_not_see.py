"""Blinding over DICOMweb: every path answers 404 for a study, series or instance the caller
may not see (never 403: existence must not leak), searches list only visible instances, and
no credential answers 401."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.dicomweb.instances import header_json, tag_hex
from adjudication.services.assignment import pullback_assign_readers
from adjudication.services.reassignment import read_reassign
from adjudication.tokens import token_issue
from tests.factories import MembershipFactory, UserFactory
from tests.uploads import ingested

N_FRAMES = 4


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _ingest(world: Any, tmp_path: Path, seed: int, subject: str) -> Any:
    path = tmp_path / f"{seed}.dcm"
    make_synthetic_pullback(
        path, n_frames=N_FRAMES, rows=48, columns=48, encoding="jpeg_baseline", seed=seed
    )
    return ingested(world.study, world.coordinator, path, frame_files=False, subject_code=subject)


def _uids(pullback: Any) -> tuple[str, str, str]:
    data = header_json(str(pullback.storage_key))
    assert data is not None
    keys = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
    return tuple(data[tag_hex(k)]["Value"][0] for k in keys)  # type: ignore[return-value]


def _paths(study: str, series: str, sop: str) -> list[str]:
    s = f"/dicomweb/studies/{study}"
    r = f"{s}/series/{series}"
    i = f"{r}/instances/{sop}"
    return [
        s,
        r,
        i,
        f"{s}/series",
        f"{s}/instances",
        f"{r}/instances",
        f"{s}/metadata",
        f"{r}/metadata",
        f"{i}/metadata",
        f"{i}/frames/1",
        f"{i}/frames/1,2",
    ]


@pytest.fixture
def hidden_and_visible(world: Any, media: Path, tmp_path: Path) -> tuple[Any, Any]:
    """``visible`` is assigned to reader_a and reader_b; ``hidden`` to nobody yet."""
    visible = _ingest(world, tmp_path, 11, "S-0011")
    hidden = _ingest(world, tmp_path, 12, "S-0012")
    pullback_assign_readers(
        pullback=visible, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    return hidden, visible


def token_client(user: Any) -> Client:
    token = token_issue(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def test_reader_gets_404_on_every_path_of_an_unassigned_pullback(
    world: Any, hidden_and_visible: tuple[Any, Any]
) -> None:
    hidden, visible = hidden_and_visible
    client = token_client(world.reader_a)
    for path in _paths(*_uids(hidden)):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"  # the same answer as "does not exist"
    for path in _paths(*_uids(visible)):
        assert client.get(path).status_code == 200, path


def test_outsider_and_adjudicator_before_flags_get_404_everywhere(
    world: Any, hidden_and_visible: tuple[Any, Any]
) -> None:
    _, visible = hidden_and_visible
    for user in (world.outsider, world.adjudicator, world.other_reader):
        client = token_client(user)
        for path in _paths(*_uids(visible)):
            assert client.get(path).status_code == 404, (user.username, path)
        for search in ("/dicomweb/studies", "/dicomweb/series", "/dicomweb/instances"):
            response = client.get(search)
            assert response.status_code == 200 and response.json() == [], (user, search)


def test_a_uid_from_one_study_does_not_open_another_studys_path(
    world: Any, hidden_and_visible: tuple[Any, Any]
) -> None:
    """The frame path checks the whole resource path, not only the SOP Instance UID."""
    hidden, visible = hidden_and_visible
    client = token_client(world.reader_a)
    hidden_study, hidden_series, _ = _uids(hidden)
    _, _, visible_sop = _uids(visible)
    path = f"/dicomweb/studies/{hidden_study}/series/{hidden_series}/instances/{visible_sop}"
    assert client.get(f"{path}/frames/1").status_code == 404
    assert client.get(f"{path}/metadata").status_code == 404


def test_a_reassigned_reader_loses_every_path_once_the_grant_expires(
    world: Any, hidden_and_visible: tuple[Any, Any], settings: Any
) -> None:
    """Frames use the cached grants of frames_auth (FRAME_GRANT_TTL_S); with no TTL the loss
    is immediate, and every other path checks in full on each request."""
    settings.FRAME_GRANT_TTL_S = 0
    _, visible = hidden_and_visible
    client = token_client(world.reader_a)
    paths = _paths(*_uids(visible))
    assert client.get(paths[9]).status_code == 200
    MembershipFactory(study=world.study, user=UserFactory(username="reader_c"), role="analyst")
    read_reassign(
        read=visible.reads.get(reader=world.reader_a),
        actor=world.coordinator,
        username="reader_c",
        reason="reader A is away",
    )
    for path in paths:
        assert client.get(path).status_code == 404, path
    assert token_client(world.reader_b).get(paths[9]).status_code == 200


def test_no_credential_answers_401_and_a_bad_token_too(
    world: Any, hidden_and_visible: tuple[Any, Any]
) -> None:
    _, visible = hidden_and_visible
    for path in ["/dicomweb/studies", *_paths(*_uids(visible))]:
        assert Client().get(path).status_code == 401, path
        assert Client(HTTP_AUTHORIZATION="Token nope").get(path).status_code == 401, path


def test_session_sign_in_works_like_a_token(
    world: Any, hidden_and_visible: tuple[Any, Any]
) -> None:
    hidden, visible = hidden_and_visible
    client = Client()
    client.force_login(world.reader_a)
    assert client.get(_paths(*_uids(visible))[9]).status_code == 200
    assert client.get(_paths(*_uids(hidden))[9]).status_code == 404
    studies = client.get("/dicomweb/studies").json()
    assert [s["0020000D"]["Value"][0] for s in studies] == [_uids(visible)[0]]


def test_searches_answer_406_to_an_xml_only_client_and_400_to_unknown_keys(
    world: Any, hidden_and_visible: tuple[Any, Any]
) -> None:
    client = token_client(world.coordinator)
    assert client.get("/dicomweb/studies", HTTP_ACCEPT="application/dicom+xml").status_code == 406
    response = client.get("/dicomweb/studies?NoSuchKeyword=1")
    assert response.status_code == 400
    assert response.json()["field"] == "NoSuchKeyword"
    assert client.get("/dicomweb/instances?limit=-1").json()["field"] == "limit"
    frames = _paths(*_uids(hidden_and_visible[1]))[9]
    assert client.get(frames, HTTP_ACCEPT='multipart/related; type="image/jp2"').status_code == 406
    # DICOM numbers frames from 1: frame 0 is a bad request (whatever the instance), and one
    # past the last frame is not found.
    zero = client.get(frames.replace("/frames/1", "/frames/0"))
    assert (zero.status_code, zero.json()["field"]) == (400, "frames")
    assert client.get(frames.replace("/frames/1", f"/frames/{N_FRAMES + 1}")).status_code == 404
    assert client.get(frames.replace("/frames/1", f"/frames/{N_FRAMES}")).status_code == 200


def test_stow_with_a_session_needs_the_csrf_token(world: Any, media: Path) -> None:
    """A signed-in browser cannot be made to store pullbacks by another site (CSRF)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator)
    body = b"--b\r\nContent-Type: application/dicom\r\n\r\nDICM\r\n--b--\r\n"
    response = client.post(
        f"/dicomweb/studies?study={world.study.pk}&subject_code=S-1&timepoint=pre",
        data=body,
        content_type='multipart/related; type="application/dicom"; boundary=b',
    )
    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")
