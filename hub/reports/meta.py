"""What the page says about a report besides its table: the period, the sites it covers, and which months are
open (live, can still change) or closed (frozen)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from hub.local_calendar import month_end
from hub.reference import ReferenceData
from hub.reports.classify import site_name
from hub.reports.volumes import MonthVolumes

MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def month_label(first: date, last: date) -> str:
    """ "november 2026", or "november 2026 (3–30)" for the part of a month that lies in the range."""
    name = f"{MONTHS_NL[first.month - 1]} {first.year}"
    if first.day == 1 and last == month_end(last):
        return name
    return f"{name} ({first.day}–{last.day})"


@dataclass(frozen=True, slots=True)
class ScopeLine:
    municipality: str  # "" for sites outside every municipality
    sites: tuple[str, ...]  # by name ("Nieuwleusen"), for the page


@dataclass(frozen=True, slots=True)
class MonthStatus:
    first: date
    last: date
    closed: bool
    adjustment_grams: int
    adjustment_items: int


@dataclass(frozen=True, slots=True)
class Meta:
    """What the page says about the report besides the table."""

    first: date
    last: date  # inclusive
    scope: tuple[ScopeLine, ...] | None  # None: every site
    reference_version: str
    generated: str  # local time, already formatted ("2026-11-15 14:03 CET")
    months: tuple[MonthStatus, ...]  # open (live, can still change) or closed (frozen)

    @property
    def open_months(self) -> tuple[MonthStatus, ...]:
        return tuple(m for m in self.months if not m.closed)

    @property
    def closed_months(self) -> tuple[MonthStatus, ...]:
        return tuple(m for m in self.months if m.closed)


def month_status(months: Sequence[MonthVolumes]) -> tuple[MonthStatus, ...]:
    return tuple(MonthStatus(m.first, m.last, m.closed, m.adjustment_grams, m.adjustment_items) for m in months)


def describe_scope(sites: frozenset[str] | None, reference: ReferenceData) -> tuple[ScopeLine, ...] | None:
    """The sites a report covers, by municipality, for the page's header."""
    if sites is None:
        return None
    grouped: dict[str, list[str]] = defaultdict(list)
    for site in sites:
        found = reference.municipality_of(site)
        grouped[found.name if found else ""].append(site_name(reference, site))
    return tuple(
        ScopeLine(name, tuple(sorted(grouped[name]))) for name in sorted(grouped, key=lambda n: (n == "", n.casefold()))
    )
