from __future__ import annotations

from django.conf import settings
from django.db import models

from adjudication.domain.workflow import AdjudicationState

from .choices import ADJUDICATION_STATUS_CHOICES
from .pullback import Pullback
from .querysets import AdjudicationQuerySet
from .reading import Read


class Adjudication(models.Model):
    """The resolution of one pullback's flags by a senior analyst (SPEC §6)."""

    pullback = models.OneToOneField(Pullback, on_delete=models.CASCADE, related_name="adjudication")
    status = models.CharField(
        max_length=12,
        choices=ADJUDICATION_STATUS_CHOICES,
        default=AdjudicationState.OPEN.value,
    )
    adjudicator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adjudicator_read = models.OneToOneField(
        Read, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settings_used = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = AdjudicationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"adjudication {self.pk}"


class Flag(models.Model):
    """One metric on which the two reads differ by more than its tolerance."""

    adjudication = models.ForeignKey(Adjudication, on_delete=models.CASCADE, related_name="flags")
    metric = models.CharField(max_length=64)
    group = models.CharField(max_length=20)
    a = models.JSONField(null=True)
    b = models.JSONField(null=True)
    difference = models.FloatField(null=True)
    tolerance = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["adjudication", "metric"], name="flag_unique"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.metric} ({self.group})"


class Decision(models.Model):
    """The adjudicator's choice for one flagged group: a source and a reason."""

    adjudication = models.ForeignKey(
        Adjudication, on_delete=models.CASCADE, related_name="decisions"
    )
    group = models.CharField(max_length=20)
    source = models.CharField(max_length=16)
    reason = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["adjudication", "group"], name="decision_unique"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.group}: {self.source}"
