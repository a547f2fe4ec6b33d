"""The study statistics of SPEC §13, from plain rows to the ``statistics.json`` document.

``compute_statistics(consensus_rows, clinical, options)`` is the one entry point: the worker
calls it with rows read from the database, ``manage.py study_statistics`` with rows read
from exported CSV files. Rows are canonicalised (``inputs``) and sorted by pullback, so the
same data give the same document either way. No Django import.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pandas as pd

from adjudication.domain.metric_defs import READ_METRICS, Kind

from . import comparison, regression, roc, survival
from .inputs import CATEGORY, NUMERIC, YES_NO, ClinicalTable, coerce_consensus_rows
from .options import (
    CALCIUM_PREDICTORS,
    DEFINING_METRICS,
    RULE_CHOSEN,
    StatisticsOptions,
)

METRIC_DEFS = {m.name: m for m in READ_METRICS}
SOFTWARE = ("numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "lifelines")


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in SOFTWARE:
        versions[name] = metadata.version(name)
    return versions


@dataclass
class Variable:
    """A column of the analysis frame: its kind (numeric, yes_no, category) and origin."""

    name: str
    kind: str
    source: str  # "consensus" or "clinical"
    unit: str = ""


def _metric_kind(name: str) -> str:
    return YES_NO if METRIC_DEFS[name].kind is Kind.BOOLEAN else NUMERIC


def _frame(
    consensus_rows: Iterable[Mapping[str, Any]], clinical: ClinicalTable, timepoint: str
) -> tuple[pd.DataFrame, list[str]]:
    rows = coerce_consensus_rows(consensus_rows)
    notes = []
    if timepoint != "all" and any("timepoint" in r for r in rows):
        kept = [r for r in rows if r.get("timepoint") == timepoint]
        notes.append(f"{len(kept)} of {len(rows)} pullbacks at timepoint {timepoint!r} analysed")
        rows = kept
    rows.sort(key=lambda r: (str(r.get("subject_code")), _order(r.get("pullback"))))
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame({"subject_code": pd.Series(dtype=object)})
    for name in clinical.columns:
        frame[name] = [clinical.rows.get(code, {}).get(name) for code in frame["subject_code"]]
    missing = sorted({c for c in frame["subject_code"] if c not in clinical.rows})
    if clinical.columns and missing:
        notes.append(f"{len(missing)} analysed subjects have no clinical row")
    return frame, notes


def _order(pullback: Any) -> tuple[int, str]:
    return (pullback, "") if isinstance(pullback, int) else (0, str(pullback or ""))


def _variables(frame: pd.DataFrame, clinical: ClinicalTable) -> list[Variable]:
    found = []
    for name, kind in clinical.columns.items():
        if name.endswith("_days") and name[: -len("_days")] in clinical.survival_pairs():
            continue
        found.append(Variable(name, kind, "clinical"))
    for metric in READ_METRICS:
        if metric.kind is Kind.FRAME or metric.name not in frame.columns:
            continue
        if not frame[metric.name].notna().any():
            continue  # a metric nobody measured (e.g. no reference segments) has no row
        found.append(Variable(metric.name, _metric_kind(metric.name), "consensus", metric.unit))
    return found


def _design(frame: pd.DataFrame, variables: list[Variable]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Model columns: yes/no → 0/1, numbers as they are, categories → indicator columns
    ``name[level]`` against the first level in sorted order (the reference)."""
    parts = []
    references: dict[str, str] = {}
    for var in variables:
        column = frame[var.name]
        if var.kind == CATEGORY:
            levels = sorted(column.dropna().astype(str).unique())
            references[var.name] = levels[0]
            for level in levels[1:]:
                part = (column.astype(str) == level).astype(float)
                part[column.isna()] = float("nan")
                parts.append(part.rename(f"{var.name}[{level}]"))
        else:
            parts.append(column.map(_to_float).astype(float).rename(var.name))
    design = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    return design, references


def _to_float(value: Any) -> float:
    if value is None:
        return float("nan")
    return float(value)


def _model(data: pd.DataFrame, variables: list[Variable], clustered: bool) -> regression.Fit:
    design, _ = _design(data, variables)
    keep = design.notna().all(axis=1)
    groups = data.loc[keep, "subject_code"] if clustered else None
    return regression.fit_logistic(data.loc[keep, "_y"], design[keep], groups)


def _table1(data: pd.DataFrame, variables: list[Variable]) -> list[dict[str, Any]]:
    rows = []
    yes, no = data["_y"] == 1, data["_y"] == 0
    for var in variables:
        entry: dict[str, Any] = {"variable": var.name, "source": var.source, "unit": var.unit}
        if var.kind == NUMERIC:
            values = data[var.name].map(_to_float)
            entry["kind"] = "continuous"
            entry.update(comparison.compare_continuous(values[yes], values[no]))
        else:
            entry["kind"] = "categorical"
            entry.update(comparison.compare_categorical(data[var.name], data["_y"] == 1))
        rows.append(entry)
    return rows


def _analyse_outcome(  # noqa: C901 - the SPEC §13 steps in order, each short
    frame: pd.DataFrame,
    outcome: str,
    variables: list[Variable],
    clinical: ClinicalTable,
    options: StatisticsOptions,
) -> dict[str, Any]:
    data = frame[frame[outcome].notna()].copy() if outcome in frame else frame.iloc[0:0].copy()
    data["_y"] = data[outcome].astype(bool).astype(int) if len(data) else pd.Series(dtype=int)
    excluded = DEFINING_METRICS[outcome] | {outcome}
    described = [v for v in variables if v.name not in excluded]
    candidates = [
        v
        for v in described
        if (v.source == "clinical" and v.name not in clinical.survival_pairs())
        or v.name in CALCIUM_PREDICTORS
    ]
    candidates = [v for v in candidates if data[v.name].notna().any()] if len(data) else []
    clustered = bool(len(data)) and bool(data["subject_code"].duplicated().any())
    result: dict[str, Any] = {
        "n": len(data),
        "events": int(data["_y"].sum()) if len(data) else 0,
        "n_subjects": int(data["subject_code"].nunique()) if len(data) else 0,
        "model": "gee_exchangeable" if clustered else "logit",
        "candidates": [v.name for v in candidates],
        "excluded_defining_metrics": sorted(DEFINING_METRICS[outcome]),
        "reference_levels": _design(data, candidates)[1] if len(data) else {},
        "table1": _table1(data, described) if len(data) else [],
        "univariable": {},
        "univariable_n": {},
        "multivariable": {},
        "multivariable_predictors": [],
        "multivariable_n": None,
        "roc": {},
        "survival": {},
        "null_reasons": {"univariable": {}, "multivariable": None, "roc": {}, "survival": {}},
    }
    reasons = result["null_reasons"]
    entering = []
    for var in candidates:
        try:
            fit = _model(data, [var], clustered)
        except regression.ModelFailed as exc:
            for term in _terms(data, var):
                result["univariable"][term] = None
                reasons["univariable"][term] = str(exc)
            continue
        result["univariable"].update(fit.terms)
        for term in fit.terms:
            result["univariable_n"][term] = fit.n
        if any(t["p"] is not None and t["p"] < options.entry_p for t in fit.terms.values()):
            entering.append(var)
    by_name = {v.name: v for v in candidates}
    if options.predictor_rule == RULE_CHOSEN:
        chosen = [by_name[p] for p in options.predictors if p in by_name]
        absent = [p for p in options.predictors if p not in by_name]
        if absent:
            result["multivariable_absent"] = absent
    else:
        chosen = entering
    result["multivariable_predictors"] = [v.name for v in chosen]
    if not chosen:
        reasons["multivariable"] = "no predictor enters the model"
    else:
        try:
            fit = _model(data, chosen, clustered)
            result["multivariable"] = fit.terms
            result["multivariable_n"] = fit.n
        except regression.ModelFailed as exc:
            result["multivariable"] = {t: None for v in chosen for t in _terms(data, v)}
            reasons["multivariable"] = str(exc)
    for var in candidates:
        if var.kind != NUMERIC:
            continue
        try:
            result["roc"][var.name] = roc.roc_analysis(
                data["_y"], data[var.name].map(_to_float), seed=options.roc_seed
            )
        except roc.RocFailed as exc:
            result["roc"][var.name] = None
            reasons["roc"][var.name] = str(exc)
    for event in clinical.survival_pairs():
        subjects = _subject_groups(data, event)
        try:
            result["survival"][event] = survival.km_by_group(subjects, event=event)
        except survival.SurvivalFailed as exc:
            result["survival"][event] = None
            reasons["survival"][event] = str(exc)
    return result


def _terms(data: pd.DataFrame, var: Variable) -> list[str]:
    if var.kind != CATEGORY:
        return [var.name]
    levels = sorted(data[var.name].dropna().astype(str).unique())
    return [f"{var.name}[{level}]" for level in levels[1:]] or [var.name]


def _subject_groups(data: pd.DataFrame, event: str) -> pd.DataFrame:
    days = f"{event}_days"
    grouped = data.groupby("subject_code", sort=True)
    return pd.DataFrame(
        {
            "group": grouped["_y"].max().astype(bool),
            event: grouped[event].first(),
            days: grouped[days].first(),
        }
    )


def compute_statistics(
    consensus_rows: Iterable[Mapping[str, Any]],
    clinical: ClinicalTable,
    options: StatisticsOptions | None = None,
) -> dict[str, Any]:
    """The ``statistics.json`` document (SPEC §13) for these rows and covariates."""
    options = options or StatisticsOptions()
    frame, notes = _frame(consensus_rows, clinical, options.timepoint)
    variables = _variables(frame, clinical)
    outcomes = {
        outcome: _analyse_outcome(frame, outcome, variables, clinical, options)
        for outcome in options.outcomes
    }
    from .dictionary import statistics_dictionary

    return {
        "outcomes": outcomes,
        "n_pullbacks": len(frame),
        "n_subjects": int(frame["subject_code"].nunique()) if len(frame) else 0,
        "covariates": dict(clinical.columns),
        "survival_events": clinical.survival_pairs(),
        "notes": notes,
        "settings": options.to_dict(),
        "software": software_versions(),
        "dictionary": statistics_dictionary(),
    }


def to_json_text(statistics: dict[str, Any]) -> str:
    """``statistics.json`` as written by the app's download and ``manage.py study_statistics``."""
    return json.dumps(statistics, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
