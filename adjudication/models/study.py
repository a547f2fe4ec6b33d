from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from adjudication.domain.settings import StudySettings
from adjudication.roles import Role

from .querysets import MembershipQuerySet, StudyQuerySet


class Study(models.Model):
    """A reading study: protocol settings and tolerances (SPEC §2, §5, §6)."""

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=40, unique=True)
    description = models.TextField(blank=True)
    settings = models.JSONField(default=dict, help_text="StudySettings.to_dict(), validated")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = StudyQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.code

    def get_settings(self) -> StudySettings:
        return StudySettings.from_dict(self.settings)


class Membership(models.Model):
    """A user's one role in one study (SPEC §1)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=[(r.value, r.value) for r in Role])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="one_role_per_study"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.study_id}:{self.role}"
