"""Study statistics (SPEC §13): pure Python on plain rows, no Django.

pandas, scipy, statsmodels, scikit-learn and lifelines do every statistical computation;
this package only arranges the data and the results.
"""

from .analysis import (
    DEFAULT_PREDICTORS,
    OUTCOMES,
    RULE_CHOSEN,
    RULE_P_LT,
    StatisticsOptions,
    compute_statistics,
    to_json_text,
)
from .inputs import ClinicalTable, InputInvalid, parse_clinical_csv, parse_consensus_csv

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
