"""Repeated failed passwords lock the username for a while, on every way in."""

from __future__ import annotations

from typing import Any

from django.test import Client, override_settings

from adjudication.models import AuditEvent
from adjudication.services.assignment import pullback_assign_readers
from adjudication.services.reads import read_save_annotations
from tests.conftest import sample_document
from tests.factories import PullbackFactory

# The fixture documents annotate a few frames only: submitted as incomplete (SPEC §2).
PARTIAL = {"allow_incomplete": True, "reason": "test fixture: partial document"}


def _sign_in(client: Client, username: str, password: str) -> bool:
    client.post("/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_it_locks_the_sign_in_page_after_repeated_failures(world: Any) -> None:
    client = Client()
    for _ in range(3):
        assert not _sign_in(client, "reader_a", "wrong")
    # Even the right password is refused while locked out.
    assert not _sign_in(client, "reader_a", world.password)


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_failures_on_the_token_endpoint_lock_the_sign_in_page_too(world: Any, api: Any) -> None:
    for _ in range(3):
        r = api(None).post(
            "/api/v1/auth/token/", {"username": "reader_b", "password": "x"}, format="json"
        )
        assert r.status_code == 400
    r = api(None).post(
        "/api/v1/auth/token/", {"username": "reader_b", "password": world.password}, format="json"
    )
    assert r.status_code == 400
    assert not _sign_in(Client(), "reader_b", world.password)


@override_settings(LOGIN_FAILURE_LIMIT=5)
def test_a_success_before_the_limit_resets_the_count(world: Any) -> None:
    client = Client()
    for _ in range(4):
        assert not _sign_in(client, "reader_a", "wrong")
    assert _sign_in(client, "reader_a", world.password)
    client.logout()
    for _ in range(4):
        assert not _sign_in(client, "reader_a", "wrong")
    assert _sign_in(client, "reader_a", world.password)


@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_guessing_the_submit_password_locks_it_and_is_audited(world: Any, api: Any) -> None:
    pullback = PullbackFactory(study=world.study)
    a, _ = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    read_save_annotations(read=a, actor=world.reader_a, version=1, annotations=sample_document())
    client = api(world.reader_a)
    for _ in range(2):
        r = client.post(f"/api/v1/reads/{a.pk}/submit/", {"password": "guess"}, format="json")
        assert r.status_code == 403
    r = client.post(
        f"/api/v1/reads/{a.pk}/submit/", {"password": world.password, **PARTIAL}, format="json"
    )
    assert r.status_code == 403
    assert r.json()["code"] == "locked_out"
    a.refresh_from_db()
    assert a.status == "in_progress"
    assert AuditEvent.objects.filter(action="read.submit.refused", object_id=str(a.pk)).count() == 3


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_failures_at_the_admin_sign_in_lock_the_other_ways_in_too(world: Any, api: Any) -> None:
    world.coordinator.is_staff = True
    world.coordinator.save(update_fields=["is_staff"])
    admin = Client()
    for _ in range(3):
        admin.post("/admin/login/", {"username": "coordinator", "password": "wrong"})
    admin.post("/admin/login/", {"username": "coordinator", "password": world.password})
    assert "_auth_user_id" not in admin.session
    assert not _sign_in(Client(), "coordinator", world.password)
    r = api(None).post(
        "/api/v1/auth/token/",
        {"username": "coordinator", "password": world.password},
        format="json",
    )
    assert r.status_code == 400


@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_guessing_a_signed_step_password_does_not_lock_sign_in(world: Any, api: Any) -> None:
    # Wrong step passwords come from a session already signed in as the user: they lock the
    # signed steps, never the user's sign-in.
    pullback = PullbackFactory(study=world.study)
    a, _ = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    for _ in range(3):
        api(world.reader_a).post(f"/api/v1/reads/{a.pk}/submit/", {"password": "x"}, format="json")
    assert _sign_in(Client(), "reader_a", world.password)
