"""Consensus of a pullback from two reads and the adjudicator's decisions (SPEC §6).

An unflagged group takes the mean of its continuous metrics and the readers' agreed categorical
values; frame positions are never averaged (a mean frame is a place neither reader measured):
``mla_frame``/``msa_frame`` are the frame where the smaller of the two minima was measured
(Reader 1's on a tie), and the stent edges come from the same reader as ``msa_frame``; a flagged group takes every value of the source
the adjudicator chose for it (``reader_a``, ``reader_b`` or ``adjudicator``). Each value
records its source. The readers' own values are never changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .comparison import FRAME_POSITION_METRICS, Flag
from .errors import Refused
from .metric_defs import READ_METRICS, Kind


class ConsensusSource(StrEnum):
    """Where a consensus value came from (stored in ``Consensus.sources`` and exports)."""

    MEAN = "mean"  # an unflagged continuous value: the readers' mean
    AGREED = "agreed"  # an unflagged categorical value both readers gave
    READER_A = "reader_a"
    READER_B = "reader_b"
    ADJUDICATOR = "adjudicator"


# The sources an adjudicator may choose for a flagged group (the one list: services, pages).
SOURCES: tuple[ConsensusSource, ...] = (
    ConsensusSource.READER_A,
    ConsensusSource.READER_B,
    ConsensusSource.ADJUDICATOR,
)


@dataclass(frozen=True)
class ConsensusValue:
    """One consensus value and where it came from: ``mean``, ``agreed``, ``reader_a``,
    ``reader_b`` or ``adjudicator``."""

    value: float | int | bool | None
    source: str


def flagged_groups(flags: Iterable[Flag]) -> set[str]:
    """The adjudication groups (SPEC §6) that hold at least one flag."""
    return {str(f.group) for f in flags}


def _mean(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    return (float(a) + float(b)) / 2.0


def _unflagged_value(name: str, kind: Kind, group: str, a: Any, b: Any) -> ConsensusValue:
    if kind in (Kind.BOOLEAN, Kind.ORDINAL):
        if a != b:
            raise Refused(
                f"Group '{group}' is not flagged but the readers disagree on {name}.",
                code="consensus_inconsistent",
            )
        return ConsensusValue(a, ConsensusSource.AGREED)
    return ConsensusValue(_mean(a, b), ConsensusSource.MEAN)


# Stent edges follow the reader whose minimum stent area the consensus keeps.
_EDGE_FOLLOWS = {"stent_distal_frame": "msa_frame", "stent_proximal_frame": "msa_frame"}


def frame_source(a: Mapping[str, Any], b: Mapping[str, Any], frame_metric: str) -> ConsensusSource:
    """``reader_a`` or ``reader_b``: whose frame a consensus frame position takes (SPEC §6).

    The reader who measured the smaller minimum (``mla_mm2`` for ``mla_frame``, ``msa_mm2`` for
    ``msa_frame``); Reader 1 on a tie, and when either minimum is missing (then the frame
    metric has no value to prefer). Stent edges follow ``msa_frame``'s reader.
    """
    frame_metric = _EDGE_FOLLOWS.get(frame_metric, frame_metric)
    value_metric = FRAME_POSITION_METRICS[frame_metric]
    va, vb = a.get(value_metric), b.get(value_metric)
    if va is not None and vb is not None and float(vb) < float(va):
        return ConsensusSource.READER_B
    if va is None and vb is not None:
        return ConsensusSource.READER_B
    return ConsensusSource.READER_A


def build_consensus(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    flags: Sequence[Flag],
    decisions: Mapping[str, str] | None = None,
    adjudicator: Mapping[str, Any] | None = None,
) -> dict[str, ConsensusValue]:
    """Consensus value and source for every ``READ_METRICS`` name (SPEC §6).

    Unflagged group: continuous and count metrics → mean of A and B (None when either reader is
    None: one reader alone is not a consensus; this only happens for metrics that are not
    compared), frame metrics → that of :func:`frame_source`'s reader (never a mean);
    categorical →
    the agreed value, source ``agreed``. Flagged group: ``decisions[group]`` picks the source
    whose values the whole group takes. Raises ``Refused`` naming the group when a flagged group
    has no (or an unknown) decision, or ``adjudicator`` is chosen without adjudicator values.
    """
    decisions = decisions or {}
    flagged = flagged_groups(flags)
    sources: dict[str, Mapping[str, Any] | None] = {
        "reader_a": a,
        "reader_b": b,
        "adjudicator": adjudicator,
    }
    for group in sorted(flagged):
        source = decisions.get(group)
        if source is None:
            raise Refused(f"Group '{group}' is flagged and needs a decision.", code="undecided")
        if source not in SOURCES:
            raise Refused(
                f"Group '{group}': unknown source '{source}' (use {', '.join(SOURCES)}).",
                code="unknown_source",
            )
        if sources[source] is None:
            raise Refused(
                f"Group '{group}': the adjudicator's own annotation is needed for that source.",
                code="adjudicator_values_missing",
            )
    result: dict[str, ConsensusValue] = {}
    for metric in READ_METRICS:
        group = str(metric.group)
        if group in flagged:
            source = decisions[group]
            chosen = sources[source] or {}
            result[metric.name] = ConsensusValue(chosen.get(metric.name), source)
        elif metric.kind == Kind.FRAME:
            source = frame_source(a, b, metric.name)
            chosen = a if source == ConsensusSource.READER_A else b
            result[metric.name] = ConsensusValue(chosen.get(metric.name), source)
        else:
            result[metric.name] = _unflagged_value(
                metric.name, metric.kind, group, a.get(metric.name), b.get(metric.name)
            )
    return result
