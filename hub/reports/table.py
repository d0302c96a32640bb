"""What a report is: a table of typed cells with its columns, rows and notes; render.py decides how each cell
looks in CSV and HTML.

Every amount is an integer number of grams from the first sum to the last total; a share or a kilogram figure
is made only when a cell is written (hub/reports/render.py). So a report's totals equal the stored events to
the gram, and on paper the lines add up to the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class ReportKind(StrEnum):
    BKN = "bkn"
    UPV_TEXTIEL = "upv-textiel"
    CBS = "cbs"
    CO2E = "co2e"


@dataclass(frozen=True, slots=True)
class Text:
    value: str
    en: str = ""  # the English name under the Dutch one on the page (CSV writes ``value`` only)


@dataclass(frozen=True, slots=True)
class Kg:
    grams: int


@dataclass(frozen=True, slots=True)
class Count:
    value: int


@dataclass(frozen=True, slots=True)
class KgShare:
    """An amount and its share of a whole (both grams): CSV writes two columns, kg and percent."""

    grams: int
    whole: int


@dataclass(frozen=True, slots=True)
class Factor:
    """kg CO2e avoided per kg, as written in the reference data; None: the category has no factor."""

    value: Decimal | None


Cell = Text | Kg | Count | KgShare | Factor


class RowKind(StrEnum):
    DATA = "data"
    SUBTOTAL = "subtotal"
    TOTAL = "total"
    GROUP = "group"  # a heading inside the table (a location, a month): HTML only, CSV rows carry it in columns


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the CSV header (English, snake_case); a KgShare column writes "<key>_kg" and pct_key
    nl: str
    en: str
    numeric: bool = False
    share: bool = False  # its cells are KgShare: kg and percent
    html: bool = True  # shown on the printed page
    csv: bool = True
    pct_key: str = ""  # header of a KgShare's percentage in CSV; default "<key>_pct"

    @property
    def percent_header(self) -> str:
        return self.pct_key or f"{self.key}_pct"


@dataclass(frozen=True, slots=True)
class Row:
    kind: RowKind
    cells: tuple[Cell, ...]
    # On the page, a subtotal, total or group row shows this label across its leading text columns.
    label: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    nl: str
    en: str


@dataclass(frozen=True, slots=True)
class Report:
    kind: ReportKind
    title_nl: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    notes: tuple[Note, ...] = ()
    sources: tuple[Note, ...] = ()  # numbered footnotes the table refers to ("[1] ..."), listed below it
    landscape: bool = False

    def total(self, key: str) -> Cell:
        """The overall total row's cell in column ``key`` (tests and callers that want one figure)."""
        index = [c.key for c in self.columns].index(key)
        return next(r for r in self.rows if r.kind is RowKind.TOTAL).cells[index]
