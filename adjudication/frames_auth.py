"""Who may fetch a pullback's frames, answered without a database query on the hot path.

Every frame request is checked, but a viewer fetches hundreds of frames a minute and the full
check (session or token → user → ``Pullback.objects.visible_to(user)``) costs 2–4 queries.
So the first request of a *credential* for a pullback does the full check and caches a
**grant** — the pullback's frame facts (storage key, frame count, content type, size) — under
``frames:grant:<credential digest>:<pullback id>`` in the shared cache (Redis). Later requests
with the same credential cost one cache read and no query, until the grant expires.

- Credentials: ``Authorization: Token <key>`` (checked first, as a client sends it on purpose)
  or the session cookie. The cache key holds a SHA-256 digest of the credential, never the
  credential itself. Requests forced-authenticated by DRF's test client are checked in full
  every time (there is no credential to key a grant on).
- Revocation: a grant lives ``FRAME_GRANT_TTL_S`` seconds (default 30) from the full check
  that created it, never past the expiry of the token it was made for, and is never extended
  by use. Losing access — signing out, a revoked or expired token,
  a reader unassigned, a membership removed, a pullback becoming invisible to an adjudicator —
  takes effect for frames within that TTL; every other endpoint sees it at once. Each process
  also keeps a small in-memory copy of the grants it used, expiring at the same instant as
  the shared one (so it saves the cache round trip without lengthening the window). Frames are
  de-identified pixels and the browser keeps them for ``FRAME_CACHE_MAX_AGE_S`` anyway
  (``Cache-Control: private``), so a 30-second window adds nothing a client did not already
  hold.
- Behind nginx (``FRAMES_VIA_PROXY``, ``deploy/nginx.conf.template``) the proxy asks
  ``GET /api/v1/pullbacks/{id}/frame-grant`` (``auth_request``) and caches the answer per
  credential and pullback for as long as ``X-Accel-Expires`` says: the remaining life of the
  grant here (``frame_grant_until``), so the proxy never extends the revocation window either.
- Only positive answers are cached: gaining access is immediate, and an outsider (or a pullback
  still ingesting) is checked in full on every request and answers 404.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.core.cache import cache

from adjudication.domain.workflow import PullbackState
from adjudication.models import Pullback
from adjudication.tokens import key_from_header, user_for_key

# States whose frames exist on disk and may be shown (not ingesting, not failed).
FRAME_STATES = tuple(
    s.value for s in PullbackState if s not in (PullbackState.INGESTING, PullbackState.FAILED)
)


class NotAuthenticated(Exception):
    """No usable credential on the request."""


@dataclass(frozen=True)
class FrameGrant:
    """What a frame request needs to know about a pullback it may see."""

    storage_key: str
    n_frames: int
    content_type: str
    rows: int
    columns: int
    user_pk: int  # whose grant: keys per-user caches such as the L-mode images


def _credential(request: Any) -> str | None:
    """A digest naming the request's credential, or None when it carries none."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, key = header.partition(" ")
        if scheme.lower() == "token" and key.strip():
            return "t" + hashlib.sha256(key.strip().encode()).hexdigest()[:40]
        return None
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key:
        return "s" + hashlib.sha256(session_key.encode()).hexdigest()[:40]
    return None


def _user(request: Any) -> tuple[Any, float | None]:
    """The full (database) authentication, mirroring DRF's token-then-session order: the
    user, and when the credential ends (a token's expiry as a Unix time; None: a session)."""
    forced = getattr(request, "_force_auth_user", None)  # DRF's test client, as DRF honours it
    if forced is not None:
        return forced, None
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        key = key_from_header(header)
        if key is None:
            raise NotAuthenticated("Use 'Authorization: Token <key>' or sign in.")
        found = user_for_key(key)
        if found is None:
            raise NotAuthenticated("Invalid or expired token.")
        return found[0], found[1].timestamp()
    # The session, read directly: DRF may already have set ``request.user`` to anonymous.
    user = get_user(request) if hasattr(request, "session") else None
    if user is None or not user.is_authenticated:
        raise NotAuthenticated("Authentication credentials were not provided.")
    return user, None


def authenticated_user(request: Any) -> Any:
    """The full check, for other plain (non-DRF) views that authenticate like frames
    (dicomweb): the user alone; raises ``NotAuthenticated``."""
    return _user(request)[0]


def _grant_key(credential: str, pullback_pk: int) -> str:
    return f"frames:grant:{credential}:{pullback_pk}"


# This process's copy of recently used grants: key → (expires_at, grant). An entry expires at
# the same moment as the shared grant it copies, so it never extends the revocation window;
# it only saves the cache round trip during cine (most frames come from one connection).
_local: dict[str, tuple[float, FrameGrant]] = {}
LOCAL_MAX_ENTRIES = 1024


def _cached(key: str) -> tuple[FrameGrant, float] | None:
    """The grant under ``key`` and when it expires (Unix time), or None."""
    now = time.time()
    hit = _local.get(key)
    if hit is not None and hit[0] > now:
        return hit[1], hit[0]
    shared = cache.get(key)
    if shared is None:
        return None
    expires_at, fields = shared
    if expires_at <= now or len(fields) != len(FrameGrant.__dataclass_fields__):
        return None  # expired, or written by an older release with other fields
    grant = FrameGrant(*fields)
    _remember(key, expires_at, grant)
    return grant, expires_at


def _remember(key: str, expires_at: float, grant: FrameGrant) -> None:
    if len(_local) >= LOCAL_MAX_ENTRIES:
        now = time.time()
        for old in [k for k, (at, _) in _local.items() if at <= now] or list(_local)[:256]:
            _local.pop(old, None)
    _local[key] = (expires_at, grant)


def frame_grant(request: Any, pullback_pk: int) -> FrameGrant | None:
    """The grant of ``request``'s user for ``pullback_pk``'s frames, or None (→ 404).

    Raises ``NotAuthenticated`` when the request carries no valid credential. A cached grant
    answers without touching the database; see the module doc for the TTL and revocation.
    """
    return frame_grant_until(request, pullback_pk)[0]


def frame_grant_until(
    request: Any, pullback_pk: int, *, renew_within_s: float = 0.0
) -> tuple[FrameGrant | None, float]:
    """``frame_grant`` and until when (Unix time) it may be relied on: the shared grant's
    expiry, never past the token's; ``0`` when it is not cached (no credential to key it on,
    or no grant). The reverse proxy caches its own copy of a grant no longer than this.

    ``renew_within_s``: a cached grant with less life left than this is not answered but
    checked in full and replaced by a fresh one. The proxy asks with a few seconds here: a
    grant in its last second would be cached for 0 s, and every frame of that second would
    cost the proxy a round trip to the app (issue 13: 1 frame in 90 under load). The window
    is unchanged: the fresh grant follows a full check, as when one expires."""
    credential = None if hasattr(request, "_force_auth_user") else _credential(request)
    if credential is not None:
        cached = _cached(_grant_key(credential, pullback_pk))
        if cached is not None and cached[1] - time.time() >= renew_within_s:
            return cached
    user, credential_ends_at = _user(request)
    row = (
        Pullback.objects.visible_to(user)
        .filter(pk=pullback_pk, status__in=FRAME_STATES)
        .values_list("storage_key", "n_frames", "frame_content_type", "rows", "columns")
        .first()
    )
    if row is None:
        return None, 0.0
    grant = FrameGrant(
        str(row[0]), int(row[1] or 0), row[2], int(row[3] or 0), int(row[4] or 0), int(user.pk)
    )
    if credential is not None:
        expires_at = time.time() + settings.FRAME_GRANT_TTL_S
        if credential_ends_at is not None:
            expires_at = min(expires_at, credential_ends_at)
        ttl_s = max(1, math.ceil(expires_at - time.time()))
        fields = (
            grant.storage_key,
            grant.n_frames,
            grant.content_type,
            grant.rows,
            grant.columns,
            grant.user_pk,
        )
        key = _grant_key(credential, pullback_pk)
        cache.set(key, (expires_at, fields), timeout=ttl_s)
        _remember(key, expires_at, grant)
        return grant, expires_at
    return grant, 0.0
