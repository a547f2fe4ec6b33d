"""Frames through the production topology: nginx in front of the app (issue 13).

A real nginx (Debian's nginx-light, ``bin/lib.sh`` ``ensure_nginx``) runs on a loopback port
with the configuration ``bin/serve`` uses (``tests/serve_topology.py``), in front of the live
test server with ``FRAMES_VIA_PROXY`` on: the app authorises and answers ``X-Accel-Redirect``,
nginx sends the frame file. Blinding must be exactly what the app alone gives: the assigned
reader gets the stored bytes, everyone else 404, the internal location is unreachable.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests
from django.conf import settings
from django.test import Client
from pydicom.encaps import generate_frames

from adjudication import storage
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.services import ingest
from adjudication.services.assignment import pullback_assign_readers
from adjudication.tokens import token_issue
from tests import uploads
from tests.ingest.test_frame_delivery import parse_batch
from tests.serve_topology import NGINX, nginx_in_front

N_FRAMES = 6

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (bin/test installs Debian's nginx-light)"
)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FRAMES_VIA_PROXY = True
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def proxy(live_server: Any, media: Path, tmp_path: Path) -> Iterator[str]:
    """nginx on a free loopback port in front of the live server; its base URL."""
    (tmp_path / "static").mkdir()
    with nginx_in_front(
        tmp_path / "nginx",
        app=live_server.url.removeprefix("http://"),
        media_root=media,
        static_root=tmp_path / "static",
    ) as url:
        yield url


@pytest.fixture
def pullback(world: Any, media: Path, tmp_path: Path) -> tuple[Any, list[bytes]]:
    return ingested(world, tmp_path, frame_files=True)


def ingested(world: Any, tmp_path: Path, *, frame_files: bool) -> tuple[Any, list[bytes]]:
    """A pullback of reader A and B, ingested; ``frame_files``: the light task that ``ready``
    schedules has run too (each frame as a file nginx sends)."""
    path = tmp_path / "jpeg.dcm"
    make_synthetic_pullback(
        path, n_frames=N_FRAMES, rows=64, columns=64, encoding="jpeg_baseline", seed=9
    )
    fragments = list(generate_frames(pydicom.dcmread(path).PixelData, number_of_frames=N_FRAMES))
    created = uploads.ingested(
        world.study, world.coordinator, path, frame_files=frame_files, subject_code="S-0013"
    )
    assert created.status == "ready", created.error
    pullback_assign_readers(
        pullback=created, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    created.refresh_from_db()
    return created, fragments


def auth(user: Any) -> dict[str, str]:
    return {"Authorization": f"Token {token_issue(user=user)}"}


def test_the_assigned_reader_gets_the_stored_bytes_sent_by_nginx_not_the_app(
    world: Any, proxy: str, live_server: Any, pullback: Any
) -> None:
    created, fragments = pullback
    headers = auth(world.reader_a)
    with requests.Session() as s:
        for n in range(N_FRAMES):
            r = s.get(f"{proxy}/api/v1/pullbacks/{created.pk}/frames/{n}", headers=headers)
            assert r.status_code == 200
            assert r.headers["Content-Type"] == "image/jpeg"
            assert r.content == fragments[n]
            assert "X-Accel-Redirect" not in r.headers
            assert "private" in r.headers["Cache-Control"]
        # Behind the proxy the app itself sends no pixel byte: it grants, or hands off.
        url = f"{live_server.url}/api/v1/pullbacks/{created.pk}"
        grant = s.get(f"{url}/frame-grant", headers=headers)
        assert grant.status_code == 204 and grant.content == b""
        direct = s.get(f"{url}/frames/2", headers=headers)
        assert direct.status_code == 200 and direct.content == b""
        assert direct.headers["X-Accel-Redirect"].startswith("/_frames/")


def test_aligned_batches_are_files_nginx_sends_and_any_other_query_is_the_apps(
    world: Any, proxy: str, live_server: Any, media: Path, tmp_path: Path, settings: Any
) -> None:
    settings.FRAMES_BATCH_MAX_COUNT = 4  # 6 frames: files for 0-3 and 4-5
    created, fragments = ingested(world, tmp_path, frame_files=True)
    via_nginx = f"{proxy}/api/v1/pullbacks/{created.pk}/frames/"
    app_itself = f"{live_server.url}/api/v1/pullbacks/{created.pk}/frames/"
    headers = auth(world.reader_a)
    with requests.Session() as s:
        for start in (0, 4):
            r = s.get(f"{via_nginx}?start={start}&count=4", headers=headers)
            assert r.status_code == 200 and r.headers["X-Frame-Content-Type"] == "image/jpeg"
            assert "X-Frame-Start" not in r.headers  # the file, sent by nginx: not the app
            assert "private" in r.headers["Cache-Control"]
            stop = min(start + 4, N_FRAMES)
            assert dict(parse_batch(r.content)) == {n: fragments[n] for n in range(start, stop)}
            direct = s.get(f"{app_itself}?start={start}&count=4", headers=headers)
            assert direct.headers["X-Frame-Start"] == str(start)
            assert direct.content == r.content  # byte for byte what the app would send
        # Any other query is not a file: the app answers it, as without nginx.
        r = s.get(f"{via_nginx}?start=1&count=2", headers=headers)
        assert r.headers["X-Frame-Start"] == "1"
        assert dict(parse_batch(r.content)) == {1: fragments[1], 2: fragments[2]}
        assert s.get(f"{via_nginx}?start=../../x&count=4", headers=headers).status_code == 400
        # Blinding: a reader of another study gets the app's 404, file or not.
        outsider = s.get(f"{via_nginx}?start=0&count=4", headers=auth(world.other_reader))
        assert outsider.status_code == 404 and outsider.json()["code"] == "not_found"
        assert outsider.content.find(fragments[0][:64]) < 0


def test_frames_come_from_the_app_until_their_files_exist_then_from_nginx(
    world: Any, proxy: str, live_server: Any, media: Path, tmp_path: Path
) -> None:
    """Ready comes before the per-frame files (a light task writes them after ingest): the
    reader gets the same bytes meanwhile, sent by the app; blinding is the same either way."""
    created, fragments = ingested(world, tmp_path, frame_files=False)
    url = f"{live_server.url}/api/v1/pullbacks/{created.pk}"
    with requests.Session() as s:
        headers = auth(world.reader_a)
        r = s.get(f"{proxy}/api/v1/pullbacks/{created.pk}/frames/1", headers=headers)
        assert r.status_code == 200 and r.content == fragments[1]
        direct = s.get(f"{url}/frames/1", headers=headers)
        assert direct.content == fragments[1] and "X-Accel-Redirect" not in direct.headers
        outsider = s.get(
            f"{proxy}/api/v1/pullbacks/{created.pk}/frames/1", headers=auth(world.other_reader)
        )
        assert outsider.status_code == 404 and outsider.json()["code"] == "not_found"
        ingest.pullback_write_frame_files(pullback_pk=created.pk)
        # The app's cached index notices the files: from now on nginx sends them.
        direct = s.get(f"{url}/frames/1", headers=headers)
        assert direct.content == b"" and direct.headers["X-Accel-Redirect"].startswith("/_frames/")
        for n in range(N_FRAMES):
            r = s.get(f"{proxy}/api/v1/pullbacks/{created.pk}/frames/{n}", headers=headers)
            assert r.status_code == 200 and r.content == fragments[n]


def test_a_signed_in_browser_session_gets_frames_through_nginx_too(
    world: Any, proxy: str, pullback: Any
) -> None:
    created, fragments = pullback
    for user, expected in ((world.reader_b, 200), (world.other_reader, 404)):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        r = requests.get(
            f"{proxy}/api/v1/pullbacks/{created.pk}/frames/3",
            cookies={settings.SESSION_COOKIE_NAME: cookie},
        )
        assert r.status_code == expected
        if expected == 200:
            assert r.content == fragments[3]


def test_a_grant_for_one_pullback_opens_no_other(
    world: Any, proxy: str, pullback: Any, tmp_path: Path
) -> None:
    """The proxy caches grants per credential AND pullback: reader A's cached yes for their
    pullback says nothing about a pullback of another study."""
    created, _ = pullback
    path = tmp_path / "other.dcm"
    make_synthetic_pullback(path, n_frames=2, rows=64, columns=64, encoding="jpeg_baseline", seed=3)
    hidden = uploads.ingested(
        world.other, world.coordinator, path, frame_files=True, subject_code="S-0099"
    )
    headers = auth(world.reader_a)
    with requests.Session() as s:
        assert s.get(f"{proxy}/api/v1/pullbacks/{created.pk}/frames/0", headers=headers).ok
        r = s.get(f"{proxy}/api/v1/pullbacks/{hidden.pk}/frames/0", headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        grant = s.get(f"{proxy}/api/v1/pullbacks/{hidden.pk}/frame-grant", headers=headers)
        assert grant.status_code == 403 and "X-Frame-Key" not in grant.headers


def test_the_grant_nginx_caches_lives_no_longer_than_the_apps(
    world: Any, proxy: str, live_server: Any, pullback: Any
) -> None:
    created, _ = pullback
    r = requests.get(  # as nginx's auth_request sees it (nginx keeps X-Accel-* to itself)
        f"{live_server.url}/api/v1/pullbacks/{created.pk}/frame-grant",
        headers=auth(world.reader_a),
    )
    assert r.status_code == 204
    assert r.headers["X-Frame-Key"] == str(created.storage_key)
    assert 0 < int(r.headers["X-Accel-Expires"]) <= settings.FRAME_GRANT_TTL_S
    assert requests.get(f"{proxy}/api/v1/pullbacks/{created.pk}/frame-grant").status_code == 401


def test_the_grant_nginx_caches_never_outlives_the_token(
    world: Any, live_server: Any, pullback: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from adjudication.models import ApiToken

    created, _ = pullback
    key = token_issue(user=world.reader_a)
    ApiToken.objects.filter(user=world.reader_a).update(
        expires_at=timezone.now() + timedelta(seconds=5)
    )
    r = requests.get(
        f"{live_server.url}/api/v1/pullbacks/{created.pk}/frame-grant",
        headers={"Authorization": f"Token {key}"},
    )
    assert r.status_code == 204
    assert 0 <= int(r.headers["X-Accel-Expires"]) <= 5


def test_a_client_that_holds_the_frame_gets_304_through_nginx(
    world: Any, proxy: str, pullback: Any
) -> None:
    created, _ = pullback
    headers = auth(world.reader_a)
    url = f"{proxy}/api/v1/pullbacks/{created.pk}/frames/1"
    first = requests.get(url, headers=headers)
    etag = first.headers["ETag"]
    again = requests.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("persona", ["outsider", "other_reader", "adjudicator"])
def test_people_who_may_not_see_the_pullback_get_404_through_nginx(
    world: Any, proxy: str, pullback: Any, persona: str
) -> None:
    created, _ = pullback
    headers = auth(getattr(world, persona))
    for n in (0, N_FRAMES - 1):
        r = requests.get(f"{proxy}/api/v1/pullbacks/{created.pk}/frames/{n}", headers=headers)
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"
        assert r.headers["Content-Type"].startswith("application/json")


def test_the_internal_frame_location_cannot_be_asked_for_directly(
    world: Any, proxy: str, pullback: Any
) -> None:
    created, fragments = pullback
    path = storage.frame_proxy_path(str(created.storage_key), 0, "image/jpeg")
    assert path is not None
    on_disk = Path(storage.pullback_dir(created)) / storage.FRAME_FILES_NAME / "0.jpg"
    assert on_disk.read_bytes() == fragments[0]  # the file exists: only nginx refuses it
    for headers in ({}, auth(world.reader_a)):
        r = requests.get(f"{proxy}/_frames/{path}", headers=headers)
        assert r.status_code == 404
        assert r.content != fragments[0]


def test_without_a_credential_the_answer_is_401_through_nginx(proxy: str, pullback: Any) -> None:
    created, _ = pullback
    r = requests.get(f"{proxy}/api/v1/pullbacks/{created.pk}/frames/0")
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"
