"""Inter-reader agreement per metric (SPEC §7), computed on the readers' own values.

Continuous: bias, SD of differences, 95 % limits of agreement (Bland & Altman 1986) and
ICC(2,1) — two-way random effects, absolute agreement, single measures (Shrout & Fleiss 1979;
McGraw & Wong 1996 case 2A) — with its F-based 95 % CI. Categorical: percent agreement and
Cohen's kappa with the large-sample standard error of Fleiss, Cohen & Everitt (1969).
No scipy: the F quantile comes from the regularized incomplete beta function (Lentz continued
fraction, Numerical Recipes §6.4) and bisection. Pairs containing a None are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .metric_defs import READ_METRIC_BY_NAME

Z_975 = 1.959963984540054  # standard normal 97.5 % quantile


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and x in [0, 1] (the beta distribution's CDF)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def f_cdf(x: float, df1: float, df2: float) -> float:
    """P(F ≤ x) for the F distribution with (possibly non-integer) ``df1``, ``df2`` > 0."""
    if x <= 0.0:
        return 0.0
    return regularized_incomplete_beta(df1 / 2.0, df2 / 2.0, df1 * x / (df1 * x + df2))


def f_quantile(p: float, df1: float, df2: float) -> float:
    """The ``p`` quantile of the F distribution (0 < p < 1), by bisection on :func:`f_cdf`."""
    if not 0.0 < p < 1.0 or df1 <= 0 or df2 <= 0:
        raise ValueError("need 0 < p < 1 and positive degrees of freedom")
    lo, hi = 0.0, 1.0
    while f_cdf(hi, df1, df2) < p:
        lo, hi = hi, hi * 2.0
        if hi > 1e12:
            return math.inf
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if f_cdf(mid, df1, df2) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def two_way_anova(ratings: np.ndarray) -> dict[str, float]:
    """Mean squares of a targets × judges table without replication.

    ``ms_rows`` (between targets), ``ms_cols`` (between judges), ``ms_error`` (residual).
    """
    x = np.asarray(ratings, dtype=float)
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * float(((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((x.mean(axis=0) - grand) ** 2).sum())
    ss_total = float(((x - grand) ** 2).sum())
    ss_error = max(0.0, ss_total - ss_rows - ss_cols)
    return {
        "ms_rows": ss_rows / (n - 1),
        "ms_cols": ss_cols / (k - 1),
        "ms_error": ss_error / ((n - 1) * (k - 1)),
    }


def icc_2_1(
    ratings: np.ndarray, alpha: float = 0.05
) -> tuple[float | None, float | None, float | None]:
    """ICC(2,1) with its 1 − ``alpha`` confidence interval, for an n targets × k judges table.

    ICC = (MSR − MSE) / (MSR + (k−1)·MSE + k·(MSC − MSE)/n); the CI uses Satterthwaite's
    approximate degrees of freedom (Shrout & Fleiss 1979, eq. for case 2). Returns
    ``(icc, lower, upper)``; None for the ICC when n < 2 or all ratings are equal, None for
    the CI when its degrees of freedom are undefined (e.g. perfect agreement).
    """
    x = np.asarray(ratings, dtype=float)
    n, k = x.shape
    if n < 2 or k < 2:
        return None, None, None
    ms = two_way_anova(x)
    msr, msc, mse = ms["ms_rows"], ms["ms_cols"], ms["ms_error"]
    denom = msr + (k - 1) * mse + k * (msc - mse) / n
    if denom <= 0:
        return None, None, None
    icc = (msr - mse) / denom
    if icc >= 1.0 or mse <= 0:
        return icc, None, None
    aa = k * icc / (n * (1.0 - icc))
    bb = 1.0 + k * icc * (n - 1) / (n * (1.0 - icc))
    v_den = (aa * msc) ** 2 / (k - 1) + (bb * mse) ** 2 / ((n - 1) * (k - 1))
    if v_den <= 0:
        return icc, None, None
    v = (aa * msc + bb * mse) ** 2 / v_den
    f_upper = f_quantile(1.0 - alpha / 2.0, n - 1, v)
    f_lower = f_quantile(1.0 - alpha / 2.0, v, n - 1)
    c = k * msc + (k * n - k - n) * mse
    lower = n * (msr - f_upper * mse) / (f_upper * c + n * msr)
    upper = n * (f_lower * msr - mse) / (c + n * f_lower * msr)
    return icc, lower, upper


def _clean(pairs: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    return [(a, b) for a, b in pairs if a is not None and b is not None]


def continuous_agreement(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Bland-Altman and ICC(2,1) of reader A vs reader B (SPEC §7), in the metric's unit.

    ``bias`` = mean(A − B); ``sd_diff`` sample SD of A − B; limits ``bias ± 1.96 SD``; ICC(2,1)
    with 95 % CI; ``bland_altman`` one ``{mean, diff}`` per pair. None where undefined: n < 1
    for the bias, n < 2 for the SD, limits and ICC.
    """
    clean = [(float(a), float(b)) for a, b in _clean(pairs)]
    n = len(clean)
    out: dict[str, Any] = {
        "n": n,
        "bias": None,
        "sd_diff": None,
        "loa_lower": None,
        "loa_upper": None,
        "icc": None,
        "icc_ci_lower": None,
        "icc_ci_upper": None,
        "bland_altman": [{"mean": (a + b) / 2.0, "diff": a - b} for a, b in clean],
    }
    if n == 0:
        return out
    x = np.array(clean)
    diff = x[:, 0] - x[:, 1]
    out["bias"] = float(diff.mean())
    if n < 2:
        return out
    sd = float(diff.std(ddof=1))
    out["sd_diff"] = sd
    out["loa_lower"] = out["bias"] - Z_975 * sd
    out["loa_upper"] = out["bias"] + Z_975 * sd
    out["icc"], out["icc_ci_lower"], out["icc_ci_upper"] = icc_2_1(x)
    return out


def cohen_kappa(table: np.ndarray) -> tuple[float | None, float | None]:
    """Cohen's kappa and its large-sample SE from a square count table (rows A, columns B).

    SE by Fleiss, Cohen & Everitt (1969). ``(None, None)`` when chance agreement is 1 (both
    readers used one and the same category only) or the table is empty.
    """
    counts = np.asarray(table, dtype=float)
    n = counts.sum()
    if n <= 0:
        return None, None
    p = counts / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float(np.trace(p))
    pe = float((row * col).sum())
    if pe >= 1.0:
        return None, None
    kappa = (po - pe) / (1.0 - pe)
    diag = np.diag(p)
    term1 = float((diag * (1.0 - (row + col) * (1.0 - kappa)) ** 2).sum())
    weights = (col[:, None] + row[None, :]) ** 2  # (p_.i + p_j.)² for cell (i, j)
    off = p.copy()
    np.fill_diagonal(off, 0.0)
    term2 = (1.0 - kappa) ** 2 * float((off * weights).sum())
    term3 = (kappa - pe * (1.0 - kappa)) ** 2
    var = max(0.0, term1 + term2 - term3) / (n * (1.0 - pe) ** 2)
    return kappa, math.sqrt(var)


def categorical_agreement(pairs: Sequence[tuple[Any, Any]]) -> dict[str, Any]:
    """Percent agreement (0–100) and Cohen's kappa with 95 % CI (SPEC §7).

    CI = kappa ± 1.96 SE, clipped to [−1, 1]. None where undefined: no pairs, or kappa when
    every answer is the same single category.
    """
    clean = _clean(pairs)
    n = len(clean)
    out: dict[str, Any] = {
        "n": n,
        "percent_agreement": None,
        "kappa": None,
        "kappa_ci_lower": None,
        "kappa_ci_upper": None,
    }
    if n == 0:
        return out
    out["percent_agreement"] = 100.0 * sum(1 for a, b in clean if a == b) / n
    categories = sorted({v for pair in clean for v in pair}, key=repr)
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    for a, b in clean:
        table[index[a], index[b]] += 1
    kappa, se = cohen_kappa(table)
    if kappa is None or se is None:
        return out
    out["kappa"] = kappa
    out["kappa_ci_lower"] = max(-1.0, kappa - Z_975 * se)
    out["kappa_ci_upper"] = min(1.0, kappa + Z_975 * se)
    return out


def study_agreement(
    pairs_by_metric: Mapping[str, Sequence[tuple[Any, Any]]],
    flag_counts: Mapping[str, int] | None = None,
) -> dict[str, dict[str, Any]]:
    """SPEC §7 for every metric given: categorical or continuous by the catalogue's kind.

    Boolean and ordinal metrics get :func:`categorical_agreement`, every other kind
    :func:`continuous_agreement`; each result carries ``kind``. With ``flag_counts``, adds
    ``flag_rate`` = flags ÷ pullbacks compared (all pairs, with or without None); None for
    metrics that are not compared or when no pullback was compared.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, pairs in pairs_by_metric.items():
        metric = READ_METRIC_BY_NAME.get(name)
        if metric is not None and metric.is_categorical:
            result = categorical_agreement(pairs)
        else:
            result = continuous_agreement(pairs)
        result["kind"] = str(metric.kind) if metric is not None else "continuous"
        if flag_counts is not None:
            compared = metric is None or metric.compared
            result["flag_rate"] = (
                flag_counts.get(name, 0) / len(pairs) if compared and len(pairs) else None
            )
        out[name] = result
    return out
