"""The volume feed's figures: grams and items per local day, week or month and per site, municipality, stream
and category, for the sites a caller may read.

One query on the day rollup (``throughput_1d``, local days in Europe/Amsterdam, via
``hub.storage.history.grouped_query``) returns grams and items per day, site, stream and category; the weeks
(ISO, Monday to Sunday), months and the requested grouping are summed here. Grams stay integers from InfluxDB
to the answer, so a total equals the sum over the stored events to the gram; kg is only a rendering of them.

A day of a closed month (hub/feeds/periods.py) shows the figures frozen when the month was closed; whatever
arrived later (a station that was offline) shows as ``adjustment_*``: live minus frozen.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from hub.local_calendar import LOCAL, local_span, month_end
from hub.storage.history import grouped_query
from hub.storage.influx_v1 import InfluxV1
from hub.storage.rollups import DAYS

if TYPE_CHECKING:
    from hub.feeds.periods import PeriodStore

Totals = tuple[int, int]  # grams, items
DayKey = tuple[date, str, str, str]  # local day, site, stream, category

# A cursor is a few dozen characters; anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 1000


class FeedError(ValueError):
    """A request the feed cannot answer as asked: the message says why (HTTP 400)."""


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO 8601 weeks, Monday to Sunday
    MONTH = "month"


class GroupField(StrEnum):
    """The fields a feed row can be grouped by, in the order rows carry and sort them."""

    SITE = "site"
    MUNICIPALITY = "municipality"
    STREAM = "stream"
    CATEGORY = "category"


def parse_group_by(text: str) -> tuple[GroupField, ...]:
    """``"stream,site"`` -> (site, stream): canonical order, no repeats. A category is always read with its
    stream: the same category name ("other") exists in several streams, and a row must not add them up."""
    names = {part.strip() for part in text.split(",")} - {""}
    unknown = sorted(n for n in names if n not in GroupField.__members__.values())
    if unknown:
        choices = ", ".join(GroupField)
        raise FeedError(f"group_by: unknown field {unknown[0]!r}; choose from {choices}")
    if GroupField.CATEGORY in names:
        names.add(GroupField.STREAM)
    return tuple(field for field in GroupField if field in names)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months(first: date, last: date) -> list[str]:
    """The months ("YYYY-MM") that [first, last] touches."""
    found = []
    day = first.replace(day=1)
    while day <= last:
        found.append(month_of(day))
        day = month_end(day) + timedelta(days=1)
    return found


def period_of(day: date, interval: Interval, first: date, last: date) -> tuple[date, date]:
    """The period holding ``day``, cut to [first, last]: a row says exactly which days it sums."""
    if interval is Interval.DAY:
        return day, day
    if interval is Interval.WEEK:
        start = day - timedelta(days=day.weekday())  # Monday
        end = start + timedelta(days=6)
    else:
        start, end = day.replace(day=1), month_end(day)
    return max(start, first), min(end, last)


def live_days(store: InfluxV1, first: date, last: date, sites: Collection[str] | None) -> dict[DayKey, Totals]:
    """Grams and items per local day in [first, last], site, stream and category, from the day rollup.

    ``sites``: None for every site; an empty collection reads nothing."""
    if sites is not None and not sites:
        return {}
    start, end = local_span(first, last)
    answer = store.query(grouped_query(DAYS, ("site", "stream", "category"), start, end, sites))
    found: dict[DayKey, Totals] = {}
    for series in answer:
        tags = series.get("tags", {})
        for millis, grams, items in series["values"]:
            # With tz() InfluxDB stamps each bucket with its local midnight.
            day = datetime.fromtimestamp(millis / 1000, UTC).astimezone(LOCAL).date()
            key = (day, tags.get("site", ""), tags.get("stream", ""), tags.get("category", ""))
            g, n = found.get(key, (0, 0))
            found[key] = (g + int(grams or 0), n + int(items or 0))
    return found


@dataclass(frozen=True, slots=True)
class VolumeRow:
    period_start: date
    period_end: date
    groups: tuple[str | None, ...]  # one value per group_by field; a site without a municipality has None
    grams: int
    items: int
    closed: bool  # every day of the period lies in a closed month
    adjustment_grams: int = 0
    adjustment_items: int = 0

    @property
    def kg(self) -> float:
        return round(self.grams / 1000, 3)

    @property
    def status(self) -> str:
        return "closed" if self.closed else "open"

    @property
    def key(self) -> tuple[str, ...]:
        """What rows are sorted by and a cursor remembers: unique within one answer."""
        return (self.period_start.isoformat(), *(value or "" for value in self.groups))


def rows(
    live: Mapping[DayKey, Totals],
    frozen: Mapping[DayKey, Totals],
    closed_months: Collection[str],
    interval: Interval,
    group_by: Sequence[GroupField],
    first: date,
    last: date,
    municipality_of: Callable[[str], str | None],
) -> list[VolumeRow]:
    """The feed's rows, sorted by period and then by the group values.

    A day of a closed month counts its frozen figures, and live minus frozen as the adjustment; a day of an
    open month counts its live figures. Rows whose figures and adjustments are all zero (an item and its undo)
    are left out."""
    sums: dict[tuple[date, tuple[str | None, ...]], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key in set(live) | set(frozen):
        day, site, stream, category = key
        if not first <= day <= last:
            continue
        values = {
            GroupField.SITE: site,
            GroupField.MUNICIPALITY: municipality_of(site),
            GroupField.STREAM: stream,
            GroupField.CATEGORY: category,
        }
        start, _end = period_of(day, interval, first, last)
        total = sums[(start, tuple(values[field] for field in group_by))]
        live_g, live_n = live.get(key, (0, 0))
        if month_of(day) in closed_months:
            frozen_g, frozen_n = frozen.get(key, (0, 0))
            total[0] += frozen_g
            total[1] += frozen_n
            total[2] += live_g - frozen_g
            total[3] += live_n - frozen_n
        else:
            total[0] += live_g
            total[1] += live_n
    found = []
    for (start, groups), (grams, items, adj_grams, adj_items) in sums.items():
        if not (grams or items or adj_grams or adj_items):
            continue
        _start, end = period_of(start, interval, first, last)
        closed = all(month in closed_months for month in months(start, end))
        found.append(VolumeRow(start, end, groups, grams, items, closed, adj_grams, adj_items))
    found.sort(key=lambda row: row.key)
    return found


def feed(
    store: InfluxV1,
    periods: PeriodStore,
    first: date,
    last: date,
    sites: Collection[str] | None,
    interval: Interval,
    group_by: Sequence[GroupField],
    municipality_of: Callable[[str], str | None],
) -> list[VolumeRow]:
    """Every row of a feed request over [first, last] (local days, both included) for ``sites``."""
    live = live_days(store, first, last, sites)
    closed = periods.closed_months(first, last)
    frozen = periods.frozen(first, last, sites) if closed else {}
    return rows(live, frozen, closed, interval, group_by, first, last, municipality_of)


# -- paging ------------------------------------------------------------------------------------------------
def encode_cursor(key: Iterable[str]) -> str:
    """Opaque to the client: base64url (no padding) of the JSON list of the last row's key."""
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(text: str, fields: int) -> tuple[str, ...]:
    """The key a cursor holds; ``fields`` is 1 + the number of group_by fields of the request."""
    if len(text) > MAX_CURSOR_LENGTH:
        raise FeedError("cursor: not one this feed gave out")
    try:
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, RecursionError):  # bad base64, UTF-8, JSON; JSON nested too deep
        raise FeedError("cursor: not one this feed gave out") from None
    if not isinstance(key, list) or len(key) != fields or not all(isinstance(part, str) for part in key):
        raise FeedError("cursor: not one this feed gave out, or from a request with another group_by")
    return tuple(key)


def page(found: Sequence[VolumeRow], after: tuple[str, ...] | None, limit: int) -> tuple[list[VolumeRow], str | None]:
    """Up to ``limit`` rows after the cursor's key, and the cursor for the next page (None on the last).

    Keyed, not counted: a row that appears or goes between two pages (late data) shifts no other row, so
    every row that exists throughout the paging is returned exactly once."""
    rest = [row for row in found if after is None or row.key > after]
    chosen = rest[:limit]
    return chosen, encode_cursor(chosen[-1].key) if len(rest) > limit else None
