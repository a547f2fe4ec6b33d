"""The statistics as an XLSX workbook (openpyxl): Table 1 and Table 2 per outcome, ROC,
survival, the settings and software versions, and the data dictionary."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from . import tables

BOLD = Font(bold=True)


def _sheet(workbook: Workbook, title: str, header: list[str]) -> Any:
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = BOLD
    return sheet


def to_xlsx(statistics: dict[str, Any]) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None  # a new Workbook always has one sheet
    summary.title = "Summary"
    summary.append(["pullbacks analysed", statistics.get("n_pullbacks")])
    summary.append(["subjects analysed", statistics.get("n_subjects")])
    for outcome, block in statistics["outcomes"].items():
        summary.append(
            [f"{outcome}: n / events / model", block["n"], block["events"], block["model"]]
        )
    for note in statistics.get("notes", []):
        summary.append(["note", note])
    for outcome, block in statistics["outcomes"].items():
        t1 = _sheet(
            workbook,
            f"Table1 {outcome}",
            [
                "Variable",
                "Statistic",
                f"{outcome} yes (n={block['events']})",
                f"{outcome} no (n={block['n'] - block['events']})",
                "p",
                "Test (* primary)",
            ],
        )
        for row in tables.table1(block):
            t1.append([row.label, row.statistic, row.yes, row.no, row.p, row.test])
        t2 = _sheet(
            workbook,
            f"Table2 {outcome}",
            [
                "Predictor",
                "Univariable OR",
                "95% CI",
                "p",
                "Multivariable OR",
                "95% CI",
                "p",
                "Note",
            ],
        )
        for row2 in tables.table2(block):
            t2.append(
                [
                    row2.predictor,
                    row2.uni_or,
                    row2.uni_ci,
                    row2.uni_p,
                    row2.multi_or,
                    row2.multi_ci,
                    row2.multi_p,
                    row2.note,
                ]
            )
        t2.append([])
        t2.append([f"Model: {block['model']}; multivariable n = {block.get('multivariable_n')}"])
    _roc_and_survival(workbook, statistics)
    _settings_and_dictionary(workbook, statistics)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _roc_and_survival(workbook: Workbook, statistics: dict[str, Any]) -> None:
    roc = _sheet(
        workbook,
        "ROC",
        [
            "Outcome",
            "Predictor",
            "n",
            "AUC",
            "CI low",
            "CI high",
            "Cut-off",
            "Sensitivity",
            "Specificity",
        ],
    )
    survival = _sheet(
        workbook,
        "Survival",
        ["Outcome", "Event", "log-rank p", "events yes", "n yes", "events no", "n no"],
    )
    for outcome, block in statistics["outcomes"].items():
        for name, entry in block["roc"].items():
            if entry:
                roc.append(
                    [
                        outcome,
                        name,
                        entry["n"],
                        entry["auc"],
                        entry["ci_low"],
                        entry["ci_high"],
                        entry["cutoff"],
                        entry["sensitivity"],
                        entry["specificity"],
                    ]
                )
        for event, entry in block["survival"].items():
            if entry:
                survival.append(
                    [
                        outcome,
                        event,
                        entry["logrank_p"],
                        entry["events_by_group"]["yes"],
                        entry["n_by_group"]["yes"],
                        entry["events_by_group"]["no"],
                        entry["n_by_group"]["no"],
                    ]
                )


def _settings_and_dictionary(workbook: Workbook, statistics: dict[str, Any]) -> None:
    settings = _sheet(workbook, "Settings", ["name", "value"])
    for name, value in statistics["settings"].items():
        settings.append([name, json.dumps(value) if isinstance(value, list | dict) else value])
    for name, version in statistics["software"].items():
        settings.append([f"software: {name}", version])
    dictionary = _sheet(workbook, "Dictionary", ["name", "unit", "definition"])
    for entry in statistics["dictionary"]:
        dictionary.append([entry["name"], entry["unit"], entry["definition"]])
