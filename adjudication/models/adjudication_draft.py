from __future__ import annotations

from django.conf import settings
from django.db import models

from .adjudication import Adjudication


class AdjudicationDraft(models.Model):
    """The adjudicator's own annotation while the adjudication is open (issue 14): saved on
    the server, versioned like a read (a stale version answers 409), audited, visible only
    through the adjudication (readers of the pullback never see it). Signing stores the
    document as the immutable adjudicator read; the draft stays for the audit trail."""

    adjudication = models.ForeignKey(Adjudication, on_delete=models.CASCADE, related_name="drafts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # "reader1", "reader2" or "empty": what the adjudicator started from; "" once discarded.
    origin = models.CharField(max_length=8, blank=True, default="")
    annotations = models.JSONField(null=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["adjudication", "author"], name="adjudication_draft_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"draft of adjudication {self.adjudication_id} v{self.version}"
