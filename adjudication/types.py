"""Types shared by the Django layers (never imported by ``domain/``, ``dicom/``, ``imaging/`` or
``statistics/``, which stay free of Django).

``User`` is the project's user model: the project uses Django's own ``auth.User``
(``AUTH_USER_MODEL`` is not swapped), so service functions type their ``actor``/``user``
parameters with it rather than ``Any``. ``request_user`` narrows ``request.user`` in views whose
permission classes (or login checks) already refused anonymous requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import AnonymousUser, User

__all__ = ["RequestUser", "User", "request_user"]

# Who a visibility query (``visible_to``, selectors, permission helpers) is asked about: an
# anonymous request sees nothing rather than failing.
RequestUser = User | AnonymousUser

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request


def request_user(request: Request | HttpRequest | Any) -> User:
    """``request.user`` of an authenticated request, typed (no runtime check: the view's
    ``IsAuthenticated``/``login_required`` has already answered anonymous requests)."""
    return cast(User, request.user)
