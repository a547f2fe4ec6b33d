"""The statistics reproduce published results and independent library computations.

Each test computes the expected value from a textbook or from the library called directly in
the test, never from our package, so a wrong arrangement of data (wrong column, wrong group,
wrong reference level) fails.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines.datasets import load_waltons
from lifelines.statistics import logrank_test
from scipy import stats

from adjudication.statistics import comparison, regression, roc, survival


def test_logit_reproduces_greenes_spector_mazzeo_estimates() -> None:
    # Greene, Econometric Analysis, Table 21.1 (Spector & Mazzeo 1980): logit coefficients
    # GPA 2.826, TUCE 0.095, PSI 2.379; standard errors 1.263, 0.142, 1.065.
    data = sm.datasets.spector.load_pandas()
    fit = regression.fit_logistic(data.endog, data.exog)
    assert fit.method == "logit"
    published = {"GPA": (2.826, 1.263), "TUCE": (0.095, 0.142), "PSI": (2.379, 1.065)}
    for name, (coef, se) in published.items():
        term = fit.terms[name]
        assert math.log(term["or"]) == pytest.approx(coef, abs=0.001)
        # Wald CI: exp(β ± 1.96·SE)
        assert math.log(term["ci_high"]) - math.log(term["ci_low"]) == pytest.approx(
            2 * 1.959964 * se, abs=0.005
        )


def test_logit_terms_equal_statsmodels_fit_computed_here() -> None:
    data = sm.datasets.spector.load_pandas()
    direct = sm.Logit(data.endog, sm.add_constant(data.exog)).fit(disp=0)
    ci = direct.conf_int()
    fit = regression.fit_logistic(data.endog, data.exog)
    for name in ("GPA", "TUCE", "PSI"):
        assert fit.terms[name]["or"] == pytest.approx(math.exp(direct.params[name]), rel=1e-9)
        assert fit.terms[name]["ci_low"] == pytest.approx(math.exp(ci.loc[name, 0]), rel=1e-9)
        assert fit.terms[name]["ci_high"] == pytest.approx(math.exp(ci.loc[name, 1]), rel=1e-9)
        assert fit.terms[name]["p"] == pytest.approx(direct.pvalues[name], rel=1e-9)


def test_clustered_rows_use_a_gee_equal_to_statsmodels_gee() -> None:
    rng = np.random.default_rng(5)
    subjects = np.repeat(np.arange(120), 2)
    frailty = np.repeat(rng.normal(0, 1, 120), 2)
    x = rng.integers(0, 2, subjects.size).astype(float)
    y = (rng.random(subjects.size) < 1 / (1 + np.exp(-(-0.5 + 1.0 * x + frailty)))).astype(float)
    X = pd.DataFrame({"x": x})
    groups = pd.Series(subjects)
    fit = regression.fit_logistic(pd.Series(y), X, groups)
    direct = sm.GEE(
        y,
        sm.add_constant(x),
        groups=subjects,
        family=sm.families.Binomial(),
        cov_struct=sm.cov_struct.Exchangeable(),
    ).fit()
    assert fit.method == "gee_exchangeable"
    assert fit.n_clusters == 120
    assert fit.terms["x"]["or"] == pytest.approx(math.exp(direct.params[1]), rel=1e-7)
    assert fit.terms["x"]["ci_low"] == pytest.approx(math.exp(direct.conf_int()[1, 0]), rel=1e-7)
    assert fit.terms["x"]["p"] == pytest.approx(direct.pvalues[1], rel=1e-6)


@pytest.mark.parametrize(
    ("x", "why"),
    [
        ([0, 0, 0, 0, 1, 1, 1, 1], "perfect separation"),
        ([1, 1, 1, 1, 1, 1, 1, 1], "one value"),
    ],
)
def test_a_model_without_a_finite_estimate_fails_with_a_reason(x: list[int], why: str) -> None:
    y = pd.Series([0, 0, 0, 0, 1, 1, 1, 1])
    with pytest.raises(regression.ModelFailed, match=why):
        regression.fit_logistic(y, pd.DataFrame({"x": x}))


def test_quasi_complete_separation_fails_with_a_reason() -> None:
    # x = 1 always has the outcome; x = 0 has both: the OR of x has no finite estimate.
    y = pd.Series([0, 0, 0, 1, 1, 1, 1, 1, 1, 1])
    x = pd.DataFrame({"x": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]})
    with pytest.raises(regression.ModelFailed, match="separation|converge"):
        regression.fit_logistic(y, x)


def test_fishers_tea_tasting_table_gives_the_published_p() -> None:
    # Fisher (1935): 3 of 4 cups right each way; two-sided p = 34/70 = 0.486.
    values = pd.Series(["milk"] * 3 + ["tea"] + ["milk"] + ["tea"] * 3)
    group = pd.Series([True] * 4 + [False] * 4)
    row = comparison.compare_categorical(values, group)
    assert row["test"] == "fisher"
    assert row["p"] == pytest.approx(34 / 70, abs=1e-9)
    assert row["levels"][0] == {
        "level": "milk",
        "yes": {"n": 3, "pct": 75.0},
        "no": {"n": 1, "pct": 25.0},
    }


def test_large_tables_use_yates_corrected_chi_square() -> None:
    values = pd.Series([True] * 60 + [False] * 40 + [True] * 30 + [False] * 70)
    group = pd.Series([True] * 100 + [False] * 100)
    row = comparison.compare_categorical(values, group)
    expected = stats.chi2_contingency([[60, 30], [40, 70]], correction=True).pvalue
    assert row["test"] == "chi2"
    assert row["p"] == pytest.approx(expected, rel=1e-12)
    assert row["levels"][0]["level"] == "yes"


def test_continuous_rows_carry_t_and_mann_whitney_ps_and_descriptives() -> None:
    rng = np.random.default_rng(3)
    a = pd.Series(rng.normal(10, 2, 40))
    b = pd.Series(rng.lognormal(2, 0.8, 50))
    row = comparison.compare_continuous(a, b)
    assert row["p_t"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert row["p_mann_whitney"] == pytest.approx(stats.mannwhitneyu(a, b).pvalue)
    # b is log-normal: Shapiro-Wilk rejects normality, so the primary p is Mann-Whitney's.
    assert row["test"] == "mann_whitney" and row["p"] == row["p_mann_whitney"]
    assert row["yes"]["mean"] == pytest.approx(a.mean())
    assert row["yes"]["sd"] == pytest.approx(a.std(ddof=1))
    assert row["no"]["median"] == pytest.approx(b.median())


def test_roc_of_the_scikit_learn_example_and_its_youden_cutoff() -> None:
    # scikit-learn's roc_auc_score docstring example: AUC 0.75.
    result = roc.roc_analysis(pd.Series([0, 0, 1, 1]), pd.Series([0.1, 0.4, 0.35, 0.8]), seed=1)
    assert result["auc"] == pytest.approx(0.75)
    # J = 0.5 at 0.8 (sens 0.5, spec 1) and at 0.35 (sens 1, spec 0.5): the first is kept.
    assert result["cutoff"] == 0.8
    assert (result["sensitivity"], result["specificity"]) == (0.5, 1.0)


def test_roc_auc_equals_mann_whitney_and_its_ci_covers_it() -> None:
    rng = np.random.default_rng(11)
    y = pd.Series(rng.random(300) < 0.4)
    x = pd.Series(rng.normal(0, 1, 300) + 0.8 * y)
    result = roc.roc_analysis(y, x, seed=17)
    u = stats.mannwhitneyu(x[y], x[~y]).statistic
    assert result["auc"] == pytest.approx(u / (y.sum() * (~y).sum()))
    assert result["ci_low"] < result["auc"] < result["ci_high"]
    # The same seed gives the same interval: a stored result can be reproduced.
    assert roc.roc_analysis(y, x, seed=17)["ci_low"] == result["ci_low"]


def test_a_predictor_where_low_values_predict_keeps_its_auc_below_one_half() -> None:
    result = roc.roc_analysis(pd.Series([1, 1, 1, 0, 0, 0]), pd.Series([1, 2, 3, 4, 5, 6]), seed=1)
    assert result["auc"] == pytest.approx(0.0)


def test_log_rank_on_lifelines_waltons_data_matches_the_documented_statistic() -> None:
    # lifelines documentation: miR-137 vs control, test statistic 122.25, p < 0.005.
    data = load_waltons()
    subjects = pd.DataFrame(
        {
            "group": data["group"] == "miR-137",
            "death": data["E"].astype(bool),
            "death_days": data["T"],
        }
    )
    result = survival.km_by_group(subjects, event="death")
    a, b = data[data.group == "miR-137"], data[data.group == "control"]
    direct = logrank_test(a["T"], b["T"], a["E"], b["E"])
    assert direct.test_statistic == pytest.approx(122.25, abs=0.01)
    assert result["logrank_p"] == pytest.approx(direct.p_value, rel=1e-9)
    assert result["events_by_group"] == {"yes": int(a["E"].sum()), "no": int(b["E"].sum())}
    assert result["n_by_group"] == {"yes": 34, "no": 129}
    assert result["curves"]["yes"]["survival"][-1] == pytest.approx(0.0)


def test_the_separation_check_does_not_depend_on_units_or_the_intercept() -> None:
    # GPA in tenths (slope 28) and TUCE shifted by 1000 (huge intercept): the same
    # model, the same p-values; neither may be mistaken for separation.
    data = sm.datasets.spector.load_pandas()
    reference = regression.fit_logistic(data.endog, data.exog)
    exog = data.exog.assign(GPA=data.exog["GPA"] / 10, TUCE=data.exog["TUCE"] + 1000)
    rescaled = regression.fit_logistic(data.endog, exog)
    for name in ("GPA", "TUCE", "PSI"):
        assert rescaled.terms[name]["p"] == pytest.approx(reference.terms[name]["p"], rel=1e-5)
    assert math.log(rescaled.terms["GPA"]["or"]) == pytest.approx(
        10 * math.log(reference.terms["GPA"]["or"]), rel=1e-5
    )
