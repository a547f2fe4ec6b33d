from __future__ import annotations

from django.conf import settings
from django.db import models

from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS
from adjudication.domain.workflow import ReadState

from .choices import READ_STATUS_CHOICES, ReadKind
from .fields import add_metric_columns
from .json_field import DocumentJSONField
from .pullback import Pullback
from .querysets import ReadQuerySet


class Read(models.Model):
    """One analyst's independent annotation of one pullback (SPEC §2, §4).

    ``slot`` 1 and 2 are the two blinded readers ("Reader 1", "Reader 2"); slot 3 is the
    adjudicator's own annotation, stored as a third immutable read.
    """

    pullback = models.ForeignKey(Pullback, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reads"
    )
    kind = models.CharField(max_length=12, choices=ReadKind.choices, default=ReadKind.READER)
    slot = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=16,
        choices=READ_STATUS_CHOICES,
        default=ReadState.ASSIGNED.value,
    )
    version = models.PositiveIntegerField(default=1)
    annotations = DocumentJSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Submitted although incomplete (SPEC §2): the reader's reason and what was missing then.
    incomplete_reason = models.TextField(blank=True)
    incomplete_frames = models.JSONField(default=list, blank=True)

    objects = ReadQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pullback", "slot"], name="read_slot_unique"),
            models.UniqueConstraint(fields=["pullback", "reader"], name="read_reader_unique"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"read {self.pk}"

    @property
    def label(self) -> str:
        return "Adjudicator" if self.kind == ReadKind.ADJUDICATOR else f"Reader {self.slot}"


class ReadMetrics(models.Model):
    """Per-read (pullback-level) metrics, one column per SPEC §5 metric; null = unsupported."""

    read = models.OneToOneField(Read, on_delete=models.CASCADE, related_name="metrics")
    computed_at = models.DateTimeField(auto_now=True)
    settings_used = models.JSONField(default=dict)
    calibration_used = models.JSONField(default=dict)
    analysis_frames = models.JSONField(default=list)
    # The values first computed at submission, frozen: what the reader sees of their own read.
    # The columns may be recomputed under later settings for the comparison (adjudicators,
    # coordinators); showing those to the reader would reveal when the other reader submitted.
    as_submitted = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"metrics of read {self.read_id}"

    def values(self) -> dict[str, object]:
        return {m.name: getattr(self, m.name) for m in READ_METRICS}

    def values_as_submitted(self) -> dict[str, object]:
        """The reader's own metrics as computed at submission (SPEC §1 blinding)."""
        frozen = self.as_submitted.get("values") if self.as_submitted else None
        return dict(frozen) if frozen is not None else self.values()


add_metric_columns(ReadMetrics, READ_METRICS)


class FrameMetrics(models.Model):
    """Per-frame metrics of one read (SPEC §5), one row per annotated frame."""

    read = models.ForeignKey(Read, on_delete=models.CASCADE, related_name="frame_metrics")
    frame = models.PositiveIntegerField()
    is_analysis_frame = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["read", "frame"], name="frame_metrics_unique"),
        ]
        ordering = ["read", "frame"]

    def __str__(self) -> str:
        return f"frame {self.frame} of read {self.read_id}"

    def values(self) -> dict[str, object]:
        return {m.name: getattr(self, m.name) for m in FRAME_METRICS}


add_metric_columns(FrameMetrics, FRAME_METRICS)
