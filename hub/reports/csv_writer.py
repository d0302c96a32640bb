"""The hub's one CSV writer, with protection against formulas (CSV injection), for every CSV it hands out: the
volume feed, the reports (plain and Dutch Excel) and the dashboard's history download.

A spreadsheet runs a cell as a formula when its text starts with ``=``, ``+``, ``-`` or ``@`` (and some also
after a tab, a CR or LF, or leading spaces, or with the full-width forms ``＝ ＋ － ＠`` that an input method
types). Names in our CSVs come from configuration and from partners (a category, a municipality), and a CSV is
opened by people who did not write them: a text cell that a spreadsheet could read as a formula gets a leading
``'``, which makes it text to Excel and LibreOffice and shows the name as it was.

Only text cells are escaped. Numbers are written by the hub itself: ints, and ``Number`` for numbers the caller
formatted (kg with a decimal comma), which must look like a number (``-0.125``, ``1234,567``) or writing fails,
so a negative weight stays a negative number in its column and no text can pass as a number.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

# What a formula starts with, once NFKC has folded the full-width and small forms (＝ ﹦ -> =) onto these.
FORMULA_START = frozenset("=+-@")
# Characters that start a formula on their own, or hide one behind them in some spreadsheets.
CONTROL_START = frozenset("\t\r\n")
BOM = "\ufeff"
_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


class Dialect(StrEnum):
    PLAIN = "plain"  # comma, decimal point: RFC 4180 for programs
    DUTCH = "dutch"  # semicolon, decimal comma (the caller's), UTF-8 with BOM: what Dutch Excel opens correctly


class Number(str):
    """A number the caller formatted itself; written as it is."""

    __slots__ = ()

    def __new__(cls, text: str) -> Number:
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"not a number: {text!r}")
        return super().__new__(cls, text)


Cell = str | int | date | None


def _significant(value: str) -> str:
    """The first character a spreadsheet would look at, past spaces and invisible characters (a zero-width
    space, a BOM); "" for a blank cell."""
    for char in value:
        if not (char.isspace() or unicodedata.category(char) in ("Cc", "Cf")):
            return char
    return ""


def is_formula(value: str) -> bool:
    if value[:1] in CONTROL_START:
        return True
    return unicodedata.normalize("NFKC", _significant(value))[:1] in FORMULA_START


def safe_text(value: str) -> str:
    """A text cell as a spreadsheet will show it, never run it."""
    return f"'{value}" if is_formula(value) else value


def cell(value: Cell) -> str:
    # bool is an int too, and would be written "True": not a number a CSV should carry.
    if isinstance(value, bool):
        return safe_text(str(value))
    if value is None:
        return ""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(value)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]], dialect: Dialect = Dialect.PLAIN) -> bytes:
    """The whole file, UTF-8, CRLF line ends (RFC 4180); the Dutch dialect starts with a BOM."""
    dutch = dialect is Dialect.DUTCH
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if dutch else ",", lineterminator="\r\n")
    writer.writerow([safe_text(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return ((BOM if dutch else "") + out.getvalue()).encode("utf-8")
