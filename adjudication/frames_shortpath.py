"""The short path for frames (issue 13): frame requests skip the rest of the middleware stack
and URL resolving.

A viewer asks for hundreds of frames a minute; each went through WhiteNoise, sessions, CSRF,
authentication, messages (which builds a cookie signer per request), clickjacking and CSP
middleware and the URL resolver before the view ran, none of which a frame needs: frames are
authenticated by ``frames_auth`` (session cookie or token, read directly), are read-only
(GET/HEAD) and are images. This middleware sits right after ``SecurityMiddleware`` (which keeps
the HTTPS redirect and HSTS) and answers

- ``GET|HEAD /api/v1/pullbacks/{id}/frames/{n}`` — ``pullbacks.frame_response``;
- ``GET|HEAD /api/v1/pullbacks/{id}/frame-grant`` — ``pullbacks.frame_grant_response``
  (nginx's ``auth_request``);

itself; everything else goes down the stack as before. The same views are also in the URLconf
(the OpenAPI schema lists the frame view), so they answer alike either way. A session is
attached lazily (``SessionStore`` of the cookie, loaded only on a full check), as
``SessionMiddleware`` would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_FRAME_PATH = re.compile(r"^/api/v1/pullbacks/([0-9]{1,18})/(?:frames/([0-9]{1,18})|frame-grant)$")


class FrameShortPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = _FRAME_PATH.match(request.path_info)
        if match is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        from adjudication.api import pullbacks  # the API module loads once, on first use

        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.session = self.session_store(session_key)
        pk, frame = match.groups()
        if frame is None:
            response = pullbacks.frame_grant_response(request, int(pk))
        else:
            response = pullbacks.frame_response(request, int(pk), int(frame))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


def frames_shortpath_applies(path: str) -> bool:
    """Whether ``path`` is answered by the short path (for tests and the README)."""
    return _FRAME_PATH.match(path) is not None
