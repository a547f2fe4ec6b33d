"""API tokens expire, are revoked at logout, and any number may be held (issue 12, finding 7)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from adjudication.models import ApiToken
from adjudication.services.assignment import pullback_assign_readers
from tests.factories import PullbackFactory, write_frames


def sign_in(world: Any, username: str = "reader_a") -> str:
    r = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": world.password}, format="json"
    )
    assert r.status_code == 200
    assert set(r.json()) == {"token"}  # SPEC §9: {token}
    return r.json()["token"]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def pullback_with_a_frame(world: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    pullback = PullbackFactory(study=world.study, n_frames=3)
    pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    write_frames(str(pullback.storage_key), [b"\xff\xd8\xff\xd9"])
    return pullback


def test_a_token_lasts_at_least_ten_hours_by_default(world: Any, settings: Any) -> None:
    assert settings.TOKEN_TTL_HOURS >= 10
    key = sign_in(world)
    token = ApiToken.objects.get(user=world.reader_a)
    assert token.expires_at - token.created_at == timedelta(hours=settings.TOKEN_TTL_HOURS)
    assert key not in token.digest  # only a digest is stored
    assert with_token(key).get("/api/v1/me/").status_code == 200


def test_an_expired_token_is_refused_everywhere(world: Any, pullback_with_a_frame: Any) -> None:
    key = sign_in(world)
    frame_url = f"/api/v1/pullbacks/{pullback_with_a_frame.pk}/frames/0"
    ApiToken.objects.filter(user=world.reader_a).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert with_token(key).get("/api/v1/me/").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get(frame_url).status_code == 401


def test_scripts_and_browsers_sign_in_side_by_side_without_a_cap(world: Any) -> None:
    keys = [sign_in(world) for _ in range(12)]
    assert len(set(keys)) == 12
    for key in keys:
        assert with_token(key).get("/api/v1/me/").status_code == 200


def test_api_logout_revokes_the_token_it_is_called_with_only(world: Any) -> None:
    script, other = sign_in(world), sign_in(world)
    assert with_token(script).post("/api/v1/auth/logout/").status_code == 204
    assert with_token(script).get("/api/v1/me/").status_code == 401
    assert with_token(other).get("/api/v1/me/").status_code == 200


def test_api_logout_all_revokes_every_token_of_the_user(world: Any) -> None:
    mine, also_mine, someone_elses = sign_in(world), sign_in(world), sign_in(world, "reader_b")
    r = with_token(mine).post("/api/v1/auth/logout/", {"all": True}, format="json")
    assert r.status_code == 204
    assert with_token(also_mine).get("/api/v1/me/").status_code == 401
    assert with_token(someone_elses).get("/api/v1/me/").status_code == 200


def test_api_logout_with_a_session_ends_the_session(world: Any) -> None:
    client = Client()
    assert client.login(username="reader_a", password=world.password)
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_a_revoked_token_stops_frames_within_the_grant_ttl(
    world: Any, pullback_with_a_frame: Any, settings: Any
) -> None:
    settings.FRAME_GRANT_TTL_S = 1
    key = sign_in(world)
    frames = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/api/v1/pullbacks/{pullback_with_a_frame.pk}/frames/0"
    assert frames.get(url).status_code == 200  # the grant is now cached
    assert with_token(key).post("/api/v1/auth/logout/").status_code == 204
    time.sleep(1.2)  # the documented window (FRAME_GRANT_TTL_S) has passed
    assert frames.get(url).status_code == 401


def test_a_frame_grant_never_outlives_its_token(
    world: Any, pullback_with_a_frame: Any, settings: Any
) -> None:
    settings.FRAME_GRANT_TTL_S = 3600
    key = sign_in(world)
    ApiToken.objects.filter(user=world.reader_a).update(
        expires_at=timezone.now() + timedelta(seconds=1)
    )
    frames = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/api/v1/pullbacks/{pullback_with_a_frame.pk}/frames/0"
    assert frames.get(url).status_code == 200
    time.sleep(1.2)  # the token expired; the hour-long grant TTL must not keep it alive
    assert frames.get(url).status_code == 401


def test_page_logout_ends_the_session_for_frames_within_the_grant_ttl(
    world: Any, pullback_with_a_frame: Any, settings: Any
) -> None:
    settings.FRAME_GRANT_TTL_S = 1
    browser = Client()
    assert browser.login(username="reader_a", password=world.password)
    url = f"/api/v1/pullbacks/{pullback_with_a_frame.pk}/frames/0"
    assert browser.get(url).status_code == 200
    stolen_cookie = browser.cookies["sessionid"].value
    browser.post("/logout/")
    time.sleep(1.2)
    thief = Client()
    thief.cookies["sessionid"] = stolen_cookie
    assert thief.get(url).status_code == 401


def test_expired_tokens_are_deleted_at_the_next_sign_in(world: Any) -> None:
    old = sign_in(world, "reader_b")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    sign_in(world)
    assert not ApiToken.objects.filter(user=world.reader_b).exists()
    assert with_token(old).get("/api/v1/me/").status_code == 401
