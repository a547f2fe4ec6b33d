"""The workflow state table (SPEC §2), tested over every pair of states."""

from __future__ import annotations

import itertools

import pytest

from adjudication.domain.errors import InvalidTransition
from adjudication.domain.workflow import (
    ADJUDICATION_ALLOWED,
    PULLBACK_ALLOWED,
    READ_ALLOWED,
    AdjudicationState,
    PullbackState,
    ReadState,
    check_transition,
    is_allowed,
)

P, R = PullbackState, ReadState

# The SPEC's transitions, written out independently of the table under test.
EXPECTED = {
    (P.INGESTING, P.READY),
    (P.INGESTING, P.FAILED),
    (P.READY, P.READING),
    (P.READING, P.FLAGGED),
    (P.READING, P.CONSENSUS),
    (P.READING, P.FAILED),
    (P.FLAGGED, P.ADJUDICATING),
    (P.ADJUDICATING, P.CONSENSUS),
    (P.FAILED, P.READING),
    (R.ASSIGNED, R.IN_PROGRESS),
    (R.IN_PROGRESS, R.SUBMITTED),
    (AdjudicationState.OPEN, AdjudicationState.RESOLVED),
}
TABLES = [
    (PullbackState, PULLBACK_ALLOWED),
    (ReadState, READ_ALLOWED),
    (AdjudicationState, ADJUDICATION_ALLOWED),
]
ALL_PAIRS = [
    (current, target)
    for kind, _ in TABLES
    for current, target in itertools.product(list(kind), repeat=2)
]


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=[f"{c}->{t}" for c, t in ALL_PAIRS])
def test_every_listed_transition_is_allowed_and_every_other_is_refused(
    current: PullbackState, target: PullbackState
) -> None:
    if (current, target) in EXPECTED:
        assert is_allowed(current, target)
        check_transition(current, target)
    else:
        assert not is_allowed(current, target)
        with pytest.raises(InvalidTransition):
            check_transition(current, target)


@pytest.mark.parametrize(("kind", "table"), TABLES)
def test_every_state_has_a_row_in_its_table(kind: type, table: dict) -> None:
    assert set(table) == set(kind)


def test_a_submitted_read_and_a_consensus_are_final() -> None:
    assert READ_ALLOWED[R.SUBMITTED] == frozenset()
    assert PULLBACK_ALLOWED[P.CONSENSUS] == frozenset()


def test_states_of_different_kinds_never_transition() -> None:
    # "submitted" is not a pullback state even if a string compare would say otherwise.
    assert not is_allowed(P.READING, R.SUBMITTED)
    with pytest.raises(InvalidTransition):
        check_transition(R.ASSIGNED, P.READY)
