"""Inter-reader agreement per metric (SPEC §7), computed on the readers' own values.

Continuous: bias, SD of differences, 95 % limits of agreement (Bland & Altman 1986) and
ICC(2,1) — two-way random effects, absolute agreement, single measures (Shrout & Fleiss 1979;
McGraw & Wong 1996 case 2A) — with its F-based 95 % CI. Categorical: percent agreement and
Cohen's kappa with the large-sample standard error of Fleiss, Cohen & Everitt (1969); ordinal
scores (the Fujino score) also get the linearly weighted kappa (Cohen 1968) with the same
authors' standard error. Every statistic is None below ``MIN_PAIRS`` pairs.
No scipy: the F quantile comes from the regularized incomplete beta function (Lentz continued
fraction, Numerical Recipes §6.4) and bisection. Pairs containing a None are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .metric_defs import READ_METRIC_BY_NAME

# The 95 % limits of agreement and kappa intervals use z = 1.96 exactly, as printed by Bland &
# Altman (1986) and in every core-lab report, so published figures can be reproduced.
Z_95 = 1.96
# Below this many pairs every statistic is undefined (None): two pullbacks give ICCs such as
# −2.7 and one gives kappa 0.00, numbers that look like results and are noise (issue 11).
MIN_PAIRS = 3


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

    ``bias`` = mean(A − B); ``sd_diff`` sample SD of A − B; limits ``bias ± 1.96 SD`` (z = 1.96
    exactly); ICC(2,1)
    with 95 % CI; ``bland_altman`` one ``{mean, diff}`` per pair. None where undefined: n < 1
    below ``MIN_PAIRS`` (3) pairs for every statistic (the plot points are kept).
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
    if n < MIN_PAIRS:
        return out
    x = np.array(clean)
    diff = x[:, 0] - x[:, 1]
    out["bias"] = float(diff.mean())
    sd = float(diff.std(ddof=1))
    out["sd_diff"] = sd
    out["loa_lower"] = out["bias"] - Z_95 * sd
    out["loa_upper"] = out["bias"] + Z_95 * sd
    out["icc"], out["icc_ci_lower"], out["icc_ci_upper"] = icc_2_1(x)
    return out


def weighted_kappa(table: np.ndarray, weights: np.ndarray) -> tuple[float | None, float | None]:
    """Weighted kappa and its large-sample SE from a square count table (rows A, columns B).

    ``weights[i, j]`` is the agreement weight of the cell (1 on the diagonal); the identity
    gives Cohen's kappa. κw = (po − pe) / (1 − pe) with po = Σ w·p, pe = Σ w·p_i.·p_.j (Cohen
    1968); SE by Fleiss, Cohen & Everitt (1969):
    var = [Σ p_ij (w_ij − (w̄_i. + w̄_.j)(1 − κw))² − (κw − pe(1 − κw))²] / (n (1 − pe)²).
    ``(None, None)`` when chance agreement is 1 or the table is empty.
    """
    counts = np.asarray(table, dtype=float)
    w = np.asarray(weights, dtype=float)
    n = counts.sum()
    if n <= 0:
        return None, None
    p = counts / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float((w * p).sum())
    pe = float((w * np.outer(row, col)).sum())
    if pe >= 1.0 - 1e-12:
        return None, None
    kappa = (po - pe) / (1.0 - pe)
    w_row = w @ col  # w̄_i. = Σ_j p_.j w_ij
    w_col = row @ w  # w̄_.j = Σ_i p_i. w_ij
    spread = (w - (w_row[:, None] + w_col[None, :]) * (1.0 - kappa)) ** 2
    var = (float((p * spread).sum()) - (kappa - pe * (1.0 - kappa)) ** 2) / (n * (1.0 - pe) ** 2)
    return kappa, math.sqrt(max(0.0, var))


def cohen_kappa(table: np.ndarray) -> tuple[float | None, float | None]:
    """Cohen's kappa and its large-sample SE from a square count table (rows A, columns B).

    :func:`weighted_kappa` with identity weights (Fleiss, Cohen & Everitt 1969). ``(None,
    None)`` when chance agreement is 1 (both readers used one and the same category only) or
    the table is empty.
    """
    counts = np.asarray(table, dtype=float)
    return weighted_kappa(counts, np.eye(len(counts)))


def linear_weights(levels: int) -> np.ndarray:
    """Linear agreement weights ``1 − |i − j| / (levels − 1)`` for an ordinal scale."""
    if levels < 2:
        return np.ones((max(levels, 1), max(levels, 1)))
    i = np.arange(levels)
    return np.asarray(1.0 - np.abs(i[:, None] - i[None, :]) / (levels - 1))


def _with_ci(kappa: float | None, se: float | None) -> tuple[float | None, ...]:
    if kappa is None or se is None:
        return None, None, None
    return kappa, max(-1.0, kappa - Z_95 * se), min(1.0, kappa + Z_95 * se)


def categorical_agreement(
    pairs: Sequence[tuple[Any, Any]], *, levels: Sequence[int] | None = None
) -> dict[str, Any]:
    """Percent agreement (0–100) and Cohen's kappa with 95 % CI (SPEC §7).

    CI = kappa ± 1.96 SE, clipped to [−1, 1]. With ``levels`` (an ordinal scale such as the
    Fujino score 0–4), also the linearly weighted kappa over that whole scale with its CI
    (``weighted_kappa``, ``weighted_kappa_ci_lower/upper``; ``kappa_weights`` = ``linear``).
    None where undefined: fewer than ``MIN_PAIRS`` pairs, or kappa when every answer is the same
    single category.
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
    if levels is not None:
        out.update(
            weighted_kappa=None,
            weighted_kappa_ci_lower=None,
            weighted_kappa_ci_upper=None,
            kappa_weights="linear",
        )
    if n < MIN_PAIRS:
        return out
    out["percent_agreement"] = 100.0 * sum(1 for a, b in clean if a == b) / n
    categories = sorted({v for pair in clean for v in pair}, key=repr)
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    for a, b in clean:
        table[index[a], index[b]] += 1
    out["kappa"], out["kappa_ci_lower"], out["kappa_ci_upper"] = _with_ci(*cohen_kappa(table))
    if levels is not None:
        scale = {level: i for i, level in enumerate(levels)}
        ordinal = np.zeros((len(levels), len(levels)))
        for a, b in clean:
            if a in scale and b in scale:
                ordinal[scale[a], scale[b]] += 1
        kw = weighted_kappa(ordinal, linear_weights(len(levels)))
        (
            out["weighted_kappa"],
            out["weighted_kappa_ci_lower"],
            out["weighted_kappa_ci_upper"],
        ) = _with_ci(*kw)
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
            result = categorical_agreement(pairs, levels=metric.levels)
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
