"""nginx's frame grant (issue 13): a grant near its end is renewed after a full check, so the
proxy caches each answer for most of the grant's life instead of 0 s in its last second."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Read
from adjudication.services.assignment import pullback_assign_readers
from adjudication.tokens import token_issue
from tests import uploads


@pytest.fixture
def pullback(world: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FRAMES_VIA_PROXY = True
    settings.FRAME_GRANT_TTL_S = 30
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(path, n_frames=3, rows=64, columns=64, encoding="jpeg_baseline", seed=2)
    # With the per-frame files the light task writes after ready: nginx's grant is for them.
    created = uploads.ingested(
        world.study, world.coordinator, path, frame_files=True, subject_code="S-0007"
    )
    pullback_assign_readers(
        pullback=created, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    return created


def grant(client: Client, pullback: Any) -> Any:
    return client.get(f"/api/v1/pullbacks/{pullback.pk}/frame-grant")


def test_a_grant_in_its_last_seconds_is_checked_again_and_renewed(
    world: Any, pullback: Any, monkeypatch: Any, django_assert_max_num_queries: Any
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=world.reader_a)}")
    first = grant(client, pullback)
    assert first.status_code == 204
    assert 28 <= int(first["X-Accel-Expires"]) <= 30
    start = time.time()

    monkeypatch.setattr(time, "time", lambda: start + 20)  # 10 s left: answered from the cache
    with django_assert_max_num_queries(0):
        middle = grant(client, pullback)
    assert 8 <= int(middle["X-Accel-Expires"]) <= 10

    monkeypatch.setattr(time, "time", lambda: start + 27)  # 3 s left: checked in full, renewed
    renewed = grant(client, pullback)
    assert renewed.status_code == 204
    assert 28 <= int(renewed["X-Accel-Expires"]) <= 30


def test_a_renewal_is_a_full_check_so_a_lost_assignment_ends_the_grant(
    world: Any, pullback: Any, monkeypatch: Any
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=world.reader_a)}")
    assert grant(client, pullback).status_code == 204
    start = time.time()
    Read.objects.filter(pullback=pullback, reader=world.reader_a).delete()  # unassigned
    monkeypatch.setattr(time, "time", lambda: start + 27)
    assert grant(client, pullback).status_code == 403  # nginx then asks the app: 404
