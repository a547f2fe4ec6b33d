"""Data dictionary of ``statistics.json``: every output field with its unit and definition."""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str, str], ...] = (
    ("n_pullbacks", "pullbacks", "Consensus pullbacks analysed (after the timepoint filter)."),
    ("n_subjects", "subjects", "Distinct subjects among them."),
    ("covariates", "", "Clinical covariate columns and their kind: numeric, yes_no, category."),
    ("survival_events", "", "Events with a yes/no <event> and a numeric <event>_days column."),
    ("settings", "", "The analysis settings used (predictor rule, predictors, seeds ...)."),
    ("software", "", "Versions of Python and the statistics libraries used."),
    ("outcomes.<o>", "", "One block per outcome: sm_significant, underexpansion, sm_present."),
    ("outcomes.<o>.n", "lesions", "Pullbacks (lesions) with the outcome known."),
    ("outcomes.<o>.events", "lesions", "Of them, with the outcome (the 'yes' group)."),
    ("outcomes.<o>.n_subjects", "subjects", "Distinct subjects among the n lesions."),
    (
        "outcomes.<o>.model",
        "",
        "logit (one lesion per subject) or gee_exchangeable (GEE, binomial/logit, exchangeable "
        "working correlation, robust SEs, clustered by subject).",
    ),
    (
        "outcomes.<o>.candidates",
        "",
        "Candidate predictors: the calcium metrics and the covariates, never the metrics that "
        "define the outcome (excluded_defining_metrics) nor survival events.",
    ),
    (
        "outcomes.<o>.reference_levels",
        "",
        "Reference level of each category covariate; its other levels appear as name[level].",
    ),
    (
        "outcomes.<o>.table1",
        "",
        "Group comparison (yes = with the outcome, no = without). Continuous: n, mean, sd, "
        "median, q1, q3 per group; p_t (Welch t-test), p_mann_whitney; p is the t-test's when "
        "Shapiro-Wilk (alpha 0.05) accepts normality in both groups, else Mann-Whitney's. "
        "Categorical: n and pct (percent of the group's non-missing) per level; p from "
        "chi-square (Yates for 2x2) or Fisher's exact test (2x2 with an expected count < 5).",
    ),
    (
        "outcomes.<o>.univariable.<predictor>",
        "",
        "Odds ratio (or), Wald 95 % CI (ci_low, ci_high) and Wald p of a one-predictor model; "
        "null when the model does not converge (reason in null_reasons.univariable).",
    ),
    ("outcomes.<o>.univariable_n", "lesions", "Complete cases of each univariable model."),
    (
        "outcomes.<o>.multivariable.<predictor>",
        "",
        "Odds ratio, Wald 95 % CI and p adjusted for the other multivariable_predictors; all "
        "null when the model does not converge (reason in null_reasons.multivariable).",
    ),
    (
        "outcomes.<o>.multivariable_predictors",
        "",
        "Predictors in the multivariable model: chosen by the coordinator (settings."
        "predictor_rule = chosen) or every candidate with univariable p < settings.entry_p "
        "(univariable_p_lt; a category enters when any level does).",
    ),
    ("outcomes.<o>.multivariable_n", "lesions", "Complete cases of the multivariable model."),
    (
        "outcomes.<o>.roc.<predictor>",
        "",
        "Continuous candidates: auc (higher values predict the outcome), ci_low/ci_high (95 % "
        "BCa stratified bootstrap, settings.roc_bootstrap_resamples, seed settings.roc_seed), "
        "cutoff (Youden's J maximum; values >= cutoff predict the outcome) with its "
        "sensitivity and specificity, and the curve (fpr, tpr).",
    ),
    (
        "outcomes.<o>.survival.<event>",
        "",
        "Kaplan-Meier by outcome group per subject (yes when any of its lesions has the "
        "outcome): logrank_p, events_by_group, n_by_group, median_days (null when not "
        "reached), curves (time_days, survival), n_excluded (no follow-up).",
    ),
    ("outcomes.<o>.null_reasons", "", "Why each null estimate is null."),
    ("notes", "", "Remarks on the input (rows filtered, subjects without clinical data)."),
)


def statistics_dictionary() -> list[dict[str, str]]:
    return [{"name": n, "unit": u, "definition": d} for n, u, d in ENTRIES]
