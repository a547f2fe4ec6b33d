"""Status choices built from the domain's state enums (one definition of each state)."""

from django.db import models

from adjudication.domain.workflow import AdjudicationState, PullbackState, ReadState

PULLBACK_STATUS_CHOICES = [(s.value, s.value) for s in PullbackState]
READ_STATUS_CHOICES = [(s.value, s.value) for s in ReadState]
ADJUDICATION_STATUS_CHOICES = [(s.value, s.value) for s in AdjudicationState]


class ReadKind(models.TextChoices):
    """A reader's read (slots 1 and 2) or the adjudicator's own (slot 3). Here, not in
    ``reading.py``, so that the visibility querysets use it without an import cycle."""

    READER = "reader"
    ADJUDICATOR = "adjudicator"
