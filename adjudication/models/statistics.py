"""Clinical covariates per subject and the study's computed statistics (SPEC §13).

Coordinator-only data: no reader or adjudicator endpoint, page or export reads these models.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models

from .pullback import Subject
from .study import Study


class StudyCovariates(models.Model):
    """The covariate table of a study: its columns and kinds (numeric, yes_no, category) and
    where it came from. Replaced whole by each upload."""

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="covariates")
    # [[name, kind], ...] in file order (a list: jsonb does not keep the order of object keys)
    columns = models.JSONField(default=list)
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "study covariates"

    def __str__(self) -> str:
        return f"covariates of study {self.study_id}"

    @property
    def column_kinds(self) -> dict[str, str]:
        """``{name: kind}`` in file order."""
        return {name: kind for name, kind in self.columns}


class SubjectCovariates(models.Model):
    """One subject's clinical values ``{column: number | bool | text | null}``."""

    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="covariates")
    values = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "subject covariates"

    def __str__(self) -> str:
        return f"covariates of subject {self.subject_id}"


class StatisticsStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class StudyStatistics(models.Model):
    """The latest statistics run of a study: its options, state, ``statistics.json`` result and
    SVG figures. ``generation`` grows with every request, so a worker that finishes a stale
    run never overwrites a newer one."""

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="statistics")
    options = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=StatisticsStatus.choices, default=StatisticsStatus.PENDING
    )
    generation = models.PositiveIntegerField(default=1)
    # statistics.json as text, byte for byte what the download and the command write
    result_json = models.TextField(blank=True)
    figures = models.JSONField(default=dict)  # {name: svg text}
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "study statistics"

    def __str__(self) -> str:
        return f"statistics of study {self.study_id} ({self.status})"

    @property
    def result(self) -> dict[str, Any] | None:
        """The parsed ``statistics.json`` (keys in their computed order), or None."""
        return json.loads(self.result_json) if self.result_json else None
