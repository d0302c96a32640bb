"""The one CSV writer of feed, reports and history: a text cell that a spreadsheet could run as a formula is
written as text, whatever hides the formula (spaces, line breaks, full-width signs); numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from hub.reports.csv_writer import BOM, Dialect, Number, is_formula, safe_text, write_csv

FORMULAS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\tplain",  # a tab or line break in front is refused on its own
    " =1+1",
    "   +cmd|' /C calc'!A0",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    "\u200b=1+1",  # zero-width space
    "\ufeff=1+1",
    "＝1+1",  # full-width forms, which NFKC reads as = + - @
    "＋1",
    "－1",
    "＠SUM(A1)",
    "﹦1+1",  # small equals sign
    '=HYPERLINK("http://x";"klik")',
]
PLAIN = ["Dalfsen", "creme", "", "a=b", "1+1", "2026-10-01", "kg - gewogen", "e-mail@x"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formulas_in_any_disguise_become_text(text: str) -> None:
    assert is_formula(text)
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_left_alone(text: str) -> None:
    assert safe_text(text) == text


def test_numbers_stay_numbers_and_text_cannot_pass_as_one() -> None:
    raw = write_csv(
        ["name", "kg", "items", "day", "none"],
        [["-hostile", Number("-0.125"), -3, date(2026, 10, 1), None], ["=x", Number("1234,567"), 0, None, "ok"]],
    )
    rows = list(csv.reader(io.StringIO(raw.decode())))
    assert rows[1] == ["'-hostile", "-0.125", "-3", "2026-10-01", ""]  # a negative weight is not escaped
    assert rows[2] == ["'=x", "1234,567", "0", "", "ok"]
    for bad in ["=1+1", "-1+1", "1e5", " 1", "1.", "", "－1"]:
        with pytest.raises(ValueError, match="not a number"):
            Number(bad)


def test_dutch_dialect_has_a_bom_and_semicolons_and_both_protect() -> None:
    rows = [[" =1+1", Number("0,5")]]
    dutch = write_csv(["name", "kg"], rows, Dialect.DUTCH).decode("utf-8")
    plain = write_csv(["name", "kg"], rows).decode("utf-8")
    assert dutch.startswith(BOM) and not plain.startswith(BOM)
    assert list(csv.reader(io.StringIO(dutch.removeprefix(BOM)), delimiter=";"))[1] == ["' =1+1", "0,5"]
    assert list(csv.reader(io.StringIO(plain)))[1] == ["' =1+1", "0,5"]
    assert plain.endswith("\r\n")
