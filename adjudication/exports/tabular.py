"""Export writers (SPEC §10): rows per pullback, frame or reader; CSV, XLSX, JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS
from adjudication.models import Consensus, FrameMetrics, Pullback, ReadMetrics, Study
from adjudication.models.reading import ReadKind

from .dictionary import data_dictionary

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Cells starting with = + - @ (or tab/CR) get a leading apostrophe: no formula runs."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _identity(pullback: Pullback) -> dict[str, Any]:
    return {
        "pullback": pullback.pk,
        "subject_code": pullback.subject.code,
        "timepoint": pullback.timepoint,
        "lesion": pullback.lesion,
    }


def pullback_rows(study: Study) -> list[dict[str, Any]]:
    """One row per pullback with consensus: each metric followed by ``<metric>_source``."""
    rows = []
    consensus_qs = (
        Consensus.objects.filter(pullback__study=study)
        .select_related("pullback__subject")
        .order_by("pullback_id")
    )
    for consensus in consensus_qs:
        row = {**_identity(consensus.pullback), "status": consensus.pullback.status}
        for metric in READ_METRICS:
            row[metric.name] = getattr(consensus, metric.name)
            row[f"{metric.name}_source"] = getattr(consensus, f"{metric.name}_source")
        rows.append(row)
    return rows


def reader_rows(study: Study) -> list[dict[str, Any]]:
    """One row per submitted reader read with metrics (for agreement work)."""
    rows = []
    qs = (
        ReadMetrics.objects.filter(read__pullback__study=study, read__kind=ReadKind.READER)
        .select_related("read__pullback__subject", "read__reader")
        .order_by("read__pullback_id", "read__slot")
    )
    for metrics in qs:
        read = metrics.read
        row = {
            **_identity(read.pullback),
            "reader": read.label,
            "analyst": read.reader.username,
        }
        row.update({m.name: getattr(metrics, m.name) for m in READ_METRICS})
        rows.append(row)
    return rows


def frame_rows(study: Study) -> list[dict[str, Any]]:
    """One row per annotated frame per read."""
    rows = []
    qs = (
        FrameMetrics.objects.filter(read__pullback__study=study)
        .select_related("read__pullback__subject")
        .order_by("read__pullback_id", "read__slot", "frame")
    )
    for fm in qs:
        read = fm.read
        row = {
            **_identity(read.pullback),
            "reader": read.label,
            "frame": fm.frame,
            "is_analysis_frame": fm.is_analysis_frame,
        }
        row.update({m.name: getattr(fm, m.name) for m in FRAME_METRICS})
        rows.append(row)
    return rows


ROWS = {"pullback": pullback_rows, "reader": reader_rows, "frame": frame_rows}


def export_dataset(study: Study, level: str) -> dict[str, Any]:
    columns = [c["name"] for c in data_dictionary(level)]
    return {
        "study": study.code,
        "level": level,
        "settings": study.settings,
        "columns": columns,
        "rows": ROWS[level](study),
        "dictionary": data_dictionary(level),
    }


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return neutralise(value)


def to_csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def to_json(dataset: dict[str, Any]) -> str:
    return json.dumps(dataset, indent=1, default=str)


def to_xlsx(dataset: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    data = wb.active
    data.title = "data"
    data.append(dataset["columns"])
    for row in dataset["rows"]:
        data.append([neutralise(row.get(c)) for c in dataset["columns"]])
    dictionary = wb.create_sheet("dictionary")
    dictionary.append(["name", "unit", "definition"])
    for entry in dataset["dictionary"]:
        dictionary.append([entry["name"], entry["unit"], entry["definition"]])
    settings_sheet = wb.create_sheet("settings")
    settings_sheet.append(["setting", "value"])
    for key, value in sorted(dataset["settings"].items()):
        settings_sheet.append([key, json.dumps(value) if isinstance(value, dict) else value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
