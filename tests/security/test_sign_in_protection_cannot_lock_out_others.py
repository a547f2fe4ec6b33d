"""Sign-in protection an attacker cannot turn against users (issue 12, finding 4).

Behind one reverse proxy (``TRUSTED_PROXY_COUNT=1``) every request arrives from the proxy's
address; the client's real address is the last X-Forwarded-For entry (the one the proxy
appended). Entries to its left are the client's own writing and must not matter.
"""

from __future__ import annotations

from typing import Any

from django.test import Client, override_settings
from rest_framework.test import APIClient

PROXY = "172.18.0.5"
ATTACKER = "198.51.100.66"
READER_DESK = "203.0.113.10"


def behind_proxy(client_address: str, spoofed: str = "") -> dict[str, str]:
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def sign_in(username: str, password: str, address: str, spoofed: str = "") -> bool:
    client = Client(**behind_proxy(address, spoofed))
    client.post("/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


@override_settings(TRUSTED_PROXY_COUNT=1, LOGIN_FAILURE_LIMIT=3, LOGIN_ADDRESS_FAILURE_LIMIT=10)
def test_made_up_usernames_from_one_address_lock_out_only_that_address(world: Any) -> None:
    for i in range(25):
        assert not sign_in(f"nobody{i}", "guess", ATTACKER)
    # The reader, signing in through the same proxy from their own desk, is not affected.
    assert sign_in("reader_a", world.password, READER_DESK)
    # The attacking address is locked, even with a right password.
    assert not sign_in("reader_b", world.password, ATTACKER)


@override_settings(TRUSTED_PROXY_COUNT=1, LOGIN_FAILURE_LIMIT=3)
def test_guessing_a_users_password_elsewhere_never_locks_them_out_at_their_desk(
    world: Any,
) -> None:
    for _ in range(10):
        assert not sign_in("reader_a", "guess", ATTACKER)
    assert not sign_in("reader_a", world.password, ATTACKER)  # locked there
    assert sign_in("reader_a", world.password, READER_DESK)


@override_settings(TRUSTED_PROXY_COUNT=1, LOGIN_FAILURE_LIMIT=3, LOGIN_ADDRESS_FAILURE_LIMIT=10)
def test_rotating_the_forwarded_for_header_does_not_escape_the_address_lock(world: Any) -> None:
    for i in range(25):
        sign_in(f"nobody{i}", "guess", ATTACKER, spoofed=f"10.0.{i}.1")
    assert not sign_in("reader_b", world.password, ATTACKER, spoofed="10.9.9.9")


@override_settings(TRUSTED_PROXY_COUNT=0, LOGIN_FAILURE_LIMIT=3)
def test_without_trusted_proxies_the_forwarded_for_header_is_ignored(world: Any) -> None:
    for i in range(5):
        client = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.{i}.1")
        client.post("/login/", {"username": "reader_a", "password": "guess"})
    client = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=READER_DESK)
    client.post("/login/", {"username": "reader_a", "password": world.password})
    assert "_auth_user_id" not in client.session
    direct = Client(REMOTE_ADDR=READER_DESK)
    direct.post("/login/", {"username": "reader_a", "password": world.password})
    assert "_auth_user_id" in direct.session


@override_settings(
    TRUSTED_PROXY_COUNT=1,
    REST_FRAMEWORK={
        **__import__("django.conf").conf.settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth": "5/min"},
    },
)
def test_rotating_the_forwarded_for_header_does_not_bypass_the_token_throttle(world: Any) -> None:
    statuses = []
    for i in range(8):
        client = APIClient(**behind_proxy(ATTACKER, spoofed=f"10.1.{i}.1"))
        r = client.post(
            "/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json"
        )
        statuses.append(r.status_code)
    assert statuses[:5] == [400] * 5
    assert statuses[5:] == [429] * 3
    # Another client behind the same proxy still gets its token.
    r = APIClient(**behind_proxy(READER_DESK)).post(
        "/api/v1/auth/token/", {"username": "reader_a", "password": world.password}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["token"]
