from __future__ import annotations

from django.db import models

from adjudication.domain.metric_defs import READ_METRICS

from .fields import add_consensus_columns
from .pullback import Pullback


class Consensus(models.Model):
    """The pullback's consensus metrics, each with its source (SPEC §6)."""

    pullback = models.OneToOneField(Pullback, on_delete=models.CASCADE, related_name="consensus")
    computed_at = models.DateTimeField(auto_now=True)
    settings_used = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "consensus"

    def __str__(self) -> str:
        return f"consensus of pullback {self.pullback_id}"

    def values(self) -> dict[str, dict[str, object]]:
        return {
            m.name: {"value": getattr(self, m.name), "source": getattr(self, f"{m.name}_source")}
            for m in READ_METRICS
        }


add_consensus_columns(Consensus, READ_METRICS)
