"""A paper's Table 1 and Table 2 as rows of display text, from a ``statistics.json`` document.

The console page and the XLSX workbook both lay the tables out from these rows, so what a
coordinator reads on screen is what they download.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNIT_LABELS = {"mm2": "mm²", "deg": "°", "um": "µm"}
TEST_LABELS = {"t": "t", "mann_whitney": "MW", "chi2": "χ²", "fisher": "Fisher"}


def num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}"


def pval(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 0.001:
        return "<0.001"
    return f"{value:.3f}"


def _label(row: dict[str, Any]) -> str:
    unit = UNIT_LABELS.get(row.get("unit") or "", row.get("unit") or "")
    return f"{row['variable']}, {unit}" if unit else row["variable"]


@dataclass(frozen=True)
class Table1Row:
    label: str
    statistic: str
    yes: str
    no: str
    p: str
    test: str
    indent: bool = False


def table1(block: dict[str, Any]) -> list[Table1Row]:
    """Continuous: mean ± SD (t p) and median [IQR] (Mann-Whitney p), the primary test
    marked; categorical: n (%) per level (a yes/no variable shows its "yes" line)."""
    rows: list[Table1Row] = []
    for row in block.get("table1", []):
        if row["kind"] == "continuous":
            yes, no = row["yes"], row["no"]
            primary = row.get("test")
            rows.append(
                Table1Row(
                    _label(row),
                    "mean ± SD",
                    f"{num(yes['mean'])} ± {num(yes['sd'])}",
                    f"{num(no['mean'])} ± {num(no['sd'])}",
                    pval(row["p_t"]),
                    "t" + (" *" if primary == "t" else ""),
                )
            )
            rows.append(
                Table1Row(
                    "",
                    "median [IQR]",
                    f"{num(yes['median'])} [{num(yes['q1'])}–{num(yes['q3'])}]",
                    f"{num(no['median'])} [{num(no['q1'])}–{num(no['q3'])}]",
                    pval(row["p_mann_whitney"]),
                    "MW" + (" *" if primary == "mann_whitney" else ""),
                )
            )
            continue
        levels = row["levels"]
        is_yes_no = {lv["level"] for lv in levels} <= {"yes", "no"}
        shown = [lv for lv in levels if lv["level"] == "yes"] if is_yes_no else levels
        test = TEST_LABELS.get(row.get("test") or "", "")
        for i, level in enumerate(shown):
            rows.append(
                Table1Row(
                    _label(row) if is_yes_no or i == 0 else "",
                    "n (%)" if is_yes_no else f"{level['level']}, n (%)",
                    f"{level['yes']['n']} ({num(level['yes']['pct'], 1)})",
                    f"{level['no']['n']} ({num(level['no']['pct'], 1)})",
                    pval(row["p"]) if i == 0 else "",
                    test if i == 0 else "",
                    indent=not is_yes_no,
                )
            )
        if is_yes_no and not shown:
            rows.append(Table1Row(_label(row), "n (%)", "0 (0.0)", "0 (0.0)", pval(row["p"]), test))
    return rows


@dataclass(frozen=True)
class Table2Row:
    predictor: str
    uni_or: str
    uni_ci: str
    uni_p: str
    multi_or: str
    multi_ci: str
    multi_p: str
    note: str


def _or_cells(entry: dict[str, Any] | None) -> tuple[str, str, str]:
    if not entry:
        return "–", "–", "–"
    return (
        num(entry["or"]),
        f"{num(entry['ci_low'])}–{num(entry['ci_high'])}",
        pval(entry["p"]),
    )


def table2(block: dict[str, Any]) -> list[Table2Row]:
    """One row per candidate term: univariable and multivariable OR (95 % CI) and p."""
    reasons = block.get("null_reasons", {})
    multi = block.get("multivariable") or {}
    rows = []
    for term, entry in block.get("univariable", {}).items():
        note = reasons.get("univariable", {}).get(term, "")
        if term in multi and multi[term] is None and reasons.get("multivariable"):
            note = "; ".join(filter(None, [note, f"multivariable: {reasons['multivariable']}"]))
        rows.append(Table2Row(term, *_or_cells(entry), *_or_cells(multi.get(term)), note))
    return rows
