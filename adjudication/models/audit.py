from __future__ import annotations

from enum import StrEnum, unique

from django.conf import settings
from django.db import models

from .json_field import DocumentJSONField
from .querysets import AuditEventQuerySet
from .study import Study


@unique
class AuditAction(StrEnum):
    """Every audit action name, ``<object>.<verb or new state>`` (Zulip's event types): the one
    vocabulary services write, exports and tests read. The values are what ``AuditEvent.action``
    stores, so they never change; a new action is a new member."""

    # studies and members
    STUDY_CREATE = "study.create"
    STUDY_UPDATE = "study.update"
    MEMBERSHIP_CREATE = "membership.create"
    MEMBERSHIP_UPDATE = "membership.update"
    MEMBERSHIP_DELETE = "membership.delete"
    # pullbacks (writes by coordinators) and their states (``transition``)
    PULLBACK_CREATE = "pullback.create"
    PULLBACK_ASSIGN = "pullback.assign"
    PULLBACK_CALIBRATE = "pullback.calibrate"
    PULLBACK_SET_DEVICE = "pullback.set_device"
    PULLBACK_INGESTING = "pullback.ingesting"
    PULLBACK_READY = "pullback.ready"
    PULLBACK_READING = "pullback.reading"
    PULLBACK_FLAGGED = "pullback.flagged"
    PULLBACK_ADJUDICATING = "pullback.adjudicating"
    PULLBACK_CONSENSUS = "pullback.consensus"
    PULLBACK_FAILED = "pullback.failed"
    PULLBACK_ARCHIVE = "pullback.archive"
    # reads
    READ_SAVE_ANNOTATIONS = "read.save_annotations"
    READ_SUBMIT = "read.submit"
    READ_SUBMIT_REFUSED = "read.submit.refused"
    READ_REASSIGN = "read.reassign"
    READ_COMPUTE_METRICS = "read.compute_metrics"
    READ_ASSIGNED = "read.assigned"
    READ_IN_PROGRESS = "read.in_progress"
    READ_SUBMITTED = "read.submitted"
    # adjudication and consensus
    ADJUDICATION_CREATE = "adjudication.create"
    ADJUDICATION_DECIDE = "adjudication.decide"
    ADJUDICATION_RESOLVE = "adjudication.resolve"
    ADJUDICATION_RESOLVE_REFUSED = "adjudication.resolve.refused"
    ADJUDICATION_OPEN = "adjudication.open"
    ADJUDICATION_RESOLVED = "adjudication.resolved"
    CONSENSUS_CREATE = "consensus.create"
    ADJUDICATION_DRAFT_SAVE = "adjudication.draft_save"
    # automatic annotation (one per run status)
    AUTO_ANNOTATION_PENDING = "auto_annotation.pending"
    AUTO_ANNOTATION_RUNNING = "auto_annotation.running"
    AUTO_ANNOTATION_DONE = "auto_annotation.done"
    AUTO_ANNOTATION_FAILED = "auto_annotation.failed"
    # study statistics
    COVARIATES_UPLOAD = "covariates.upload"
    STATISTICS_REQUEST = "statistics.request"
    STATISTICS_COMPUTE = "statistics.compute"


class AuditEvent(models.Model):
    """Who changed what, when, from what to what, and why. Written by services only."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    study = models.ForeignKey(
        Study, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    before = DocumentJSONField(null=True, blank=True)
    after = DocumentJSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
