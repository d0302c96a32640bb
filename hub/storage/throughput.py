"""Throughput read back from InfluxDB with InfluxQL: kg and items per station and category over [start, end).

Long ranges are summed from the rollups (hub/storage/rollups.py): whole local days from the day layer, the
hours at either end from the hour layer, then minutes, and the seconds at the very edges from the events
themselves. Every piece is an exact integer sum of grams, so the answer equals a sum over the raw events,
whatever the range, in a handful of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from core.contract.topics import check_slug
from hub.local_calendar import LOCAL, local_midnight
from hub.storage.influx_v1 import InfluxV1
from hub.storage.points import MEASUREMENT
from hub.storage.rollups import DAYS, HOURS, MINUTES, Layer, rfc3339

Key = tuple[str, str, str, str]

# The pieces of a plan are independent sums; InfluxDB answers them in parallel on its own cores.
PARALLEL_QUERIES = 4


class Period(StrEnum):
    """The dashboard's views: whole local days (Europe/Amsterdam) ending with today, today included.

    Whole days are answered from the day rollups alone: one query, whatever the length. The current day's
    bucket is refreshed with every stored batch, so "today" is as current as the events."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"

    @property
    def days(self) -> int:
        return {"day": 1, "week": 7, "month": 30, "year": 365}[self.value]

    def range(self, now: datetime) -> tuple[datetime, datetime]:
        """[start, end) in UTC: from local midnight ``days - 1`` days ago to the coming local midnight."""
        local_today = now.astimezone(LOCAL).date()
        end_day = local_today + timedelta(days=1)
        start_day = local_today - timedelta(days=self.days - 1)
        return local_midnight(start_day), local_midnight(end_day)


@dataclass(frozen=True, slots=True)
class ThroughputRow:
    site: str
    station: str
    stream: str
    category: str
    grams: int  # exact, as stored (undos subtracted)
    items: int

    @property
    def kg(self) -> float:
        return self.grams / 1000


def _utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def plan(
    start: datetime, end: datetime, layers: tuple[Layer, ...] = (DAYS, HOURS, MINUTES)
) -> list[tuple[str, datetime, datetime]]:
    """Which measurement answers which part of [start, end): coarse layers inside, finer ones at the edges."""
    if start >= end:
        return []
    if not layers:
        return [(f'"{MEASUREMENT}"', start, end)]
    layer, finer = layers[0], layers[1:]
    first_bucket = layer.bucket(start)
    inner_start = start if first_bucket[0] == start else first_bucket[1]
    inner_end = layer.bucket(end)[0]
    if inner_start >= inner_end:
        return plan(start, end, finer)
    return [*plan(start, inner_start, finer), (layer.qualified, inner_start, inner_end), *plan(inner_end, end, finer)]


def site_filter(site: str | Collection[str] | None) -> str:
    """An InfluxQL condition (with its leading AND) for one site or any of several; "" for every site."""
    if site is None:
        return ""
    sites = [site] if isinstance(site, str) else sorted(site)
    # Every name is checked as a slug, so none can close the quote and write InfluxQL of its own.
    either = " OR ".join(f"\"site\" = '{check_slug(s, 'site')}'" for s in sites)
    return f" AND ({either})"


def throughput(
    store: InfluxV1, start: datetime, end: datetime, site: str | Collection[str] | None = None
) -> list[ThroughputRow]:
    """Sums over [start, end); undo points carry negative weight and items, so these are corrected totals.

    ``site`` is one site, a collection of sites (a supervisor's), or None for every site; an empty collection
    means no site at all, so no rows."""
    if site is not None and not isinstance(site, str) and not site:
        return []
    grams: dict[Key, int] = defaultdict(int)
    items: dict[Key, int] = defaultdict(int)
    where_site = site_filter(site)
    queries = [
        f'SELECT sum("weight_g") AS g, sum("items") AS items FROM {source} '  # noqa: S608
        f"WHERE time >= '{rfc3339(piece_start)}' AND time < '{rfc3339(piece_end)}'{where_site} "
        'GROUP BY "site", "station", "stream", "category"'
        for source, piece_start, piece_end in plan(_utc(start), _utc(end))
    ]
    answers: list[list[dict[str, Any]]]
    if len(queries) <= 1:
        answers = [store.query(q) for q in queries]
    else:
        with ThreadPoolExecutor(min(PARALLEL_QUERIES, len(queries)), thread_name_prefix="throughput") as pool:
            answers = list(pool.map(store.query, queries))
    for answer in answers:
        for series in answer:
            tags = series.get("tags", {})
            key = (tags.get("site", ""), tags.get("station", ""), tags.get("stream", ""), tags.get("category", ""))
            _time, g, n = series["values"][0]
            grams[key] += int(g or 0)
            items[key] += int(n or 0)
    return [
        ThroughputRow(site=k[0], station=k[1], stream=k[2], category=k[3], grams=grams[k], items=items[k])
        for k in sorted(grams)
    ]
