"""API tokens that expire and can be revoked (issue 12, finding 7).

``POST /api/v1/auth/token/`` issues a fresh random key per sign-in (any number per user, so
scripts and browsers sign in side by side), valid ``TOKEN_TTL_HOURS`` (default 12) from
issue, not extended by use — a predictable working day. The database keeps only the key's
SHA-256 digest, so a database read leaks no usable credential. ``POST /api/v1/auth/logout/``
revokes the token it is called with (or every token of the user with ``{"all": true}``).
Clients keep sending ``Authorization: Token <key>`` (SPEC §9).

Frames are authenticated by ``adjudication.frames_auth`` through ``user_for_key`` too; their
cached grants never outlive the token (see there).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from adjudication.models import ApiToken
from adjudication.types import User

KEYWORD = "Token"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, user: User) -> str:
    """A new key for ``user``, valid ``TOKEN_TTL_HOURS``; expired tokens (anyone's) go, so
    the table holds live tokens only (an indexed range delete)."""
    now = timezone.now()
    ApiToken.objects.filter(expires_at__lte=now).delete()
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        digest=digest(key),
        created_at=now,
        expires_at=now + timedelta(hours=settings.TOKEN_TTL_HOURS),
    )
    return key


def token_revoke(*, key: str) -> bool:
    """Revoke one token; True when it existed."""
    deleted, _ = ApiToken.objects.filter(digest=digest(key)).delete()
    return deleted > 0


def tokens_revoke_all(*, user: User) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def user_for_key(key: str) -> tuple[Any, datetime] | None:
    """The active user a live token belongs to, with its expiry; None otherwise."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest(key), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user, token.expires_at


def key_from_header(header: str) -> str | None:
    """The key of an ``Authorization: Token <key>`` header value, else None."""
    scheme, _, key = header.partition(" ")
    if scheme.lower() != KEYWORD.lower() or not key.strip() or " " in key.strip():
        return None
    return key.strip()


class ExpiringTokenAuthentication(BaseAuthentication):
    """DRF authentication for ``Authorization: Token <key>`` against ``ApiToken``."""

    def authenticate(self, request: Any) -> tuple[Any, str] | None:
        header = get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        if header.partition(" ")[0].lower() != KEYWORD.lower():
            return None
        key = key_from_header(header)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        found = user_for_key(key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        return found[0], key

    def authenticate_header(self, request: Any) -> str:
        return KEYWORD


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """Documents the scheme in the OpenAPI schema (registered by being defined)."""

    target_class = "adjudication.tokens.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=KEYWORD
        )
