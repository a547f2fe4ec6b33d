"""Agreement statistics (SPEC §7) against published examples and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adjudication.domain.agreement import (
    categorical_agreement,
    cohen_kappa,
    continuous_agreement,
    f_cdf,
    f_quantile,
    icc_2_1,
    study_agreement,
    two_way_anova,
)

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
)


@pytest.mark.parametrize(
    ("p", "df1", "df2", "table_value"),
    [
        (0.95, 1, 10, 4.96),
        (0.95, 10, 20, 2.35),
        (0.95, 5, 15, 2.90),
        (0.975, 5, 15, 3.58),
        (0.975, 2, 2, 39.00),
        (0.99, 3, 30, 4.51),
        (0.99, 1, 1, 4052.0),
    ],
)
def test_f_quantile_matches_printed_f_tables(
    p: float, df1: float, df2: float, table_value: float
) -> None:
    assert f_quantile(p, df1, df2) == pytest.approx(table_value, rel=2e-3)


def test_f_quantile_with_one_numerator_df_is_the_squared_t_quantile() -> None:
    # t(0.975, 10) = 2.228139 (t table) and F(1, ν) = t(ν)², so F(0.95; 1, 10) = t(0.975; 10)².
    assert f_quantile(0.95, 1, 10) == pytest.approx(2.228139**2, rel=1e-5)


def test_f_cdf_agrees_with_a_numerical_integration_of_the_f_density() -> None:
    df1, df2, x = 3.5, 11.2, 2.0  # non-integer df, as the ICC interval needs
    log_c = (
        math.lgamma((df1 + df2) / 2)
        - math.lgamma(df1 / 2)
        - math.lgamma(df2 / 2)
        + (df1 / 2) * math.log(df1 / df2)
    )
    t = np.linspace(1e-9, x, 200_001)
    density = np.exp(
        log_c + (df1 / 2 - 1) * np.log(t) - ((df1 + df2) / 2) * np.log1p(df1 * t / df2)
    )
    integral = float(np.sum((density[1:] + density[:-1]) / 2 * np.diff(t)))
    assert f_cdf(x, df1, df2) == pytest.approx(integral, abs=1e-4)


def test_icc_reproduces_shrout_and_fleiss_table_2() -> None:
    ms = two_way_anova(SHROUT_FLEISS)
    # The paper's Table 3 mean squares: BMS 11.24, JMS 32.49, EMS 1.02.
    assert ms["ms_rows"] == pytest.approx(11.24, abs=0.005)
    assert ms["ms_cols"] == pytest.approx(32.49, abs=0.005)
    assert ms["ms_error"] == pytest.approx(1.02, abs=0.005)
    icc, lower, upper = icc_2_1(SHROUT_FLEISS)
    assert icc == pytest.approx(0.29, abs=0.005)
    # The same interval as R psych::ICC for these data (0.019, 0.76).
    assert lower == pytest.approx(0.019, abs=0.001)
    assert upper == pytest.approx(0.76, abs=0.005)


def _icc_from_variance_components(x: np.ndarray) -> float:
    """ICC(2,1) a second way: variance components from the expected mean squares."""
    n, k = x.shape
    row_means, col_means, grand = x.mean(axis=1), x.mean(axis=0), x.mean()
    residual = x - row_means[:, None] - col_means[None, :] + grand
    mse = float((residual**2).sum()) / ((n - 1) * (k - 1))
    msr = float(np.var(row_means, ddof=1)) * k
    msc = float(np.var(col_means, ddof=1)) * n
    var_targets = (msr - mse) / k
    var_judges = (msc - mse) / n
    return var_targets / (var_targets + var_judges + mse)


def test_continuous_agreement_matches_an_independent_computation() -> None:
    rng = np.random.default_rng(7)
    truth = rng.uniform(3, 9, 40)
    pairs = [(float(t + rng.normal(0.2, 0.4)), float(t + rng.normal(0, 0.4))) for t in truth]
    result = continuous_agreement([*pairs, (None, 4.0), (5.0, None)])
    diffs = [a - b for a, b in pairs]
    mean = sum(diffs) / len(diffs)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))
    assert result["n"] == 40  # pairs with a None are dropped
    assert result["bias"] == pytest.approx(mean)
    assert result["sd_diff"] == pytest.approx(sd)
    assert result["loa_lower"] == pytest.approx(mean - 1.96 * sd, rel=1e-12)  # z = 1.96 exactly
    assert result["loa_upper"] == pytest.approx(mean + 1.96 * sd, rel=1e-12)
    assert result["icc"] == pytest.approx(_icc_from_variance_components(np.array(pairs)))
    assert result["icc_ci_lower"] < result["icc"] < result["icc_ci_upper"]
    assert result["bland_altman"][0] == {
        "mean": pytest.approx(sum(pairs[0]) / 2),
        "diff": pytest.approx(pairs[0][0] - pairs[0][1]),
    }


def test_continuous_agreement_is_none_where_too_few_pairs() -> None:
    one = continuous_agreement([(1.0, 2.0), (None, None)])
    assert one["n"] == 1 and one["bias"] is None
    assert one["sd_diff"] is None and one["icc"] is None and one["loa_lower"] is None
    # Two pullbacks: an ICC of these pairs would be about -2.7 (issue 11): undefined instead.
    two = continuous_agreement([(5.0, 4.0), (5.2, 6.0)])
    assert two["n"] == 2
    assert all(two[k] is None for k in ("bias", "sd_diff", "loa_lower", "icc", "icc_ci_lower"))
    assert len(two["bland_altman"]) == 2  # the plot still shows the points
    none = continuous_agreement([])
    assert none["n"] == 0 and none["bias"] is None and none["bland_altman"] == []


def test_kappa_matches_the_textbook_example() -> None:
    # 50 applications, two readers: yes/yes 20, yes/no 5, no/yes 10, no/no 15 →
    # p_o = 0.70, p_e = 0.50, kappa = 0.40 (Wikipedia "Cohen's kappa", worked example).
    pairs = [(True, True)] * 20 + [(True, False)] * 5 + [(False, True)] * 10
    pairs += [(False, False)] * 15
    result = categorical_agreement(pairs)
    assert result["n"] == 50
    assert result["percent_agreement"] == pytest.approx(70.0)
    assert result["kappa"] == pytest.approx(0.40)
    assert result["kappa_ci_lower"] < 0.40 < result["kappa_ci_upper"]


def test_kappa_standard_error_matches_fleiss_cohen_everitt_written_out() -> None:
    # Fleiss (1981) Table 13.1 proportions (psychiatric diagnoses, 100 subjects): kappa 0.676.
    table = np.array([[75, 1, 4], [5, 4, 1], [0, 0, 10]])
    kappa, se = cohen_kappa(table)
    assert kappa == pytest.approx(0.676, abs=0.001)
    p = table / table.sum()
    row, col = p.sum(axis=1), p.sum(axis=0)
    pe = sum(row[i] * col[i] for i in range(3))
    total = 0.0
    for i in range(3):
        for j in range(3):
            if i == j:
                total += p[i, i] * (1 - (row[i] + col[i]) * (1 - kappa)) ** 2
            else:
                total += (1 - kappa) ** 2 * p[i, j] * (col[i] + row[j]) ** 2
    total -= (kappa - pe * (1 - kappa)) ** 2
    assert se == pytest.approx(math.sqrt(total / (table.sum() * (1 - pe) ** 2)))


def test_kappa_is_none_when_both_readers_only_ever_say_the_same_thing() -> None:
    result = categorical_agreement([(True, True)] * 5)
    assert result["percent_agreement"] == 100.0
    assert result["kappa"] is None


def test_categorical_statistics_are_none_below_three_pairs() -> None:
    # One pullback used to give kappa 0.00: no statistic is defined on one or two pairs.
    for pairs in ([(True, False)], [(True, False), (False, False)]):
        result = categorical_agreement(pairs, levels=(0, 1))
        assert result["n"] == len(pairs)
        assert result["percent_agreement"] is None
        assert result["kappa"] is None and result["weighted_kappa"] is None


def test_study_agreement_chooses_the_statistic_by_metric_kind_and_adds_flag_rates() -> None:
    pairs = {
        "mla_mm2": [(4.0, 4.2), (5.0, 5.5), (6.0, 5.8), (None, 3.0)],
        "sm_present": [(True, True), (False, True), (False, False), (True, True)],
        "strut_count": [(10, 11), (20, 20), (30, 29), (5, 5)],
    }
    result = study_agreement(pairs, {"mla_mm2": 1, "sm_present": 1})
    assert result["mla_mm2"]["kind"] == "continuous" and "icc" in result["mla_mm2"]
    assert result["sm_present"]["kind"] == "boolean" and "kappa" in result["sm_present"]
    assert result["mla_mm2"]["flag_rate"] == pytest.approx(0.25)
    assert result["sm_present"]["flag_rate"] == pytest.approx(0.25)
    assert result["strut_count"]["flag_rate"] is None  # not a compared metric
    assert "flag_rate" not in study_agreement(pairs)["mla_mm2"]


def _weighted_kappa_by_hand(pairs: list[tuple[int, int]], levels: int) -> tuple[float, float]:
    """Linear weighted kappa and its SE written out with loops (Cohen 1968; Fleiss, Cohen &
    Everitt 1969), an independent check of agreement.weighted_kappa."""
    n = len(pairs)
    p = [[0.0] * levels for _ in range(levels)]
    for a, b in pairs:
        p[a][b] += 1.0 / n
    row = [sum(p[i]) for i in range(levels)]
    col = [sum(p[i][j] for i in range(levels)) for j in range(levels)]

    def w(i: int, j: int) -> float:
        return 1.0 - abs(i - j) / (levels - 1)

    po = sum(w(i, j) * p[i][j] for i in range(levels) for j in range(levels))
    pe = sum(w(i, j) * row[i] * col[j] for i in range(levels) for j in range(levels))
    kappa = (po - pe) / (1 - pe)
    wi = [sum(col[j] * w(i, j) for j in range(levels)) for i in range(levels)]
    wj = [sum(row[i] * w(i, j) for i in range(levels)) for j in range(levels)]
    total = sum(
        p[i][j] * (w(i, j) - (wi[i] + wj[j]) * (1 - kappa)) ** 2
        for i in range(levels)
        for j in range(levels)
    )
    var = (total - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    return kappa, math.sqrt(var)


def test_fujino_score_gets_a_linearly_weighted_kappa() -> None:
    pairs = [(0, 0)] * 6 + [(1, 1)] * 3 + [(2, 3)] * 2 + [(3, 3)] * 4 + [(4, 3)] + [(0, 2)]
    result = study_agreement({"fujino_calcium_score": pairs})["fujino_calcium_score"]
    kappa, se = _weighted_kappa_by_hand(pairs, 5)
    assert result["kappa_weights"] == "linear"
    assert result["weighted_kappa"] == pytest.approx(kappa)
    assert result["weighted_kappa_ci_lower"] == pytest.approx(kappa - 1.96 * se)
    assert result["weighted_kappa_ci_upper"] == pytest.approx(min(1.0, kappa + 1.96 * se))
    # Near misses (2 vs 3) are partial agreement: the weighted kappa exceeds the unweighted one.
    assert result["weighted_kappa"] > result["kappa"]


def test_weighted_kappa_of_a_hand_computed_three_level_table() -> None:
    # Two readers, scale 0-2, weights 1 / 0.5 / 0: pairs (0,0) (1,1) (2,2) (0,1).
    # po = (3 + 0.5) / 4 = 0.875; margins A (0.5, 0.25, 0.25), B (0.25, 0.5, 0.25);
    # pe = Σ w·a_i·b_j = 0.3125 (diagonal) + 0.5 × 0.5 (one apart) = 0.5625
    # → kappa = (0.875 − 0.5625) / 0.4375 = 5/7.
    result = categorical_agreement([(0, 0), (1, 1), (2, 2), (0, 1)], levels=(0, 1, 2))
    assert result["weighted_kappa"] == pytest.approx(5 / 7)
