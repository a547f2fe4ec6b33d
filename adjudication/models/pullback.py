from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from adjudication.domain.workflow import PullbackState

from .choices import PULLBACK_STATUS_CHOICES
from .querysets import PullbackQuerySet
from .study import Study


class Subject(models.Model):
    """A study participant, known only by a pseudonymous code such as ``S-0042``."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="subjects")
    code = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="subject_code_unique"),
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Timepoint(models.TextChoices):
    PRE = "pre"
    POST = "post"
    FOLLOWUP = "followup"


class Pullback(models.Model):
    """One IVOCT acquisition: its DICOM source, calibration and workflow state (SPEC §2, §3)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="pullbacks")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="pullbacks")
    timepoint = models.CharField(max_length=10, choices=Timepoint.choices)
    lesion = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=16,
        choices=PULLBACK_STATUS_CHOICES,
        default=PullbackState.INGESTING.value,
    )
    error = models.TextField(blank=True)
    storage_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    original_filename = models.CharField(max_length=255, blank=True)
    # sha256 of the original SOP Instance UID: duplicate detection without keeping the UID here
    source_uid_digest = models.CharField(  # noqa: DJ001 - NULL until ingested; unique when set
        max_length=64, null=True, blank=True
    )
    n_frames = models.PositiveIntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    columns = models.PositiveIntegerField(null=True, blank=True)
    pixel_spacing_row_mm = models.FloatField(null=True, blank=True)
    pixel_spacing_col_mm = models.FloatField(null=True, blank=True)
    frame_spacing_mm = models.FloatField(null=True, blank=True)
    calibration_source = models.CharField(max_length=80, blank=True)
    frame_content_type = models.CharField(max_length=20, blank=True)
    # The implanted device, a key of the study's device table (SPEC §5): its strut + polymer
    # thickness is this pullback's malapposition threshold. Blank: the study's default.
    device = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A failed pullback a coordinator archived: kept (and audited) but out of the console lists.
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = PullbackQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "source_uid_digest"], name="pullback_sop_uid_unique_in_study"
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"pullback {self.pk}"

    @property
    def pixel_spacing_mm(self) -> list[float] | None:
        if self.pixel_spacing_row_mm is None or self.pixel_spacing_col_mm is None:
            return None
        return [self.pixel_spacing_row_mm, self.pixel_spacing_col_mm]


class Pseudonymisation(models.Model):
    """The original-to-pseudonym map of one ingested DICOM (coordinators only, SPEC §8)."""

    pullback = models.OneToOneField(Pullback, on_delete=models.CASCADE, related_name="pseudonym")
    mapping = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"pseudonym map of pullback {self.pullback_id}"
