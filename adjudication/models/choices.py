"""Status choices built from the domain's state enums (one definition of each state)."""

from adjudication.domain.workflow import AdjudicationState, PullbackState, ReadState

PULLBACK_STATUS_CHOICES = [(s.value, s.value) for s in PullbackState]
READ_STATUS_CHOICES = [(s.value, s.value) for s in ReadState]
ADJUDICATION_STATUS_CHOICES = [(s.value, s.value) for s in AdjudicationState]
