"""Kaplan-Meier event-free survival by outcome group with the log-rank test (lifelines).

The unit is the subject (an event such as MACE happens to a patient): a subject is in the
"yes" group when any of its analysed lesions has the outcome. Subjects without both the
event flag and its days are left out and counted in ``n_excluded``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

from .comparison import finite


class SurvivalFailed(Exception):
    """No survival comparison for this event; the message says why."""


def _curve(kmf: KaplanMeierFitter) -> dict[str, list[float]]:
    sf = kmf.survival_function_
    return {
        "time_days": [float(t) for t in sf.index],
        "survival": [float(s) for s in sf.iloc[:, 0]],
    }


def km_by_group(subjects: pd.DataFrame, *, event: str) -> dict[str, Any]:
    """``subjects`` has columns ``group`` (bool), ``<event>`` (bool), ``<event>_days``."""
    days = f"{event}_days"
    data = subjects[["group", event, days]].dropna()
    n_excluded = len(subjects) - len(data)
    groups = {label: data[data["group"] == flag] for label, flag in (("yes", True), ("no", False))}
    if any(len(g) == 0 for g in groups.values()):
        raise SurvivalFailed("one outcome group has no subject with follow-up")
    result: dict[str, Any] = {
        "logrank_p": None,
        "events_by_group": {k: int(g[event].astype(bool).sum()) for k, g in groups.items()},
        "n_by_group": {k: len(g) for k, g in groups.items()},
        "n_excluded": n_excluded,
        "median_days": {},
        "curves": {},
    }
    for label, g in groups.items():
        kmf = KaplanMeierFitter(label=label)
        kmf.fit(g[days].astype(float), event_observed=g[event].astype(bool))
        result["curves"][label] = _curve(kmf)
        result["median_days"][label] = finite(kmf.median_survival_time_)
    test = logrank_test(
        groups["yes"][days].astype(float),
        groups["no"][days].astype(float),
        event_observed_A=groups["yes"][event].astype(bool),
        event_observed_B=groups["no"][event].astype(bool),
    )
    result["logrank_p"] = finite(test.p_value)
    return result
