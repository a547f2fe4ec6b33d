"""Workflow states and the only transitions allowed between them (SPEC §2).

Pullback: ``ingesting → ready → reading → (flagged → adjudicating →) consensus``, or ``failed``
with a readable reason. Read: ``assigned → in_progress → submitted``; a submitted read is
immutable. Everything not listed in ``PULLBACK_ALLOWED`` / ``READ_ALLOWED`` is refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from .errors import InvalidTransition


class PullbackState(StrEnum):
    INGESTING = "ingesting"
    READY = "ready"
    READING = "reading"
    FLAGGED = "flagged"
    ADJUDICATING = "adjudicating"
    CONSENSUS = "consensus"
    FAILED = "failed"


class ReadState(StrEnum):
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class AdjudicationState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


P = PullbackState
R = ReadState
A = AdjudicationState

PULLBACK_ALLOWED: dict[PullbackState, frozenset[PullbackState]] = {
    # ingest finishes or fails with a reason
    P.INGESTING: frozenset({P.READY, P.FAILED}),
    # readers are assigned
    P.READY: frozenset({P.READING}),
    # both reads compared: agreement → consensus, disagreement → flagged; an unreadable pair fails
    P.READING: frozenset({P.FLAGGED, P.CONSENSUS, P.FAILED}),
    # the adjudicator signs the resolution
    P.FLAGGED: frozenset({P.ADJUDICATING}),
    # the worker writes the adjudicated consensus
    P.ADJUDICATING: frozenset({P.CONSENSUS}),
    # final
    P.CONSENSUS: frozenset(),
    # a coordinator may retry a failed comparison after fixing its cause (e.g. calibration)
    P.FAILED: frozenset({P.READING}),
}

READ_ALLOWED: dict[ReadState, frozenset[ReadState]] = {
    R.ASSIGNED: frozenset({R.IN_PROGRESS}),
    R.IN_PROGRESS: frozenset({R.SUBMITTED}),
    R.SUBMITTED: frozenset(),
}

ADJUDICATION_ALLOWED: dict[AdjudicationState, frozenset[AdjudicationState]] = {
    A.OPEN: frozenset({A.RESOLVED}),
    A.RESOLVED: frozenset(),
}

_TABLES: dict[type, dict[Any, Any]] = {
    PullbackState: PULLBACK_ALLOWED,
    ReadState: READ_ALLOWED,
    AdjudicationState: ADJUDICATION_ALLOWED,
}


def is_allowed(current: StrEnum, target: StrEnum) -> bool:
    """True when the state table lists ``current → target`` (same state kind only)."""
    if type(current) is not type(target):
        return False
    table = _TABLES[type(current)]
    return target in table[current]


def check_transition(current: StrEnum, target: StrEnum) -> None:
    """Raise ``InvalidTransition`` unless ``current → target`` is listed."""
    if not is_allowed(current, target):
        kind = type(current).__name__.removesuffix("State").lower()
        raise InvalidTransition(f"{kind} cannot go from '{current}' to '{target}'")
