"""The volumes every report is built from: grams and items per site, stream and category, read month by month,
live from the rollups or frozen for a closed month.

Each local month of the range is read on its own (one day-layer query: whole local days), so a closed month
can be answered from its frozen copy (hub/feeds/periods.py) exactly as the volume feed answers it, and the
CO2e report can show the months. A year is thirteen small queries at most.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from hub.local_calendar import local_months, local_span
from hub.storage.throughput import throughput

if TYPE_CHECKING:
    from hub.feeds.periods import PeriodStore
    from hub.storage.influx_v1 import InfluxV1

VolumeKey = tuple[str, str, str]  # site, stream, category


class ThroughputLike(Protocol):
    @property
    def site(self) -> str: ...
    @property
    def stream(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def grams(self) -> int: ...
    @property
    def items(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Volume:
    """Summed grams and items of one site, stream and category: what every report is built from. Stations are
    summed away: a report says nothing about a single station or who sorted."""

    site: str
    stream: str
    category: str
    grams: int
    items: int


@dataclass(frozen=True, slots=True)
class MonthVolumes:
    """The volumes of one local month, or of the part of it that lies in the report's range.

    A month an admin has closed (hub/feeds/periods.py) holds its frozen figures; what arrived after closing
    is the adjustment (live minus frozen), which the page names but does not add in, as the feed does."""

    first: date  # first day in the range
    last: date  # last day in the range (inclusive)
    volumes: tuple[Volume, ...]
    closed: bool = False
    adjustment_grams: int = 0
    adjustment_items: int = 0

    @property
    def month(self) -> str:
        return f"{self.first:%Y-%m}"


def summed(entries: Iterable[tuple[VolumeKey, int, int]]) -> list[Volume]:
    """(key, grams, items) summed per key, in key order."""
    grams: dict[VolumeKey, int] = defaultdict(int)
    items: dict[VolumeKey, int] = defaultdict(int)
    for key, g, n in entries:
        grams[key] += g
        items[key] += n
    return [Volume(*key, grams=grams[key], items=items[key]) for key in sorted(grams)]


def volumes(rows: Iterable[ThroughputLike]) -> list[Volume]:
    """Station rows (hub.storage.throughput, exact grams), or volumes, summed per site, stream and category."""
    return summed(((row.site, row.stream, row.category), row.grams, row.items) for row in rows)


def live(store: InfluxV1, first: date, last: date, sites: Collection[str] | None) -> list[Volume]:
    """Summed volumes of the local days [first, last], undos subtracted."""
    return volumes(throughput(store, *local_span(first, last), sites))


def frozen(periods: PeriodStore, first: date, last: date, sites: Collection[str] | None) -> list[Volume]:
    found = periods.frozen(first, last, sites).items()
    return summed(((site, stream, category), g, n) for (_day, site, stream, category), (g, n) in found)


def month_volumes(
    store: InfluxV1,
    periods: PeriodStore | None,
    first: date,
    last: date,
    sites: frozenset[str] | None,
) -> list[MonthVolumes]:
    """``sites``: None for every site; an empty set reads nothing. ``periods`` None: every month is open."""
    closed = periods.closed_months(first, last) if periods is not None else frozenset()
    out = []
    for start, end in local_months(first, last):
        now = live(store, start, end, sites) if sites is None or sites else []
        if periods is None or f"{start:%Y-%m}" not in closed:
            out.append(MonthVolumes(start, end, tuple(now)))
            continue
        kept = frozen(periods, start, end, sites)
        out.append(
            MonthVolumes(
                start,
                end,
                tuple(kept),
                closed=True,
                adjustment_grams=sum(v.grams for v in now) - sum(v.grams for v in kept),
                adjustment_items=sum(v.items for v in now) - sum(v.items for v in kept),
            )
        )
    return out
