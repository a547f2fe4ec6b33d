"""Group comparison (a paper's Table 1): every test is scipy's (SPEC §13).

Continuous: mean ± SD and median [IQR] per group, Welch's t-test and the Mann-Whitney U test;
the ``p`` shown is the t-test's when Shapiro-Wilk does not reject normality (p ≥ 0.05) in
either group, else Mann-Whitney's. Categorical: n (%) per level and group; χ² (Yates-corrected
for 2×2 tables), or Fisher's exact test for a 2×2 table with an expected count below 5.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

SHAPIRO_ALPHA = 0.05
SHAPIRO_MIN_N = 3
FISHER_EXPECTED_BELOW = 5.0


def finite(value: Any) -> float | None:
    """A JSON-safe float: NaN and ±inf become None."""
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def describe(values: pd.Series) -> dict[str, Any]:
    x = values.dropna().astype(float).to_numpy()
    if x.size == 0:
        return {"n": 0, "mean": None, "sd": None, "median": None, "q1": None, "q3": None}
    q1, median, q3 = np.percentile(x, [25, 50, 75])
    return {
        "n": int(x.size),
        "mean": finite(x.mean()),
        "sd": finite(x.std(ddof=1)) if x.size > 1 else None,
        "median": finite(median),
        "q1": finite(q1),
        "q3": finite(q3),
    }


def _normal(x: np.ndarray) -> bool:
    if x.size < SHAPIRO_MIN_N or np.ptp(x) == 0:
        return False
    return bool(stats.shapiro(x).pvalue >= SHAPIRO_ALPHA)


def compare_continuous(yes: pd.Series, no: pd.Series) -> dict[str, Any]:
    """Descriptives per group, Welch t p, Mann-Whitney p and the primary p (module doc)."""
    a = yes.dropna().astype(float).to_numpy()
    b = no.dropna().astype(float).to_numpy()
    row: dict[str, Any] = {
        "yes": describe(yes),
        "no": describe(no),
        "p_t": None,
        "p_mann_whitney": None,
        "test": None,
        "p": None,
    }
    if a.size < 2 or b.size < 2:
        return row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant groups give NaN, kept as null
        row["p_t"] = finite(stats.ttest_ind(a, b, equal_var=False).pvalue)
    row["p_mann_whitney"] = finite(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    use_t = _normal(a) and _normal(b)
    row["test"] = "t" if use_t else "mann_whitney"
    row["p"] = row["p_t"] if use_t else row["p_mann_whitney"]
    return row


def compare_categorical(values: pd.Series, group: pd.Series) -> dict[str, Any]:
    """n (%) per level and group (percent of the group's non-missing) and χ² / Fisher p."""
    frame = pd.DataFrame({"v": values, "g": group}).dropna()
    frame["v"] = frame["v"].map(lambda v: "yes" if v is True else "no" if v is False else str(v))
    levels = sorted(frame["v"].unique(), key=lambda v: (v not in ("yes", "no"), v != "yes", v))
    table = pd.crosstab(frame["v"], frame["g"]).reindex(
        index=levels, columns=[True, False], fill_value=0
    )
    totals = {g: int(table[g].sum()) for g in (True, False)}
    rows = []
    for level in levels:
        entry: dict[str, Any] = {"level": level}
        for g, label in ((True, "yes"), (False, "no")):
            count = int(table.loc[level, g])
            entry[label] = {
                "n": count,
                "pct": finite(100.0 * count / totals[g]) if totals[g] else None,
            }
        rows.append(entry)
    result: dict[str, Any] = {
        "levels": rows,
        "n": {"yes": totals[True], "no": totals[False]},
        "test": None,
        "p": None,
    }
    observed = table.to_numpy()
    if len(levels) < 2 or 0 in totals.values():
        return result
    expected = stats.contingency.expected_freq(observed)
    if observed.shape == (2, 2) and (expected < FISHER_EXPECTED_BELOW).any():
        result["test"] = "fisher"
        result["p"] = finite(stats.fisher_exact(observed).pvalue)
    else:
        result["test"] = "chi2"
        result["p"] = finite(stats.chi2_contingency(observed, correction=True).pvalue)
    return result
