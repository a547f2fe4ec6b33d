from __future__ import annotations

from django.db import models

from .pullback import Pullback


class AutoAnnotationStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class AutoAnnotation(models.Model):
    """The worker's proposal for one pullback (SPEC §11): lumen, strut candidates and stent on
    every frame, computed from the images alone, the same for both readers.

    No row yet means ``pending``. ``claim`` fences a run: progress and the result are written
    only by the run holding the current claim, so a stale run (its worker lost, the task
    redelivered) cannot overwrite a newer one. ``annotations`` is a SPEC §4 document (frames
    with ``lumen``/``lumen_ctrl``, ``struts``, ``stent``/``stent_ctrl``), ``confidence`` maps
    ``"<frame>"`` to 0..1.
    """

    pullback = models.OneToOneField(
        Pullback, on_delete=models.CASCADE, related_name="auto_annotation"
    )
    status = models.CharField(
        max_length=10,
        choices=AutoAnnotationStatus.choices,
        default=AutoAnnotationStatus.PENDING,
    )
    progress_pct = models.PositiveSmallIntegerField(default=0)
    algorithm = models.CharField(max_length=60, blank=True)
    algorithm_version = models.CharField(max_length=20, blank=True)
    annotations = models.JSONField(default=dict)
    confidence = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    claim = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"auto-annotation of pullback {self.pullback_id} ({self.status})"


__all__ = ["AutoAnnotation", "AutoAnnotationStatus"]
