"""Raw uploads that nginx writes to a file for the app (``UPLOAD_PROXY_TOKEN``; issue 13).

A real nginx with bin/serve's configuration (``tests/serve_topology.py``) in front of the live
test server: for ``POST …/pullbacks/`` with ``Content-Type: application/dicom`` nginx stores
the body in ``MEDIA_ROOT/incoming/`` and hands the app its name with the token; the app moves
the file into staging (``adjudication/uploads_proxy.py``). What must hold: the upload is the
same as when the app reads the body itself; the app takes a file only from nginx (the right
token), only from the incoming folder, and never a file a client names; whatever is refused
leaves nothing behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from adjudication import storage
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Pullback
from adjudication.services import ingest
from adjudication.tokens import token_issue
from tests.serve_topology import NGINX, nginx_in_front

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (bin/test installs Debian's nginx-light)"
)

TOKEN = secrets.token_urlsafe(32)
QUERY = "subject_code=S-0021&timepoint=post&lesion=LAD&filename=run.dcm"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_PROXY_TOKEN = TOKEN
    return Path(settings.MEDIA_ROOT)


def start_proxy(live_server: Any, media: Path, folder: Path, token: str) -> Any:
    (folder / "static").mkdir(parents=True, exist_ok=True)
    return nginx_in_front(
        folder / "nginx",
        app=live_server.url.removeprefix("http://"),
        media_root=media,
        static_root=folder / "static",
        upload_token=token,
    )


@pytest.fixture
def proxy(live_server: Any, media: Path, tmp_path: Path) -> Iterator[str]:
    """nginx in front of the live server, writing raw uploads to files with the app's token."""
    with start_proxy(live_server, media, tmp_path, TOKEN) as url:
        yield url


def dicom(tmp_path: Path, seed: int) -> bytes:
    path = tmp_path / f"upload-{seed}.dcm"
    make_synthetic_pullback(
        path, n_frames=4, rows=64, columns=64, encoding="jpeg_baseline", seed=seed
    )
    return path.read_bytes()


def headers(world: Any, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Token {token_issue(user=world.coordinator)}", **extra}


def post_raw(base: str, world: Any, body: bytes, **extra: str) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/studies/{world.study.pk}/pullbacks/?{QUERY}",
        data=body,
        headers=headers(world, **{"Content-Type": "application/dicom", **extra}),
        timeout=60,
    )


def files_under(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_raw_upload_through_nginx_is_the_file_nginx_wrote_moved_into_place(
    world: Any, proxy: str, media: Path, tmp_path: Path
) -> None:
    body = dicom(tmp_path, seed=1)
    answer = post_raw(proxy, world, body)
    assert answer.status_code == 202, answer.text
    pullback = Pullback.objects.get(pk=answer.json()["id"])
    assert storage.upload_path(pullback).read_bytes() == body  # byte for byte
    assert pullback.original_filename == "run.dcm" and pullback.subject.code == "S-0021"
    assert files_under(storage.incoming_dir()) == []  # taken, not copied
    ingest.pullback_ingest(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    assert pullback.status == "ready", pullback.error


def test_without_the_apps_token_nginx_hands_over_nothing_the_app_accepts(
    world: Any, live_server: Any, media: Path, tmp_path: Path
) -> None:
    """An nginx with another token (or a client pretending to be nginx) is refused: the body
    is not in the request, and nothing is stored; nginx removes its file."""
    with start_proxy(live_server, media, tmp_path / "other", secrets.token_urlsafe(32)) as url:
        answer = post_raw(url, world, dicom(tmp_path, seed=2))
    assert answer.status_code == 400
    assert answer.json()["code"] == "upload_handoff"
    assert not Pullback.objects.exists()
    assert files_under(media) == []


def test_a_client_cannot_make_the_app_take_a_file_it_names(
    world: Any, live_server: Any, proxy: str, media: Path, tmp_path: Path
) -> None:
    """Straight to the app (no nginx), naming another upload waiting in the incoming folder:
    without the token the app reads the request's own body; with a wrong one it refuses. The
    waiting file is never touched. Through nginx, the naming headers never reach the app."""
    waiting = storage.incoming_dir() / "0000000001"  # the incoming folder: nginx made it
    waiting.write_bytes(dicom(tmp_path, seed=3))
    before = waiting.read_bytes()
    own = dicom(tmp_path, seed=4)
    named = {"X-Upload-File": str(waiting)}
    direct = post_raw(live_server.url, world, own, **named)
    assert direct.status_code == 202
    taken = Pullback.objects.get(pk=direct.json()["id"])
    assert storage.upload_path(taken).read_bytes() == own
    forged = post_raw(live_server.url, world, own, **named, **{"X-Upload-Token": "x" * 43})
    assert forged.status_code == 400 and forged.json()["code"] == "upload_handoff"
    multipart = requests.post(
        f"{proxy}/api/v1/studies/{world.study.pk}/pullbacks/",
        data={"subject_code": "S-0022", "timepoint": "post"},
        files={"file": ("m.dcm", own)},
        headers=headers(world, **named, **{"X-Upload-Token": TOKEN}),
        timeout=60,
    )
    assert multipart.status_code == 202
    assert storage.upload_path(Pullback.objects.get(pk=multipart.json()["id"])).read_bytes() == own
    assert waiting.read_bytes() == before


def test_with_the_token_only_a_file_in_the_incoming_folder_is_taken(
    world: Any, live_server: Any, media: Path, tmp_path: Path
) -> None:
    storage.incoming_dir().mkdir(parents=True)
    outside = media / "elsewhere.dcm"
    outside.write_bytes(dicom(tmp_path, seed=5))
    link = storage.incoming_dir() / "link"
    link.symlink_to(outside)
    for name in (str(outside), str(link), str(storage.incoming_dir() / ".." / "elsewhere.dcm")):
        answer = post_raw(
            live_server.url, world, b"", **{"X-Upload-File": name, "X-Upload-Token": TOKEN}
        )
        assert answer.status_code == 400 and answer.json()["code"] == "upload_handoff", name
    assert outside.exists() and link.is_symlink()
    assert not Pullback.objects.exists()


def test_a_refused_upload_leaves_nothing_behind(
    world: Any, proxy: str, media: Path, tmp_path: Path
) -> None:
    answer = post_raw(proxy, world, b"not a DICOM file at all" * 100)
    assert answer.status_code == 400
    assert answer.json()["code"] == "not_dicom"
    assert not Pullback.objects.exists()
    assert files_under(media) == []
