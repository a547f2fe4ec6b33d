"""Sign-in lockout: repeated failed passwords lock a username (and an address) for a while.

Failures are counted for every way a password is checked: the sign-in page, the admin, the
token endpoint (all through ``authenticate``, counted by the ``user_login_failed`` signal)
and the password re-check of signed steps (``services/passwords.py``). Counters live in the
default cache, shared by all processes when it is Redis.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver


def _keys(username: str | None, address: str | None) -> list[str]:
    keys = []
    if username:
        keys.append(f"lockout:user:{username.lower()}")
    if address:
        keys.append(f"lockout:addr:{address}")
    return keys


def client_address(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def is_locked_out(username: str | None, address: str | None = None) -> bool:
    limit_user = settings.LOGIN_FAILURE_LIMIT
    limit_addr = settings.LOGIN_FAILURE_LIMIT * 4  # an office behind one NAT shares it
    counts = cache.get_many(_keys(username, address))
    for key, count in counts.items():
        limit = limit_user if ":user:" in key else limit_addr
        if count >= limit:
            return True
    return False


def record_failure(username: str | None, address: str | None = None) -> None:
    for key in _keys(username, address):
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_S)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_S)


def clear_failures(username: str | None) -> None:
    if username:
        cache.delete(f"lockout:user:{username.lower()}")


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing a locked-out username or address before checking."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if is_locked_out(username, client_address(request)):
            # PermissionDenied stops every backend and fires user_login_failed.
            raise PermissionDenied("locked out")
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _count_failure(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    record_failure(credentials.get("username"), client_address(request))


@receiver(user_logged_in)
def _reset_on_success(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    clear_failures(user.get_username())
