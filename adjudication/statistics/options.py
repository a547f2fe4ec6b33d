"""Analysis options and the names they use (SPEC §13). Light: no numerical library import,
so web requests that only validate options or lay out tables stay cheap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

ROC_RESAMPLES = 2000

OUTCOMES = ("sm_significant", "underexpansion", "sm_present")
CALCIUM_PREDICTORS = (
    "calcium_max_arc_deg",
    "calcium_max_thickness_mm",
    "calcium_length_mm",
    "calcium_arc_gt_270",
    "calcium_thickness_gt_1mm",
    "calcium_length_gt_15mm",
    "fujino_calcium_score",
)
# The metrics each outcome is defined from or summarises (SPEC §5): never candidate
# predictors, never in its group comparison (they differ between the groups by construction).
DEFINING_METRICS: dict[str, frozenset[str]] = {
    "sm_significant": frozenset(
        {
            "max_malapposition_um",
            "malapposition_length_mm",
            "malapposed_strut_count",
            "malapposed_strut_pct",
            "sm_present",
        }
    ),
    "sm_present": frozenset(
        {
            "max_malapposition_um",
            "malapposition_length_mm",
            "malapposed_strut_count",
            "malapposed_strut_pct",
            "sm_significant",
        }
    ),
    "underexpansion": frozenset({"msa_mm2"}),
}
DEFAULT_PREDICTORS = ("calcium_arc_gt_270", "calcium_thickness_gt_1mm", "diabetes")
RULE_CHOSEN = "chosen"
RULE_P_LT = "univariable_p_lt"
RULES = (RULE_CHOSEN, RULE_P_LT)


@dataclass(frozen=True)
class StatisticsOptions:
    """The analysis settings; all of them are written into the output."""

    predictor_rule: str = RULE_CHOSEN
    predictors: tuple[str, ...] = DEFAULT_PREDICTORS
    entry_p: float = 0.1
    timepoint: str = "post"
    roc_seed: int = 17
    roc_bootstrap_resamples: int = ROC_RESAMPLES
    outcomes: tuple[str, ...] = field(default=OUTCOMES)

    def __post_init__(self) -> None:
        if self.predictor_rule not in RULES:
            raise ValueError(f"predictor_rule must be one of {', '.join(RULES)}")
        if not 0 < self.entry_p < 1:
            raise ValueError("entry_p must be between 0 and 1")
        unknown = set(self.outcomes) - set(OUTCOMES)
        if unknown:
            raise ValueError(f"unknown outcomes: {', '.join(sorted(unknown))}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> StatisticsOptions:
        data = dict(data or {})
        for key in ("predictors", "outcomes"):
            if key in data:
                data[key] = tuple(data[key])
        allowed = set(cls.__dataclass_fields__)
        extra = set(data) - allowed
        if extra:
            raise ValueError(f"unknown options: {', '.join(sorted(extra))}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["predictors"] = list(self.predictors)
        data["outcomes"] = list(self.outcomes)
        return data


OUTCOME_LABELS = {
    "sm_significant": "significant stent malapposition",
    "underexpansion": "stent underexpansion",
    "sm_present": "any stent malapposition",
}
