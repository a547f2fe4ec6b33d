from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """An API sign-in (``POST /api/v1/auth/token/``): valid until ``expires_at`` or until
    revoked (logout). Only a SHA-256 digest of the key is stored; a user may hold any number
    (scripts and browsers sign in side by side)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token {self.pk} of user {self.user_id}"
