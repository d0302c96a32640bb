"""The volumes a report is built from, read month by month: live from the rollups, or frozen for a closed month.

Each local month of the range is read on its own (one day-layer query: whole local days), so a closed month
can be answered from its frozen copy (hub/feeds/periods.py) exactly as the volume feed answers it, and the
CO2e report can show the months. A year is thirteen small queries at most.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from hub.reports.build import MonthVolumes, Volume, local_months, volumes
from hub.storage.rollups import LOCAL
from hub.storage.throughput import throughput

if TYPE_CHECKING:
    from hub.feeds.periods import PeriodStore
    from hub.storage.influx_v1 import InfluxV1


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)


def live(store: InfluxV1, first: date, last: date, sites: Collection[str] | None) -> list[Volume]:
    """Summed volumes of the local days [first, last], undos subtracted."""
    return volumes(throughput(store, local_midnight(first), local_midnight(last + timedelta(days=1)), sites))


def frozen(periods: PeriodStore, first: date, last: date, sites: Collection[str] | None) -> list[Volume]:
    grams: dict[tuple[str, str, str], int] = defaultdict(int)
    items: dict[tuple[str, str, str], int] = defaultdict(int)
    for (_day, site, stream, category), (g, n) in periods.frozen(first, last, sites).items():
        grams[(site, stream, category)] += g
        items[(site, stream, category)] += n
    return [Volume(*key, grams=grams[key], items=items[key]) for key in sorted(grams)]


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
