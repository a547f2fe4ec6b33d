"""The SPEC §13 analysis end to end on plain rows (no database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from adjudication.statistics import (
    RULE_P_LT,
    InputInvalid,
    StatisticsOptions,
    compute_statistics,
    figures,
    parse_clinical_csv,
    parse_consensus_csv,
)
from adjudication.statistics.inputs import ClinicalTable

from .cohort import PLANTED_OR, cohort, to_csv


@pytest.fixture(scope="module")
def reference() -> dict:
    consensus, clinical = cohort()
    return compute_statistics(consensus, parse_clinical_csv(to_csv(clinical, yes_no=True)))


def test_the_384_subject_cohort_recovers_its_planted_odds_ratios(reference: dict) -> None:
    block = reference["outcomes"]["sm_significant"]
    assert block["n"] == 384 and block["model"] == "logit"
    assert block["multivariable_predictors"] == list(PLANTED_OR)
    for name, planted in PLANTED_OR.items():
        term = block["multivariable"][name]
        assert term["ci_low"] < planted < term["ci_high"], name
        assert term["p"] < 0.05
    # Noise covariates stay compatible with no effect.
    assert (
        block["univariable"]["hypertension"]["ci_low"]
        < 1
        < block["univariable"]["hypertension"]["ci_high"]
    )


def test_the_output_has_the_spec_shape_and_is_strict_json(reference: dict) -> None:
    text = json.dumps(reference, allow_nan=False)
    assert set(json.loads(text)["outcomes"]) == {"sm_significant", "underexpansion", "sm_present"}
    block = reference["outcomes"]["sm_significant"]
    assert {"n", "events", "univariable", "multivariable", "roc", "survival"} <= set(block)
    assert set(block["univariable"]["diabetes"]) == {"or", "ci_low", "ci_high", "p"}
    assert {"auc", "ci_low", "ci_high", "cutoff"} <= set(block["roc"]["calcium_max_arc_deg"])
    assert {"logrank_p", "events_by_group"} <= set(block["survival"]["mace"])
    assert set(block["survival"]["mace"]["events_by_group"]) == {"yes", "no"}
    assert reference["software"]["statsmodels"] and reference["settings"]["predictor_rule"]
    assert {e["name"] for e in reference["dictionary"]} >= {"outcomes.<o>.univariable.<predictor>"}


def test_metrics_that_define_the_outcome_are_never_candidates(reference: dict) -> None:
    sm = reference["outcomes"]["sm_significant"]
    assert "max_malapposition_um" not in sm["univariable"]
    assert "max_malapposition_um" not in sm["roc"]
    assert "max_malapposition_um" not in {r["variable"] for r in sm["table1"]}
    under = reference["outcomes"]["underexpansion"]
    assert "msa_mm2" not in under["univariable"] and "msa_mm2" not in under["roc"]
    # Survival events are outcomes, not predictors; the calcium metrics always are.
    assert "mace" not in sm["univariable"] and "calcium_max_arc_deg" in sm["univariable"]


def test_a_text_category_is_modelled_against_its_first_level(reference: dict) -> None:
    block = reference["outcomes"]["sm_significant"]
    assert block["reference_levels"] == {"sex": "female"}
    assert "sex[male]" in block["univariable"]


def test_the_reference_studys_rule_enters_every_candidate_with_p_below_0_1() -> None:
    consensus, clinical = cohort()
    result = compute_statistics(
        consensus,
        parse_clinical_csv(to_csv(clinical)),
        StatisticsOptions(predictor_rule=RULE_P_LT, outcomes=("sm_significant",)),
    )
    block = result["outcomes"]["sm_significant"]
    expected = sorted(
        {t.split("[")[0] for t, v in block["univariable"].items() if v and v["p"] < 0.1}
    )
    assert sorted(block["multivariable_predictors"]) == expected
    assert "calcium_arc_gt_270" in expected


def test_several_lesions_per_subject_are_analysed_with_a_gee_by_subject() -> None:
    consensus, clinical = cohort(150, lesions_per_subject=2, seed=9)
    result = compute_statistics(consensus, parse_clinical_csv(to_csv(clinical)))
    block = result["outcomes"]["sm_significant"]
    assert block["model"] == "gee_exchangeable"
    assert block["n"] == 300 and block["n_subjects"] == 150
    assert block["multivariable"]["calcium_arc_gt_270"]["or"] > 1
    # Survival is per subject: 150 subjects split between the two groups.
    assert sum(block["survival"]["mace"]["n_by_group"].values()) == 150


def test_separation_gives_null_with_a_reason_never_a_crash() -> None:
    consensus, clinical = cohort(80, seed=4)
    for row in consensus:
        row["calcium_thickness_gt_1mm"] = row["sm_significant"]  # predicts it perfectly
    result = compute_statistics(consensus, parse_clinical_csv(to_csv(clinical)))
    block = result["outcomes"]["sm_significant"]
    assert block["univariable"]["calcium_thickness_gt_1mm"] is None
    assert "separation" in block["null_reasons"]["univariable"]["calcium_thickness_gt_1mm"]
    assert all(v is None for v in block["multivariable"].values())
    assert "separation" in block["null_reasons"]["multivariable"]
    assert block["univariable"]["calcium_arc_gt_270"] is not None


def test_missing_covariates_and_absent_chosen_predictors_are_reported() -> None:
    consensus, _ = cohort(120, seed=8)
    result = compute_statistics(consensus, ClinicalTable())
    block = result["outcomes"]["sm_significant"]
    assert block["multivariable_absent"] == ["diabetes"]
    assert block["multivariable_predictors"] == ["calcium_arc_gt_270", "calcium_thickness_gt_1mm"]
    assert block["survival"] == {}


def test_export_csv_booleans_in_any_spelling_give_identical_statistics() -> None:
    consensus, clinical = cohort(100, seed=12)
    clin = parse_clinical_csv(to_csv(clinical))
    options = StatisticsOptions(outcomes=("sm_significant",))
    from_rows = compute_statistics(consensus, clin, options)
    as_true_false = parse_consensus_csv(to_csv(consensus))
    as_yes_no = parse_consensus_csv(to_csv(consensus, yes_no=True))
    as_ones = parse_consensus_csv(
        to_csv([{k: int(v) if isinstance(v, bool) else v for k, v in r.items()} for r in consensus])
    )
    for rows in (as_true_false, as_yes_no, as_ones):
        assert compute_statistics(rows, clin, options) == from_rows


def test_only_post_procedure_pullbacks_are_analysed_by_default() -> None:
    consensus, clinical = cohort(60, seed=2)
    extra = [dict(r, pullback=r["pullback"] + 1000, timepoint="pre") for r in consensus]
    result = compute_statistics(consensus + extra, parse_clinical_csv(to_csv(clinical)))
    assert result["n_pullbacks"] == 60
    everything = compute_statistics(
        consensus + extra, parse_clinical_csv(to_csv(clinical)), StatisticsOptions(timepoint="all")
    )
    assert everything["n_pullbacks"] == 120


def test_clinical_csv_errors_name_the_row_and_column() -> None:
    text = (
        "subject_code,age,diabetes,sex,mace,mace_days\n"
        "S-0001,64,yes,male,no,400\n"
        "S-0002,6o,no,female,yes,\n"
        "S-0002,70,maybe,male,no,300\n"
        "S-0009,71,yes,male,no,-3\n"
    )
    with pytest.raises(InputInvalid) as caught:
        parse_clinical_csv(text, known_subjects={"S-0001", "S-0002", "S-0003"})
    errors = {(e["row"], e["column"]): e["message"] for e in caught.value.errors}
    assert "not a number" in errors[(3, "age")]
    assert "appears twice" in errors[(4, "subject_code")]
    assert "not a subject of this study" in errors[(5, "subject_code")]
    assert "is empty" in errors[(3, "mace_days")]
    assert "negative" in errors[(5, "mace_days")]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("code,age", "first column must be subject_code"),
        ("subject_code,age,age", "appears twice"),
        ("subject_code,msa_mm2", "consensus metric"),
        ("subject_code,Body Mass", "use a letter"),
        ("subject_code,mace_days", "needs a yes/no column"),
    ],
)
def test_bad_headers_are_refused(header: str, message: str) -> None:
    with pytest.raises(InputInvalid, match=message):
        parse_clinical_csv(f"{header}\nS-1,{','.join(['1'] * header.count(','))}\n")


def test_column_kinds_are_inferred_and_headers_lower_cased() -> None:
    table = parse_clinical_csv(
        "subject_code,Age,Diabetes,Sex\nS-1,60,Y,m\nS-2,,n,f\nS-3,70.5,NA,f\n"
    )
    assert table.columns == {"age": "numeric", "diabetes": "yes_no", "sex": "category"}
    assert table.rows["S-2"] == {"age": None, "diabetes": False, "sex": "f"}
    assert table.rows["S-3"]["diabetes"] is None


def test_figures_exist_for_every_outcome_and_are_deterministic(reference: dict) -> None:
    names = figures.figure_names(reference)
    assert {"forest-sm_significant", "roc-sm_significant", "km-sm_significant-mace"} <= set(names)
    svg = figures.render(reference, "forest-sm_significant", "svg")
    assert svg.startswith(b"<?xml") and b"calcium_arc_gt_270" in svg
    assert figures.render(reference, "forest-sm_significant", "svg") == svg
    assert figures.render(reference, "km-sm_significant-mace", "png")[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(KeyError):
        figures.render(reference, "forest-unknown", "svg")


def test_the_statistics_package_imports_no_django() -> None:
    code = (
        "import sys\n"
        "for name in ('django', 'rest_framework'):\n"
        "    sys.modules[name] = None\n"
        "import adjudication.statistics, adjudication.statistics.figures, "
        "adjudication.statistics.workbook\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_workbook_holds_table_1_table_2_roc_survival_settings_and_dictionary(
    reference: dict,
) -> None:
    import io

    from openpyxl import load_workbook

    from adjudication.statistics.workbook import to_xlsx

    book = load_workbook(io.BytesIO(to_xlsx(reference)))
    assert {
        "Table1 sm_significant",
        "Table2 sm_significant",
        "ROC",
        "Survival",
        "Settings",
        "Dictionary",
    } <= set(book.sheetnames)
    table2 = list(book["Table2 sm_significant"].values)
    diabetes = next(r for r in table2 if r[0] == "diabetes")
    entry = reference["outcomes"]["sm_significant"]["univariable"]["diabetes"]
    assert diabetes[1] == f"{entry['or']:.2f}"
    settings = {r[0]: r[1] for r in book["Settings"].values}
    assert settings["software: lifelines"] == reference["software"]["lifelines"]


def test_web_processes_load_no_numerical_library_until_statistics_run() -> None:
    # pandas, statsmodels, scikit-learn, lifelines and matplotlib cost ~1.5 s and ~150 MB per
    # process; the URLconf and the tasks module must not pull them in.
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "import corelab.urls, adjudication.tasks\n"
        "heavy = [m for m in ('pandas', 'scipy', 'statsmodels', 'sklearn', 'lifelines', "
        "'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
