"""Every cell a spreadsheet could evaluate as a formula is neutralised (issue 12, finding 8):
ASCII triggers, full-width look-alikes, leading control characters and whitespace; numbers
stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from adjudication.exports import tabular

TRIGGERS = [
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\x01=cmd|' /C calc'!A0",
    "\x00=1",
    "\x1b=1",
    "\u200b=1",  # zero-width space (format character) before the formula
    "\u00a0=1",  # no-break space
    " =1",
    "\uff1d1+2",  # full-width ＝
    "\uff0b1",  # full-width ＋
    "\uff0d1",  # full-width －
    "\uff20SUM(A1)",  # full-width ＠
    "\ufe62\u0031",  # small plus sign, NFKC-folds to +
]


@pytest.mark.parametrize("value", TRIGGERS, ids=[repr(v) for v in TRIGGERS])
def test_it_neutralises_every_formula_trigger(value: str) -> None:
    text = tabular.to_csv(["lesion"], [{"lesion": value}])
    cell = next(iter(csv.DictReader(io.StringIO(text))))["lesion"]
    assert cell == "'" + value


@pytest.mark.parametrize("value", ["LAD", "S-0042", "ostium = 1", "1.5", "é", ""])
def test_it_leaves_ordinary_text_alone(value: str) -> None:
    assert tabular.neutralise(value) == value


@pytest.mark.parametrize("value", [-12.5, -3, 0, 1.25, True, None])
def test_numbers_and_booleans_stay_as_they_are(value: object) -> None:
    assert tabular.neutralise(value) is value
