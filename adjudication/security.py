"""Sign-in lockout that an attacker cannot turn against the users it protects (issue 12).

Failures are counted for every way a password is checked: the sign-in page, the admin, the
token endpoint (all through ``authenticate``, counted by the ``user_login_failed`` signal)
and the password re-check of signed steps (``services/passwords.py``). Counters live in the
default cache, shared by all processes when it is Redis.

Three counters, each locking only what its failures came from:

- **username × client address**: ``LOGIN_FAILURE_LIMIT`` failures for one username from one
  address lock that username *from that address*. Guessing someone's password from elsewhere
  never locks them out of their own desk.
- **client address**: ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address, whatever the
  usernames (made-up ones included), lock that address. This stops one machine trying many
  accounts; it locks only the guesser, because the address is the real client's (below).
- **signed step × username**: wrong passwords at a signed step (submit, resolve) come from a
  session already signed in as that user; they lock that user's signed steps, not sign-in.

The client address is ``REMOTE_ADDR``, or — behind ``TRUSTED_PROXY_COUNT`` reverse proxies —
the address the outermost trusted proxy saw (the N-th X-Forwarded-For entry from the right).
Entries further left are written by the client and ignored. DRF throttles use the same rule
(``NUM_PROXIES`` and ``AuthRateThrottle``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

NO_ADDRESS = "local"  # authenticate() called without a request (shell, management command)


def client_address(request: Any) -> str:
    """The real client address of ``request`` (see the module doc)."""
    if request is None:
        return NO_ADDRESS
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR") or NO_ADDRESS
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if not forwarded:
        return remote
    # Fewer entries than proxies (a misconfigured count) leaves a client-written entry:
    # bounded, so it cannot make oversized cache keys.
    return forwarded[-min(proxies, len(forwarded))][:64]


def _name(username: str | None) -> str:
    # Hashed: the cache never holds usernames typed at the sign-in form (they may be
    # passwords typed into the wrong field).
    return hashlib.sha256((username or "").lower().encode()).hexdigest()[:32]


def _pair_key(username: str | None, address: str) -> str:
    return f"lockout:pair:{_name(username)}:{address}"


def _address_key(address: str) -> str:
    return f"lockout:addr:{address}"


def _step_key(username: str | None) -> str:
    return f"lockout:step:{_name(username)}"


def _increment(key: str) -> None:
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_S)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_S)


def is_locked_out(username: str | None, address: str) -> bool:
    """True when ``username`` may not sign in from ``address`` now."""
    pair, addr = _pair_key(username, address), _address_key(address)
    counts = cache.get_many([pair, addr])
    return (
        counts.get(pair, 0) >= settings.LOGIN_FAILURE_LIMIT
        or counts.get(addr, 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
    )


def record_failure(username: str | None, address: str) -> None:
    _increment(_pair_key(username, address))
    _increment(_address_key(address))


def clear_failures(username: str | None, address: str) -> None:
    """A correct password from ``address`` clears that username's count there (only): the
    address count stays, or one valid account would reset a guesser's budget."""
    cache.delete(_pair_key(username, address))


def step_is_locked_out(username: str) -> bool:
    return int(cache.get(_step_key(username), 0)) >= settings.LOGIN_FAILURE_LIMIT


def step_record_failure(username: str) -> None:
    _increment(_step_key(username))


def step_clear_failures(username: str) -> None:
    cache.delete(_step_key(username))


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing a locked-out username or address before checking."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if is_locked_out(username, client_address(request)):
            # PermissionDenied stops every backend and fires user_login_failed.
            raise PermissionDenied("locked out")
        return super().authenticate(request, username=username, password=password, **kwargs)


class AuthRateThrottle(ScopedRateThrottle):
    """The ``auth`` scope's rate per real client address (``client_address``), the rate read
    at request time so settings overrides apply."""

    def get_ident(self, request: Any) -> str:
        return client_address(request)

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate is not None else None


@receiver(user_login_failed)
def _count_failure(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    record_failure(credentials.get("username"), client_address(request))


@receiver(user_logged_in)
def _reset_on_success(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    clear_failures(user.get_username(), client_address(request))
