"""Export writers (SPEC §10): rows per pullback, frame or reader; CSV, XLSX, JSON and a zip.

Every export carries its data dictionary and the study settings its rows were computed with.
Each row names those settings by ``settings_ref`` (a short digest of the frozen
``settings_used`` JSON), and the settings part lists every referenced set in full plus the
study's current settings, so a row computed before a settings change says so.

Rows are read with ``values_list`` (no model instances): the pullback level is two queries,
the frame and reader levels two, whatever the study's size.

Cells that are *strings* starting with ``= + - @`` (or a tab / carriage return) get a leading
apostrophe in CSV and XLSX so no spreadsheet evaluates them; numbers are never touched, so a
negative value stays a number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS
from adjudication.models import Consensus, FrameMetrics, ReadMetrics, Study
from adjudication.models.reading import ReadKind

from .dictionary import LEVELS, columns, data_dictionary, settings_dictionary

# A spreadsheet treats a cell as a formula when its first character is one of these (after
# NFKC folding: a full-width ＝ ＋ － ＠ is evaluated like its ASCII twin by some spreadsheet
# apps), and some also skip leading whitespace or control characters before looking.
FORMULA_TRIGGERS = frozenset("=+-@")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_formula_like(value: str) -> bool:
    """True when a spreadsheet could read ``value`` as a formula (OWASP CSV injection rules,
    widened): it starts with a control character (tab, CR, \x01 …), any whitespace or
    invisible format character, or — folded with NFKC — with ``= + - @``."""
    if not value:
        return False
    first = value[0]
    if first.isspace() or unicodedata.category(first) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return True
    return unicodedata.normalize("NFKC", first)[:1] in FORMULA_TRIGGERS


def neutralise(value: Any) -> Any:
    """A string a spreadsheet could evaluate (see ``_is_formula_like``) gets a leading
    apostrophe; other values (numbers, booleans, None) are returned unchanged, so ``-1.5``
    stays a number."""
    if isinstance(value, str) and _is_formula_like(value):
        return "'" + value
    return value


def settings_ref(settings: dict[str, Any]) -> str:
    """A stable 12-hex-digit key of a settings mapping (sha256 of its canonical JSON)."""
    canonical = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


@dataclass
class Dataset:
    """One export: its rows in column order, its dictionary and the settings behind it."""

    study_code: str
    level: str
    columns: list[str]
    rows: list[dict[str, Any]]
    dictionary: list[dict[str, str]]
    current_settings: dict[str, Any]
    settings_used: dict[str, dict[str, Any]] = field(default_factory=dict)

    def settings_document(self) -> dict[str, Any]:
        """``{current: {settings_ref, settings}, used: {ref: settings}, definitions: [{name,
        unit, definition}]}`` (settings.json)."""
        return {
            "current": {
                "settings_ref": settings_ref(self.current_settings),
                "settings": self.current_settings,
            },
            "used": self.settings_used,
            "definitions": settings_dictionary(),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "study": self.study_code,
            "level": self.level,
            "columns": self.columns,
            "dictionary": self.dictionary,
            "settings": self.settings_document(),
            "rows": self.rows,
        }


class _Refs:
    """Collects the distinct settings mappings seen in rows, keyed by :func:`settings_ref`."""

    def __init__(self) -> None:
        self.used: dict[str, dict[str, Any]] = {}
        self._by_text: dict[str, str] = {}

    def ref(self, settings: dict[str, Any] | None) -> str:
        settings = settings or {}
        text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
        ref = self._by_text.get(text)
        if ref is None:
            ref = hashlib.sha256(text.encode()).hexdigest()[:12]
            self._by_text[text] = ref
            self.used[ref] = settings
        return ref


_IDENTITY = (
    "pullback_id",
    "pullback__subject__code",
    "pullback__timepoint",
    "pullback__lesion",
)
_IDENTITY_NAMES = ("pullback", "subject_code", "timepoint", "lesion")


def _label(kind: str, slot: int) -> str:
    return "Adjudicator" if kind == ReadKind.ADJUDICATOR else f"Reader {slot}"


def pullback_rows(study: Study, refs: _Refs) -> list[dict[str, Any]]:
    """One row per pullback with a consensus: each metric followed by ``<metric>_source``."""
    metric_fields = []
    for m in READ_METRICS:
        metric_fields += [m.name, f"{m.name}_source"]
    names = (*_IDENTITY_NAMES, "status", "settings_used", *metric_fields)
    qs = (
        Consensus.objects.filter(pullback__study=study)
        .order_by("pullback_id")
        .values_list(*_IDENTITY, "pullback__status", "settings_used", *metric_fields)
    )
    rows = []
    for values in qs:
        row = dict(zip(names, values, strict=True))
        row["settings_ref"] = refs.ref(row.pop("settings_used"))
        rows.append(row)
    return rows


def reader_rows(study: Study, refs: _Refs) -> list[dict[str, Any]]:
    """One row per measured reader read (Reader 1, Reader 2), for agreement work."""
    metric_fields = [m.name for m in READ_METRICS]
    names = (*_IDENTITY_NAMES, "slot", "analyst", "settings_used", *metric_fields)
    qs = (
        ReadMetrics.objects.filter(read__pullback__study=study, read__kind=ReadKind.READER)
        .order_by("read__pullback_id", "read__slot")
        .values_list(
            *(f"read__{f}" for f in _IDENTITY),
            "read__slot",
            "read__reader__username",
            "settings_used",
            *metric_fields,
        )
    )
    rows = []
    for values in qs:
        row = dict(zip(names, values, strict=True))
        row["reader"] = f"Reader {row.pop('slot')}"
        row["settings_ref"] = refs.ref(row.pop("settings_used"))
        rows.append(row)
    return rows


def frame_rows(study: Study, refs: _Refs) -> list[dict[str, Any]]:
    """One row per annotated frame of every measured read, labelled Reader 1 / Reader 2 /
    Adjudicator (the adjudicator's own read, when one was stored)."""
    ref_by_read = {
        read_id: refs.ref(settings_used)
        for read_id, settings_used in ReadMetrics.objects.filter(
            read__pullback__study=study
        ).values_list("read_id", "settings_used")
    }
    metric_fields = [m.name for m in FRAME_METRICS]
    names = (
        "read_id",
        *_IDENTITY_NAMES,
        "slot",
        "kind",
        "frame",
        "is_analysis_frame",
        *metric_fields,
    )
    qs = (
        FrameMetrics.objects.filter(read__pullback__study=study)
        .order_by("read__pullback_id", "read__slot", "frame")
        .values_list(
            "read_id",
            *(f"read__{f}" for f in _IDENTITY),
            "read__slot",
            "read__kind",
            "frame",
            "is_analysis_frame",
            *metric_fields,
        )
    )
    rows = []
    for values in qs:
        row = dict(zip(names, values, strict=True))
        row["reader"] = _label(row.pop("kind"), row.pop("slot"))
        row["settings_ref"] = ref_by_read.get(row.pop("read_id"), "")
        rows.append(row)
    return rows


ROWS = {"pullback": pullback_rows, "reader": reader_rows, "frame": frame_rows}


def export_dataset(study: Study, level: str) -> Dataset:
    """The rows of ``study`` at ``level`` with their dictionary and settings (SPEC §10)."""
    if level not in LEVELS:
        raise ValueError(f"unknown export level {level!r}")
    refs = _Refs()
    rows = ROWS[level](study, refs)
    return Dataset(
        study_code=study.code,
        level=level,
        columns=columns(level),
        rows=rows,
        dictionary=data_dictionary(level),
        current_settings=study.settings,
        settings_used=refs.used,
    )


# Writers --------------------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    return "" if value is None else neutralise(value)


def to_csv(column_names: list[str], rows: list[dict[str, Any]]) -> str:
    """CSV text: one header row, then one line per row; None → empty cell; neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(column_names)
    writer.writerows([_csv_cell(row.get(c)) for c in column_names] for row in rows)
    return out.getvalue()


def dictionary_csv(level: str) -> str:
    return to_csv(["name", "unit", "definition"], data_dictionary(level))


def _flatten(settings: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in sorted(settings.items()):
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            items.extend(_flatten(value, f"{name}."))
        else:
            items.append((name, value))
    return items


SETTINGS_COLUMNS = ["settings_ref", "is_current", "setting", "value"]


def settings_rows(dataset: Dataset) -> list[dict[str, Any]]:
    """The settings part as a table: one row per (settings set, setting), tolerances as
    ``tolerances.<metric>.abs|rel``; ``is_current`` marks the study's current settings."""
    current_ref = settings_ref(dataset.current_settings)
    sets = dict(dataset.settings_used)
    sets.setdefault(current_ref, dataset.current_settings)
    return [
        {"settings_ref": ref, "is_current": ref == current_ref, "setting": name, "value": value}
        for ref, settings in sets.items()
        for name, value in _flatten(settings)
    ]


def settings_csv(dataset: Dataset) -> str:
    return to_csv(SETTINGS_COLUMNS, settings_rows(dataset))


def to_json(dataset: Dataset) -> str:
    return json.dumps(dataset.as_json(), ensure_ascii=False, default=str)


def _xlsx_cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def to_xlsx(dataset: Dataset) -> bytes:
    """A workbook with sheets ``data`` (one header row), ``dictionary`` and ``settings``."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheets: list[tuple[str, list[str], list[dict[str, Any]]]] = [
        ("data", dataset.columns, dataset.rows),
        ("dictionary", ["name", "unit", "definition"], dataset.dictionary),
        ("settings", SETTINGS_COLUMNS, settings_rows(dataset)),
    ]
    for title, header, rows in sheets:
        sheet = wb.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([_xlsx_cell(row.get(c)) for c in header])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_zip(dataset: Dataset, extra: Sequence[tuple[str, bytes]] = ()) -> bytes:
    """``data.csv``, ``dictionary.csv``, ``settings.csv`` and ``settings.json`` in one zip,
    plus ``extra`` ``(name, bytes)`` files (the DICOM SR reports, ``sr/…``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.csv", to_csv(dataset.columns, dataset.rows))
        archive.writestr("dictionary.csv", dictionary_csv(dataset.level))
        archive.writestr("settings.csv", settings_csv(dataset))
        archive.writestr(
            "settings.json", json.dumps(dataset.settings_document(), indent=1, sort_keys=True)
        )
        for name, data in extra:
            archive.writestr(name, data)
    return out.getvalue()


def export_csv(study: Study, level: str) -> bytes:
    """The data part of a CSV export as UTF-8 bytes (what ``format=csv`` answers)."""
    dataset = export_dataset(study, level)
    return to_csv(dataset.columns, dataset.rows).encode("utf-8")
