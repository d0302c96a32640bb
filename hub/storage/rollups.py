"""Rollups kept by the hub: kg, items and events per minute, hour and day for every site, station, stream
and category, so long ranges are answered without reading every event.

Why not InfluxDB's continuous queries: a CQ only looks at the most recent interval(s) when it runs, so an
event that arrives a day late (a station that was offline) would never reach the rollups. The hub knows
which buckets each stored batch touched and recomputes exactly those from the layer below (minutes from
the events, hours from minutes, days from hours) with ``SELECT ... INTO``. A recomputed bucket overwrites its
own points, so replays, late events and undos all end in the same, exact totals.

Days are local days in Europe/Amsterdam (what ROVA and the municipalities report by), via InfluxQL's
``tz()``; minutes and hours are the same in UTC and in Dutch local time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.contract.topics import check_slug
from hub.local_calendar import INFLUX_TZ, LOCAL
from hub.storage.influx_v1 import InfluxError, InfluxV1
from hub.storage.points import MEASUREMENT

# The rollups live in their own retention policy with one shard for ten years: a year's view then reads one
# shard instead of 52 weekly ones (measured: 55 ms instead of 560 ms for the same day-layer query).
RETENTION_POLICY = "rollups"
CREATE_RETENTION_POLICY = (
    f'CREATE RETENTION POLICY "{RETENTION_POLICY}" ON "{{database}}" DURATION INF REPLICATION 1 SHARD DURATION 520w'
)

TAGS = '"site", "station", "stream", "category"'


@dataclass(frozen=True, slots=True)
class Layer:
    measurement: str
    source: str  # a qualified name: "rollups"."throughput_1m", or "sorting_event" in the default policy
    every: str  # InfluxQL duration
    fields: str  # the SELECT list over the source
    local_days: bool = False

    @property
    def qualified(self) -> str:
        return f'"{RETENTION_POLICY}"."{self.measurement}"'

    def bucket(self, moment: datetime) -> tuple[datetime, datetime]:
        """The [start, end) of the bucket holding ``moment`` (UTC datetimes)."""
        if self.every == "1m":
            start = moment.replace(second=0, microsecond=0)
            return start, start + timedelta(minutes=1)
        if self.every == "1h":
            start = moment.replace(minute=0, second=0, microsecond=0)
            return start, start + timedelta(hours=1)
        local = moment.astimezone(LOCAL)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        following = (day + timedelta(days=1, hours=2)).replace(hour=0)  # a DST day has 23 or 25 hours
        return day.astimezone(UTC), following.astimezone(UTC)


# Two sums and nothing else: every field is one more pass over the freshly written points, and a third one
# (a count of points, which nothing read) made the minute refresh a third more expensive (bench/refresh_cost.py).
SUMS = 'sum("weight_g") AS "weight_g", sum("items") AS "items"'
MINUTES = Layer("throughput_1m", f'"{MEASUREMENT}"', "1m", SUMS)
HOURS = Layer("throughput_1h", MINUTES.qualified, "1h", SUMS)
DAYS = Layer("throughput_1d", HOURS.qualified, "1d", SUMS, local_days=True)
LAYERS = (MINUTES, HOURS, DAYS)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Buckets closer together than this many bucket lengths are refreshed by one query: recomputing the empty or
# unchanged buckets in between costs less than another round trip, and it bounds the queries a batch of late
# events spread over a day can cause.
MERGE_WITHIN_BUCKETS = 60


def merge_buckets(buckets: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Nearby buckets merged, so one query covers a run of them."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(set(buckets)):
        if merged and start <= merged[-1][1] + (end - start) * MERGE_WITHIN_BUCKETS:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Statements sent in one /query request: a refresh after a batch from a whole fleet is one round trip per layer.
STATEMENTS_PER_REQUEST = 200


def refresh(store: InfluxV1, touched: Iterable[tuple[str, str, datetime]]) -> int:
    """Recompute the rollup buckets that hold one of the ``(site, station, event time)``; returns the
    statements run. Layers run in order, minutes first, because each layer is read by the next.

    The minute layer is recomputed station by station: every rollup series belongs to one station, so a
    station's minutes need only that station's events, and a batch from 50 stations whose clocks lie 15
    minutes apart reads each station's few minutes instead of everyone's 15. All those statements travel in
    one request. The hour and day layers read few points, and for them one statement over all stations costs
    less than fifty (measured with the ingest benchmark's data: docs/storage.md)."""
    touched = [(check_slug(site, "site"), check_slug(station, "station"), moment) for site, station, moment in touched]
    by_station: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for site, station, moment in touched:
        by_station[(site, station)].append(moment)
    minutes = [
        refresh_statement(MINUTES, start, end, f"\"site\" = '{site}' AND \"station\" = '{station}' AND ")
        for (site, station), moments in sorted(by_station.items())
        for start, end in merge_buckets(MINUTES.bucket(m) for m in moments)
    ]
    for first in range(0, len(minutes), STATEMENTS_PER_REQUEST):
        store.execute(";\n".join(minutes[first : first + STATEMENTS_PER_REQUEST]))
    statements = len(minutes)
    moments = [moment for _site, _station, moment in touched]
    for layer in (HOURS, DAYS):
        for start, end in merge_buckets(layer.bucket(m) for m in moments):
            statements += refresh_range(store, layer, start, end)
    return statements


@dataclass(frozen=True, slots=True)
class RefusedBucket:
    """A rollup bucket that cannot be recomputed: InfluxDB refused its statement, or no time can hold it."""

    layer: str  # the rollup measurement
    site: str
    station: str
    moment: datetime  # the event time whose bucket it is
    error: str


Touched = tuple[str, str, datetime]


def refresh_isolating(store: InfluxV1, touched: Iterable[Touched]) -> list[RefusedBucket]:
    """``refresh()``, but a bucket that InfluxDB refuses (a time beyond what it can hold, say) or whose bounds
    cannot be computed (a year-9999 minute ends in year 10000) cannot hold back the others: the touched list
    is halved until the refused entry is alone (a few more requests, not one per entry), and that entry's
    layers are refreshed one by one. Returns what was refused; raises only a retryable ``InfluxError`` (the
    caller waits and calls again: a refresh overwrites its own points, so repeating one does no harm)."""
    refused: list[RefusedBucket] = []
    _refresh_part(store, list(touched), refused)
    return refused


def _refresh_part(store: InfluxV1, touched: list[Touched], refused: list[RefusedBucket]) -> None:
    try:
        refresh(store, touched)
    except InfluxError as exc:
        if exc.retryable:
            raise
    except (OverflowError, ValueError):  # bucket bounds beyond datetime's years, a site that is not a slug
        pass
    else:
        return
    if len(touched) > 1:
        half = len(touched) // 2
        _refresh_part(store, touched[:half], refused)
        _refresh_part(store, touched[half:], refused)
        return
    site, station, moment = touched[0]
    for layer in LAYERS:
        try:
            where = ""
            if layer is MINUTES:
                where = (
                    f"\"site\" = '{check_slug(site, 'site')}' AND \"station\" = '{check_slug(station, 'station')}' AND "
                )
            start, end = layer.bucket(moment)
            store.execute(refresh_statement(layer, start, end, where))
        except InfluxError as exc:
            if exc.retryable:
                raise
            refused.append(RefusedBucket(layer.measurement, site, station, moment, str(exc)))
        except (OverflowError, ValueError) as exc:
            refused.append(RefusedBucket(layer.measurement, site, station, moment, f"{type(exc).__name__}: {exc}"))


def rebuild(store: InfluxV1, start: datetime, end: datetime, chunk: timedelta = timedelta(days=1)) -> int:
    """Recompute all rollups over [start, end), e.g. after events were loaded around the ingest; returns
    queries run. Works in chunks so that no single query reads more than ``chunk`` of events."""
    queries = 0
    for layer in LAYERS:
        piece, last = layer.bucket(start)[0], layer.bucket(end)[1]
        while piece < last:
            # Whole buckets up to about ``chunk``: a local day may be 23 or 25 hours long.
            piece_end = piece
            while piece_end < last and piece_end - piece < chunk:
                piece_end = layer.bucket(piece_end)[1]
            queries += refresh_range(store, layer, piece, piece_end)
            piece = piece_end
    return queries


def refresh_range(store: InfluxV1, layer: Layer, start: datetime, end: datetime) -> int:
    """Recompute one layer's buckets in [start, end) for every station."""
    store.execute(refresh_statement(layer, start, end))
    return 1


def refresh_statement(layer: Layer, start: datetime, end: datetime, where: str = "") -> str:
    """The InfluxQL that recomputes ``layer``'s buckets in [start, end); ``where`` (ending in AND) narrows it."""
    tz = INFLUX_TZ if layer.local_days else ""
    return (
        f"SELECT {layer.fields} INTO {layer.qualified} FROM {layer.source} "  # noqa: S608
        f"WHERE {where}time >= '{rfc3339(start)}' AND time < '{rfc3339(end)}' "
        f"GROUP BY time({layer.every}), {TAGS}{tz}"
    )
