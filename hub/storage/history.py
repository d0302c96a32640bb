"""History for the dashboard: kg and items per bucket over a period, grouped by station, site, stream or category.

Read from the rollups (hub/storage/rollups.py) in one query: the hour layer for ``day`` (today by hour), the
day layer grouped by local day for ``week`` and ``month``, and the day layer grouped by local day and summed
here into local months for ``year`` (InfluxQL has no month interval). The periods are those of
``/api/v1/throughput`` (whole local days ending with today). Today's hour and day buckets are refreshed with
every stored batch, so the current bucket is as current as the events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from hub.local_calendar import INFLUX_TZ, LOCAL, local_midnight, month_end
from hub.storage.influx_v1 import InfluxV1
from hub.storage.rollups import DAYS, HOURS, Layer, rfc3339
from hub.storage.throughput import Period, site_filter


class Group(StrEnum):
    STATION = "station"
    SITE = "site"
    STREAM = "stream"
    CATEGORY = "category"


class Bucket(StrEnum):
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


# The tags each grouping reads. A station is read with its site and a category with its stream: the same
# category name ("other") exists in several streams, and keys must not add up different things.
_TAGS: dict[Group, tuple[str, ...]] = {
    Group.STATION: ("site", "station"),
    Group.SITE: ("site",),
    Group.STREAM: ("stream",),
    Group.CATEGORY: ("stream", "category"),
}


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    grams: tuple[int, ...]  # per bucket
    items: tuple[int, ...]

    @property
    def total_grams(self) -> int:
        return sum(self.grams)

    @property
    def total_items(self) -> int:
        return sum(self.items)


@dataclass(frozen=True, slots=True)
class History:
    period: Period
    group: Group
    start: datetime
    end: datetime
    bucket: Bucket
    buckets: tuple[datetime, ...]  # UTC start of each bucket
    series: tuple[Series, ...]  # by total weight, heaviest first


def buckets(period: Period, start: datetime, end: datetime) -> tuple[Bucket, list[datetime]]:
    """The buckets of [start, end): hours (23 or 25 on a DST day), local days, or local months (the first
    starting at ``start``, which is mostly not the 1st)."""
    if period is Period.DAY:
        hours = int((end - start) / timedelta(hours=1))
        return Bucket.HOUR, [start + timedelta(hours=h) for h in range(hours)]
    first, last = start.astimezone(LOCAL).date(), end.astimezone(LOCAL).date()
    if period is not Period.YEAR:
        return Bucket.DAY, [local_midnight(first + timedelta(days=d)) for d in range((last - first).days)]
    months = [start]
    month = date(first.year, first.month, 1)
    while True:
        month = month_end(month) + timedelta(days=1)
        if month >= last:
            return Bucket.MONTH, months
        months.append(local_midnight(month))


def _bucket_index(bucket: Bucket, starts: list[datetime]) -> dict[object, int]:
    """Where an answer's time goes: by UTC hour, by local date, or by local (year, month)."""
    if bucket is Bucket.HOUR:
        return {moment: i for i, moment in enumerate(starts)}
    if bucket is Bucket.DAY:
        return {moment.astimezone(LOCAL).date(): i for i, moment in enumerate(starts)}
    return {_month(moment): i for i, moment in enumerate(starts)}


def _month(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(LOCAL)
    return local.year, local.month


def _slot(bucket: Bucket, moment: datetime) -> object:
    if bucket is Bucket.HOUR:
        return moment
    if bucket is Bucket.DAY:
        return moment.astimezone(LOCAL).date()
    return _month(moment)


def query(period: Period, group: Group, start: datetime, end: datetime, sites: Collection[str] | None) -> str:
    return grouped_query(HOURS if period is Period.DAY else DAYS, _TAGS[group], start, end, sites)


def grouped_query(
    layer: Layer, tags: Sequence[str], start: datetime, end: datetime, sites: Collection[str] | None
) -> str:
    """Grams (``g``) and items (``n``) per bucket of ``layer`` and per combination of ``tags`` over [start, end),
    empty buckets left out; also the volume feed's query (hub/feeds/volumes.py)."""
    tz = INFLUX_TZ if layer.local_days else ""  # local days, 23 or 25 hours on DST days
    by = ", ".join(f'"{t}"' for t in tags)
    return (
        f'SELECT sum("weight_g") AS g, sum("items") AS n FROM {layer.qualified} '  # noqa: S608
        f"WHERE time >= '{rfc3339(start)}' AND time < '{rfc3339(end)}'{site_filter(sites)} "
        f"GROUP BY time({layer.every}), {by} fill(none){tz}"
    )


def history(
    store: InfluxV1, period: Period, group: Group, sites: Collection[str] | None, now: datetime | None = None
) -> History:
    """``sites``: the sites to read (None: every site; empty: none, so no series)."""
    start, end = period.range(now or datetime.now(UTC))
    bucket, starts = buckets(period, start, end)
    index = _bucket_index(bucket, starts)
    grams: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * len(starts))
    items: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * len(starts))
    answer = [] if sites is not None and not sites else store.query(query(period, group, start, end, sites))
    for series in answer:
        tags = series.get("tags", {})
        key = tuple(tags.get(t, "") for t in _TAGS[group])
        for millis, g, n in series["values"]:
            slot = index.get(_slot(bucket, datetime.fromtimestamp(millis / 1000, UTC)))
            if slot is None:
                continue  # cannot happen with the WHERE above; a bucket outside the buckets is not ours
            grams[key][slot] += int(g or 0)
            items[key][slot] += int(n or 0)
    names = _names(group, list(grams))
    found = [Series(names[key], tuple(grams[key]), tuple(items[key])) for key in grams]
    found.sort(key=lambda s: (-s.total_grams, s.key))
    return History(period, group, start, end, bucket, tuple(starts), tuple(found))


def _names(group: Group, keys: list[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Station ids are unique in the network by convention ("zwolle-plastic-1"): a station is named by its id
    unless two sites use the same one, then "site/station". A category is always "stream/category"."""
    if group is Group.CATEGORY:
        return {key: "/".join(key) for key in keys}
    if group is Group.STATION:
        sites_of: dict[str, set[str]] = defaultdict(set)
        for site, station in keys:
            sites_of[station].add(site)
        return {
            (site, station): station if len(sites_of[station]) == 1 else f"{site}/{station}" for site, station in keys
        }
    return {key: key[0] for key in keys}
