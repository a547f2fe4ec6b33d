"""Comparing two readers' metrics against the study's tolerances (SPEC §6).

Only metrics marked ``compared`` in the catalogue are compared. Continuous: flagged when
``|A − B| > max(abs_tol, rel_tol × mean(A, B))``. Frame metrics (stent edges): the frame
difference is converted to mm along the pullback and compared with ``abs_tol`` in mm.
``mla_frame`` and ``msa_frame`` (where each reader found the minimum) are compared in mm with
``frame_position_tol_mm``. Categorical (boolean, ordinal): flagged when A ≠ B. Exactly one reader None: flagged; both None:
agreement on "cannot be measured", not flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .metric_defs import READ_METRICS, Kind, MetricDef
from .settings import DEFAULT_TOLERANCES, StudySettings, Tolerance

# Frame positions of a minimum: compared with ``frame_position_tol_mm`` (SPEC §6), never averaged.
FRAME_POSITION_METRICS = {"mla_frame": "mla_mm2", "msa_frame": "msa_mm2"}

# A difference equal to the tolerance is not flagged ("> tol"); this relative slack keeps float
# noise (0.7000000000000001 > 0.7) from flagging it anyway.
_REL_SLACK = 1e-9


@dataclass(frozen=True)
class Flag:
    """A metric on which the two readers disagree beyond tolerance (SPEC §6).

    ``difference`` is ``|A − B|`` in the metric's unit (in mm for frame metrics) and
    ``tolerance`` the applied threshold in the same unit; both None for categorical metrics and
    when exactly one reader is None.
    """

    metric: str
    group: str
    a: Any
    b: Any
    difference: float | None
    tolerance: float | None

    def to_dict(self) -> dict[str, Any]:
        """The SPEC §9 flag object ``{metric, group, a, b, difference, tolerance}``."""
        return asdict(self)


def _tolerance(settings: StudySettings, name: str) -> Tolerance:
    return settings.tolerances.get(name) or DEFAULT_TOLERANCES.get(name) or Tolerance(0.0)


def _exceeds(difference: float, tolerance: float) -> bool:
    return difference > tolerance + _REL_SLACK * max(1.0, abs(tolerance))


def compare_metric(
    metric: MetricDef, a: Any, b: Any, *, settings: StudySettings, frame_spacing_mm: float
) -> Flag | None:
    """The flag for one metric, or None when the readers agree within tolerance (SPEC §6)."""
    group = str(metric.group)
    if a is None and b is None:
        return None
    if a is None or b is None:
        return Flag(metric.name, group, a, b, None, None)
    if metric.is_categorical:
        return None if a == b else Flag(metric.name, group, a, b, None, None)
    if metric.name in FRAME_POSITION_METRICS:
        # Where the minimum was found: compared in mm with the study's frame_position_tol_mm.
        difference = abs(float(a) - float(b)) * frame_spacing_mm
        threshold = settings.frame_position_tol_mm
        if _exceeds(difference, threshold):
            return Flag(metric.name, group, a, b, difference, threshold)
        return None
    tol = _tolerance(settings, metric.name)
    if metric.kind == Kind.FRAME:
        difference = abs(float(a) - float(b)) * frame_spacing_mm
        threshold = tol.abs_tol
    else:
        difference = abs(float(a) - float(b))
        threshold = max(tol.abs_tol, tol.rel_tol * abs(float(a) + float(b)) / 2.0)
    if _exceeds(difference, threshold):
        return Flag(metric.name, group, a, b, difference, threshold)
    return None


def compare_reads(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    settings: StudySettings,
    frame_spacing_mm: float,
) -> list[Flag]:
    """Flags for every compared metric on which readers A and B disagree, in catalogue order.

    ``a`` and ``b`` map ``READ_METRICS`` names to values (a missing name counts as None);
    ``frame_spacing_mm`` converts frame differences to mm (SPEC §6).
    """
    flags = []
    for metric in READ_METRICS:
        if not metric.compared:
            continue
        flag = compare_metric(
            metric,
            a.get(metric.name),
            b.get(metric.name),
            settings=settings,
            frame_spacing_mm=frame_spacing_mm,
        )
        if flag is not None:
            flags.append(flag)
    return flags
