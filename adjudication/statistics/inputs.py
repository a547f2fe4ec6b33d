"""Inputs of the study statistics (SPEC §13): clinical covariates and consensus rows.

Both the app (rows read from the database) and ``manage.py study_statistics`` (rows read from
exported CSV files) go through the same coercion here, so the same data gives the same
numbers whichever way it arrives. Pure Python + the standard library: no Django.

Clinical CSV: a header ``subject_code,<columns>`` and one row per subject. Each column is
numeric, yes/no (yes/no, y/n, true/false, 1/0) or a text category (e.g. sex); its kind is
inferred from its values, and a value that does not fit a column the other values define
(``6o`` in a numeric column) is an error on that row, never a silent change of kind.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adjudication.domain.metric_defs import READ_METRICS, Kind

NUMERIC = "numeric"
YES_NO = "yes_no"
CATEGORY = "category"
COLUMN_KINDS = (NUMERIC, YES_NO, CATEGORY)

MISSING = frozenset({"", "na", "n/a", "nan", ".", "null", "none", "missing"})
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "1.0"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "0.0"})
MAX_CATEGORY_LEVELS = 20
MAX_COLUMNS = 100
MAX_ROWS = 20_000
COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SURVIVAL_SUFFIX = "_days"

IDENTITY_COLUMNS = frozenset({"subject_code", "pullback", "timepoint", "lesion", "status"})
METRIC_KINDS: dict[str, Kind] = {m.name: m.kind for m in READ_METRICS}
RESERVED_COLUMNS = frozenset(IDENTITY_COLUMNS | set(METRIC_KINDS) | {"settings_ref"})
# Values the pullback-level export neutralised for spreadsheets (SPEC §10) get their
# apostrophe back off when the file is read again.
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


class InputInvalid(Exception):
    """The input file is unusable; ``errors`` lists ``{row, column, message}`` (row 1 = header)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        first = errors[0] if errors else {"message": "invalid input"}
        where = f"row {first['row']}: " if first.get("row") else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{where}{first['message']}{more}")


@dataclass
class ClinicalTable:
    """Validated covariates: ``columns`` {name: kind} in file order, ``rows`` {subject: values}."""

    columns: dict[str, str] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def survival_pairs(self) -> list[str]:
        """Event names ``e`` with a yes/no column ``e`` and a numeric ``e_days`` column."""
        return [
            name[: -len(SURVIVAL_SUFFIX)]
            for name, kind in self.columns.items()
            if name.endswith(SURVIVAL_SUFFIX)
            and kind == NUMERIC
            and self.columns.get(name[: -len(SURVIVAL_SUFFIX)]) == YES_NO
        ]

    def as_rows(self) -> list[dict[str, Any]]:
        return [{"subject_code": code, **values} for code, values in self.rows.items()]


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING


def as_bool(value: Any) -> bool | None:
    """yes/no, y/n, true/false, 1/0 (any case) → bool; anything else → None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


def as_number(value: Any) -> float | None:
    """A finite number (bool excluded) → float; anything else → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _unneutralise(value: str) -> str:
    return value[1:] if value.startswith(_NEUTRALISED) else value


def _infer_kind(name: str, values: list[str]) -> str:
    """The kind most of a column's present values agree on (``*_days`` of 0/1 stay numbers)."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return NUMERIC
    n_bool = sum(as_bool(v) is not None for v in present)
    n_num = sum(as_number(v) is not None for v in present)
    if name.endswith(SURVIVAL_SUFFIX) and n_num == len(present):
        return NUMERIC
    if n_bool == len(present):
        return YES_NO
    if n_num == len(present):
        return NUMERIC
    words = [v for v in present if as_number(v) is None and as_bool(v) is None]
    if n_num > len(words):
        return NUMERIC
    if n_bool > len(words):
        return YES_NO
    return CATEGORY


def _coerce(value: str, kind: str) -> tuple[Any, str | None]:
    """(value, error message) for one cell of a column of ``kind``."""
    if is_missing(value):
        return None, None
    if kind == YES_NO:
        flag = as_bool(value)
        return (flag, None) if flag is not None else (None, f"{value!r} is not yes/no")
    if kind == NUMERIC:
        number = as_number(value)
        return (number, None) if number is not None else (None, f"{value!r} is not a number")
    return value.strip(), None


def _read_csv(text: str) -> list[list[str]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputInvalid(
            [{"row": None, "column": None, "message": f"not a CSV file: {exc}"}]
        ) from None


def _header(raw: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    names = [h.strip().lower() for h in raw]
    errors: list[dict[str, Any]] = []
    if not names or names[0] != "subject_code":
        errors.append(
            {"row": 1, "column": None, "message": "the first column must be subject_code"}
        )
    if len(names) < 2:
        errors.append({"row": 1, "column": None, "message": "no covariate columns"})
    if len(names) > MAX_COLUMNS + 1:
        errors.append({"row": 1, "column": None, "message": f"more than {MAX_COLUMNS} columns"})
    seen: set[str] = set()
    for name in names[1:]:
        if name in seen:
            errors.append({"row": 1, "column": name, "message": f"column {name!r} appears twice"})
        seen.add(name)
        if not COLUMN_NAME.match(name):
            errors.append(
                {
                    "row": 1,
                    "column": name,
                    "message": f"column {name!r}: use a letter then letters, digits or _ "
                    "(at most 40 characters)",
                }
            )
        elif name in RESERVED_COLUMNS:
            errors.append(
                {
                    "row": 1,
                    "column": name,
                    "message": f"column {name!r} is a consensus metric or identity column",
                }
            )
    return names, errors


def parse_clinical_csv(  # noqa: C901 - one pass of row checks, each with its own message
    text: str, *, known_subjects: Iterable[str] | None = None
) -> ClinicalTable:
    """Validate a clinical covariate CSV; raise :class:`InputInvalid` listing every bad row.

    ``known_subjects`` (the study's subject codes) makes an unknown code an error, so a typo
    in a code cannot silently drop a patient from the analysis.
    """
    table = _read_csv(text)
    table = [r for r in table if any(cell.strip() for cell in r)]
    if not table:
        raise InputInvalid([{"row": None, "column": None, "message": "the file is empty"}])
    names, errors = _header(table[0])
    if errors:
        raise InputInvalid(errors)
    body = table[1:]
    if not body:
        raise InputInvalid([{"row": None, "column": None, "message": "no subject rows"}])
    if len(body) > MAX_ROWS:
        raise InputInvalid([{"row": None, "column": None, "message": f"over {MAX_ROWS} rows"}])
    known = set(known_subjects) if known_subjects is not None else None
    columns = names[1:]
    cells: list[list[str]] = []
    for index, raw in enumerate(body, start=2):
        if len(raw) != len(names):
            errors.append(
                {
                    "row": index,
                    "column": None,
                    "message": f"{len(raw)} cells where the header has {len(names)}",
                }
            )
            raw = (raw + [""] * len(names))[: len(names)]
        cells.append(raw)
    kinds = {
        name: _infer_kind(name, [row[i + 1] for row in cells]) for i, name in enumerate(columns)
    }
    for name, kind in kinds.items():
        if kind == CATEGORY:
            levels = {row[columns.index(name) + 1].strip() for row in cells} - {""}
            if len(levels) > MAX_CATEGORY_LEVELS:
                errors.append(
                    {
                        "row": None,
                        "column": name,
                        "message": f"column {name!r} has {len(levels)} different texts; a "
                        f"category column may have at most {MAX_CATEGORY_LEVELS}",
                    }
                )
    seen: set[str] = set()
    lines: dict[str, int] = {}
    result = ClinicalTable(columns=kinds)
    for index, raw in enumerate(cells, start=2):
        code = raw[0].strip()
        if not code:
            errors.append(
                {"row": index, "column": "subject_code", "message": "subject_code is empty"}
            )
            continue
        if code in seen:
            errors.append(
                {"row": index, "column": "subject_code", "message": f"{code} appears twice"}
            )
            continue
        seen.add(code)
        lines[code] = index
        if known is not None and code not in known:
            errors.append(
                {
                    "row": index,
                    "column": "subject_code",
                    "message": f"{code} is not a subject of this study",
                }
            )
        values: dict[str, Any] = {}
        for name, cell in zip(columns, raw[1:], strict=True):
            value, problem = _coerce(cell, kinds[name])
            if problem:
                errors.append(
                    {
                        "row": index,
                        "column": name,
                        "message": f"{name}: {problem} (the column's other values are "
                        f"{kinds[name].replace('_', '/')})",
                    }
                )
            values[name] = value
        result.rows[code] = values
    errors += _survival_errors(result, lines)
    if errors:
        raise InputInvalid(errors)
    return result


def _survival_errors(table: ClinicalTable, lines: dict[str, int]) -> list[dict[str, Any]]:
    """``<event>_days`` needs a yes/no ``<event>`` beside it, non-negative days, and days
    wherever the event is yes."""
    errors: list[dict[str, Any]] = []
    for name, kind in table.columns.items():
        if not name.endswith(SURVIVAL_SUFFIX):
            continue
        event = name[: -len(SURVIVAL_SUFFIX)]
        if kind != NUMERIC:
            errors.append({"row": None, "column": name, "message": f"{name} must be numbers"})
            continue
        if table.columns.get(event) != YES_NO:
            errors.append(
                {
                    "row": None,
                    "column": name,
                    "message": f"{name} needs a yes/no column {event!r} (the event) beside it",
                }
            )
            continue
        for code, values in table.rows.items():
            row_index = lines[code]
            days = values.get(name)
            if days is not None and days < 0:
                errors.append(
                    {"row": row_index, "column": name, "message": f"{code}: {name} is negative"}
                )
            if values.get(event) is not None and days is None:
                errors.append(
                    {
                        "row": row_index,
                        "column": name,
                        "message": f"{code}: {event} is given but {name} is empty",
                    }
                )
    return errors


def clinical_from_stored(
    columns: Mapping[str, str], rows: Mapping[str, Mapping[str, Any]]
) -> ClinicalTable:
    """A :class:`ClinicalTable` from stored (already validated) columns and values."""
    return ClinicalTable(
        columns=dict(columns), rows={code: dict(values) for code, values in rows.items()}
    )


def coerce_consensus_value(name: str, value: Any) -> Any:
    """One pullback-level value in canonical form: bool for yes/no metrics, float for
    numbers, str for identity columns, None when missing (SPEC §13: booleans may be
    True/False, yes/no or 1/0)."""
    if isinstance(value, str):
        value = _unneutralise(value)
    if is_missing(value):
        return None
    kind = METRIC_KINDS.get(name)
    if kind is Kind.BOOLEAN:
        flag = as_bool(value)
        if flag is None:
            raise ValueError(f"{name}: {value!r} is not True/False, yes/no or 1/0")
        return flag
    if kind is not None:
        number = as_number(value)
        if number is None:
            raise ValueError(f"{name}: {value!r} is not a number")
        return number
    if name == "pullback":
        number = as_number(value)
        return int(number) if number is not None else str(value)
    return str(value).strip()


def coerce_consensus_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Canonical consensus rows (identity and metric columns only; ``*_source`` dropped)."""
    result = []
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(rows, start=2):
        clean: dict[str, Any] = {}
        for name, value in row.items():
            if name not in IDENTITY_COLUMNS and name not in METRIC_KINDS:
                continue
            try:
                clean[name] = coerce_consensus_value(name, value)
            except ValueError as exc:
                errors.append({"row": index, "column": name, "message": str(exc)})
        if not clean.get("subject_code"):
            errors.append({"row": index, "column": "subject_code", "message": "no subject_code"})
        result.append(clean)
    if errors:
        raise InputInvalid(errors)
    return result


def parse_consensus_csv(text: str) -> list[dict[str, Any]]:
    """Rows of the pullback-level export CSV (SPEC §10), coerced as :func:`coerce_consensus_rows`."""
    table = _read_csv(text)
    if not table:
        raise InputInvalid([{"row": None, "column": None, "message": "the file is empty"}])
    header = [h.strip() for h in table[0]]
    if "subject_code" not in header:
        raise InputInvalid([{"row": 1, "column": None, "message": "no subject_code column"}])
    rows = [dict(zip(header, r, strict=False)) for r in table[1:] if any(c.strip() for c in r)]
    return coerce_consensus_rows(rows)
