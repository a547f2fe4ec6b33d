"""Study statistics (SPEC §13): pure Python on plain rows, no Django.

pandas, scipy, statsmodels, scikit-learn and lifelines do every statistical computation;
this package only arranges the data and the results. The numerical libraries load on first
use of a name that needs them (PEP 562), so importing the light parts (options, inputs,
tables) in a web process stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from .inputs import ClinicalTable, InputInvalid, parse_clinical_csv, parse_consensus_csv
from .options import (
    DEFAULT_PREDICTORS,
    OUTCOMES,
    RULE_CHOSEN,
    RULE_P_LT,
    StatisticsOptions,
)

_LAZY = {"compute_statistics": "analysis", "to_json_text": "analysis"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_PREDICTORS",
    "OUTCOMES",
    "RULE_CHOSEN",
    "RULE_P_LT",
    "ClinicalTable",
    "InputInvalid",
    "StatisticsOptions",
    "compute_statistics",
    "parse_clinical_csv",
    "parse_consensus_csv",
    "to_json_text",
]
