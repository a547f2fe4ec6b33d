"""Upload manifests (pure): a CSV naming, for each uploaded file, its subject, timepoint and lesion.

A coordinator loading many pullbacks at once sends the files (or a zip of them) with a manifest::

    file,subject_code,timepoint,lesion
    run-01.dcm,S-0001,baseline,LAD
    run-02.dcm,S-0002,follow_up,

``file`` is the uploaded file's name, or for a zip member its path inside the archive (or just
its base name when that is unique in the upload). Every row is checked, and all problems are
reported together, one per row (``row 3: timepoint 'fu' is not one of …``), so a coordinator
fixes the sheet once. Matching the rows to the uploaded files is ``match_manifest``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from adjudication.domain.errors import FieldError

SUBJECT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
REQUIRED_COLUMNS = ("file", "subject_code", "timepoint")
OPTIONAL_COLUMNS = ("lesion",)
MAX_LESION_CHARS = 60
MAX_ROWS = 2000
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class ManifestRow:
    """One line of the manifest (``line`` is the 1-based line in the CSV, header = 1)."""

    line: int
    file: str
    subject_code: str
    timepoint: str
    lesion: str = ""


class ManifestInvalid(FieldError):
    """The manifest is refused; ``problems`` holds one message per bad row or mismatch."""

    code = "manifest_invalid"

    def __init__(self, problems: Sequence[str], *, code: str | None = None) -> None:
        shown = list(problems[:MAX_ERRORS_SHOWN])
        if len(problems) > MAX_ERRORS_SHOWN:
            shown.append(f"… and {len(problems) - MAX_ERRORS_SHOWN} more")
        super().__init__("manifest", "; ".join(shown), code=code)
        self.problems = shown


def _refuse(problems: Sequence[str], code: str = "manifest_invalid") -> ManifestInvalid:
    return ManifestInvalid(problems, code=code)


def _basename(name: str) -> str:
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _read_header(text: str) -> tuple[list[str], list[list[str]]]:
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        records = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise _refuse([f"the CSV cannot be read ({exc})"]) from exc
    header = [h.strip().lower() for h in records[0]] if records else []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        expected = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        raise _refuse([f"the header lacks column(s) {', '.join(missing)} (expected {expected})"])
    unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise _refuse([f"unknown column(s) {', '.join(unknown)}"])
    return header, records[1:]


def _row_problems(
    file: str,
    subject: str,
    timepoint: str,
    lesion: str,
    *,
    seen: dict[str, int],
    allowed: list[str],
) -> list[str]:
    problems = []
    if not file:
        problems.append("file is empty")
    elif file in seen:
        problems.append(f"file {file!r} is already listed on row {seen[file]}")
    if not SUBJECT_CODE_RE.match(subject):
        problems.append(f"subject_code {subject!r} must be 1-40 letters, digits, '-', '_' or '.'")
    if timepoint not in allowed:
        problems.append(f"timepoint {timepoint!r} is not one of {', '.join(allowed)}")
    if len(lesion) > MAX_LESION_CHARS:
        problems.append(f"lesion is longer than {MAX_LESION_CHARS} characters")
    return problems


def parse_manifest(text: str, *, timepoints: Iterable[str]) -> list[ManifestRow]:
    """The rows of a manifest CSV; raises ``ManifestInvalid`` (field ``manifest``) listing
    every bad row. Headers are case-insensitive; blank lines are skipped; ``lesion`` is
    optional; comma, semicolon and tab separators are recognised."""
    allowed = list(timepoints)
    text = text.lstrip("\ufeff")  # spreadsheet programs write a byte-order mark
    if not text.strip():
        raise _refuse(["the manifest is empty"], code="manifest_empty")
    header, records = _read_header(text)
    if len(records) > MAX_ROWS:
        raise _refuse([f"the manifest has more than {MAX_ROWS} rows"])
    rows: list[ManifestRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            problems.append(f"row {line}: {len(record)} values for {len(header)} columns")
            continue
        cells = dict(zip(header, (c.strip() for c in record), strict=False))
        values = [cells.get(name, "") for name in ("file", "subject_code", "timepoint", "lesion")]
        row_problems = _row_problems(*values, seen=seen, allowed=allowed)
        if row_problems:
            problems.append(f"row {line}: {'; '.join(row_problems)}")
            continue
        seen[values[0]] = line
        rows.append(ManifestRow(line, *values))
    if problems:
        raise _refuse(problems)
    if not rows:
        raise _refuse(["the manifest lists no file"], code="manifest_empty")
    return rows


def match_manifest(rows: Sequence[ManifestRow], names: Sequence[str]) -> list[ManifestRow]:
    """The manifest row for each uploaded DICOM, in the order of ``names``.

    ``names`` are the staged names: a plain file's name, or ``archive.zip/path/in/zip`` for a
    zip member. A row matches a name equal to it, a zip member by its path inside the archive,
    or either by its base name when that base name is unique in the upload. Every file needs
    exactly one row and every row exactly one file; else ``FieldError`` lists each mismatch.
    """
    keys: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        candidates = {name, _basename(name)}
        if "/" in name:
            candidates.add(name.split("/", 1)[1])
        for key in candidates:
            keys.setdefault(key, []).append(i)
    chosen: dict[int, ManifestRow] = {}
    problems: list[str] = []
    for row in rows:
        hits = sorted(set(keys.get(row.file, [])))
        if not hits:
            problems.append(f"row {row.line}: no uploaded file is named {row.file!r}")
        elif len(hits) > 1:
            problems.append(
                f"row {row.line}: {row.file!r} names {len(hits)} uploaded files; "
                "give the path inside the archive"
            )
        elif hits[0] in chosen:
            problems.append(
                f"row {row.line}: {names[hits[0]]!r} is already given on row {chosen[hits[0]].line}"
            )
        else:
            chosen[hits[0]] = row
    for i, name in enumerate(names):
        if i not in chosen:
            problems.append(f"file {name!r} is not listed in the manifest")
    if problems:
        raise _refuse(problems, code="manifest_mismatch")
    return [chosen[i] for i in range(len(names))]
