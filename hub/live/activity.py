"""What each station has done lately, for the dashboard tiles: kg/h and items/h over the last 15 minutes, and
today's totals (the local day in Europe/Amsterdam) per stream and category.

Two sources, so the numbers are both current and right after a hub restart:

* every stored batch adds its events at once (``on_batch_stored``; an undo adds negative weight and items,
  as its point does in hub/storage/points.py). The 15-minute window counts events by the time the hub
  received them; "today" counts them by station time, as InfluxDB files them.
* a background thread re-reads both from InfluxDB at start and then every ``resync_interval_s``: today's
  totals from the day rollup (``throughput()``), the last 15 minutes from the raw points in 10-second
  buckets. Batches stored while that query ran are applied again on top of its answer, so a resync never
  loses an increment; it may count one twice for a moment (a batch whose rollups were refreshed just before
  the query read them but whose listener ran after it started), which the next resync corrects. With InfluxDB
  down the in-memory numbers stay and the problem is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from hub.ingest.ingest import StoredBatch
from hub.live.stations import ChangeListener, StationKey
from hub.local_calendar import LOCAL
from hub.storage.influx_v1 import InfluxError, InfluxV1
from hub.storage.points import MEASUREMENT
from hub.storage.rollups import rfc3339
from hub.storage.throughput import Period, ThroughputRow, throughput
from hub.supervision import Supervisor

logger = logging.getLogger(__name__)

WINDOW_S = 15 * 60
# The seed reads the last 15 minutes in buckets of this many seconds: 90 rows a station, and a bucket that
# leaves the window early is at most 10 s of a 900 s average.
SEED_BUCKET_S = 10
# Sequence numbers remembered per station to recognise a redelivered event (it overwrites its own point in
# InfluxDB, so it must not count twice here): a redelivery is one of the last few hundred events a station
# sent, far fewer than this.
SEEN_PER_STATION = 10_000
# After a failed resync, try again this soon rather than after the full interval: at hub start InfluxDB may
# come up a moment after the hub.
RETRY_S = 5.0

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


class Increment(NamedTuple):
    """One stored event's contribution: negative grams and items for an undo."""

    site: str
    station: str
    stream: str
    category: str
    grams: int
    items: int
    station_time: datetime
    seq: int


@dataclass(frozen=True, slots=True)
class CategoryTotal:
    stream: str
    category: str
    kg: float
    items: int


@dataclass(frozen=True, slots=True)
class StationActivity:
    kg_per_h: float = 0.0
    items_per_h: float = 0.0
    today_kg: float = 0.0
    today_items: int = 0
    by_category: tuple[CategoryTotal, ...] = ()


@dataclass(slots=True)
class _Station:
    # [receive second (epoch), grams, items], oldest first; one entry per second that had events, so at most
    # WINDOW_S entries after expiry (bounded by maxlen as well).
    recent: deque[list[int]] = field(default_factory=lambda: deque(maxlen=WINDOW_S + 1))
    today: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (stream, category) -> [grams, items]
    seen: deque[int] = field(default_factory=lambda: deque(maxlen=SEEN_PER_STATION))
    seen_set: set[int] = field(default_factory=set)

    def add_recent(self, second: int, grams_: int, items: int) -> None:
        # A second earlier than the last entry (the wall clock stepped back) joins the last entry, so the deque
        # stays sorted and expiry from the left stays right.
        if self.recent and second <= self.recent[-1][0]:
            self.recent[-1][1] += grams_
            self.recent[-1][2] += items
        else:
            self.recent.append([second, grams_, items])

    def add_today(self, stream: str, category: str, grams_: int, items: int) -> None:
        total = self.today.setdefault((stream, category), [0, 0])
        total[0] += grams_
        total[1] += items

    def first_time(self, seq: int) -> bool:
        if seq in self.seen_set:
            return False
        if len(self.seen) == self.seen.maxlen:
            self.seen_set.discard(self.seen[0])
        self.seen.append(seq)
        self.seen_set.add(seq)
        return True

    def expire(self, now_s: int) -> None:
        while self.recent and self.recent[0][0] <= now_s - WINDOW_S:
            self.recent.popleft()

    def activity(self) -> StationActivity:
        window_g = sum(e[1] for e in self.recent)
        window_items = sum(e[2] for e in self.recent)
        per_hour = 3600 / WINDOW_S
        totals = sorted(self.today.items())
        return StationActivity(
            # An undo of an item weighed before the window can make the window negative: a rate is never < 0.
            kg_per_h=round(max(window_g, 0) / 1000 * per_hour, 3),
            items_per_h=round(max(window_items, 0) * per_hour, 3),
            today_kg=round(sum(t[0] for _, t in totals) / 1000, 3),
            today_items=sum(t[1] for _, t in totals),
            by_category=tuple(CategoryTotal(s, c, round(t[0] / 1000, 3), t[1]) for (s, c), t in totals),
        )


def increments(batch: StoredBatch) -> list[Increment]:
    """The batch's events, as the worker that validated them described them (no JSON parsed here: this runs
    in the hub's result path for every stored event)."""
    return [
        Increment(
            s.site,
            s.station,
            s.stream,
            s.category,
            s.grams,
            s.items,
            datetime.fromtimestamp(s.station_ms / 1000, UTC),
            s.seq,
        )
        for s in batch.stored
    ]


class Activity:
    """Thread-safe: fed by the ingest thread, re-synchronised by its own thread, read by the web server."""

    def __init__(
        self,
        store: InfluxV1 | None,
        *,
        resync_interval_s: float = 60.0,
        clock: Clock = _now,
        supervisor: Supervisor | None = None,
    ) -> None:
        self._store = store
        self._supervisor = supervisor or Supervisor()
        self._interval = resync_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._stations: dict[StationKey, _Station] = {}
        self._day: date = clock().astimezone(LOCAL).date()
        self._during_resync: list[tuple[Increment, int]] | None = None  # (increment, receive second)
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listeners: list[ChangeListener] = []

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._store is None or self._thread is not None:
            return
        self._thread = self._supervisor.thread(self._resync_loop, "activity-resync")
        self._thread.start()

    def stop(self) -> None:
        self._supervisor.stopping()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _resync_loop(self) -> None:
        while not self._stop.is_set():
            try:
                ok = self.resync()
            except Exception:  # a malformed answer, say: the live numbers go on, the next resync may do better
                logger.exception("dashboard resync failed")
                self._supervisor.unexpected("activity-resync")
                ok = False
            if self._stop.wait(self._interval if ok else min(RETRY_S, self._interval)):
                return

    # -- increments ------------------------------------------------------------------------------------------
    def on_batch_stored(self, batch: StoredBatch) -> None:
        self.add(increments(batch))

    def add(self, found: Iterable[Increment]) -> None:
        now = self._clock()
        second = int(now.timestamp())
        with self._lock:
            self._roll_day(now)
            for increment in found:
                station = self._station((increment.site, increment.station))
                if not station.first_time(increment.seq):
                    continue  # a redelivery: InfluxDB kept one point, so count it once
                self._apply(station, increment, second)
                if self._during_resync is not None:
                    self._during_resync.append((increment, second))

    def _apply(self, station: _Station, increment: Increment, second: int) -> None:
        station.add_recent(second, increment.grams, increment.items)
        if increment.station_time.astimezone(LOCAL).date() == self._day:
            station.add_today(increment.stream, increment.category, increment.grams, increment.items)

    def _station(self, key: StationKey) -> _Station:
        station = self._stations.get(key)
        if station is None:
            station = self._stations[key] = _Station()
        return station

    def _roll_day(self, now: datetime) -> None:
        """At local midnight today's totals start again from zero. Holds the lock."""
        today = now.astimezone(LOCAL).date()
        if today != self._day:
            self._day = today
            for station in self._stations.values():
                station.today.clear()

    # -- reads -----------------------------------------------------------------------------------------------
    def station(self, site: str, station: str) -> StationActivity:
        now = self._clock()
        with self._lock:
            self._roll_day(now)
            found = self._stations.get((site, station))
            if found is None:
                return StationActivity()
            found.expire(int(now.timestamp()))
            return found.activity()

    def keys(self, sites: Collection[str] | None = None) -> list[StationKey]:
        with self._lock:
            return sorted(k for k in self._stations if sites is None or k[0] in sites)

    # -- resync from InfluxDB --------------------------------------------------------------------------------
    def resync(self) -> bool:
        """Replace the numbers with InfluxDB's; False (numbers kept) when InfluxDB did not answer."""
        if self._store is None:
            return False
        now = self._clock()
        with self._lock:
            self._during_resync = []
        try:
            day_start, day_end = Period.DAY.range(now)
            today_rows = throughput(self._store, day_start, day_end)
            window = self._window(now)
        except BaseException as exc:
            with self._lock:
                self._during_resync = None
            if not isinstance(exc, InfluxError):
                raise
            if not self._failing:
                logger.warning("dashboard numbers not re-read from InfluxDB (%s); keeping the live ones", exc)
                self._failing = True
            return False
        if self._failing:
            logger.info("dashboard numbers re-read from InfluxDB again")
            self._failing = False
        changed = self._replace(now, today_rows, window)
        for listener in self.listeners:
            try:
                listener(changed)
            except Exception:  # a broken listener must not stop the resyncs
                logger.exception("activity change listener failed")
        return True

    def _window(self, now: datetime) -> dict[StationKey, list[tuple[int, int, int]]]:
        assert self._store is not None
        start = now - timedelta(seconds=WINDOW_S)
        series = self._store.query(
            f'SELECT sum("weight_g") AS g, sum("items") AS n FROM "{MEASUREMENT}" '  # noqa: S608
            f"WHERE time > '{rfc3339(start)}' AND time <= '{rfc3339(now)}' "
            f'GROUP BY time({SEED_BUCKET_S}s), "site", "station" fill(none)'
        )
        first, last = int(start.timestamp()) + 1, int(now.timestamp())
        found: dict[StationKey, list[tuple[int, int, int]]] = {}
        for one in series:
            tags = one.get("tags", {})
            rows = found.setdefault((tags.get("site", ""), tags.get("station", "")), [])
            for millis, g, n in one["values"]:
                # Station time, clamped into the window: a bucket that began before it (or a station clock
                # running ahead) still expires in order.
                second = min(max(int(millis) // 1000, first), last)
                rows.append((second, int(g or 0), int(n or 0)))
        return found

    def _replace(
        self, now: datetime, today_rows: list[ThroughputRow], window: dict[StationKey, list[tuple[int, int, int]]]
    ) -> frozenset[StationKey]:
        now_s = int(now.timestamp())
        with self._lock:
            before = {key: self._activity_now(station, now_s) for key, station in self._stations.items()}
            for station in self._stations.values():
                station.recent.clear()
                station.today.clear()
            self._roll_day(now)
            if now.astimezone(LOCAL).date() == self._day:  # not stale: midnight did not pass meanwhile
                for row in today_rows:
                    self._station((row.site, row.station)).add_today(row.stream, row.category, row.grams, row.items)
            for key, rows in window.items():
                station = self._station(key)
                for second, g, n in sorted(rows):
                    station.add_recent(second, g, n)
            for increment, second in self._during_resync or []:
                self._apply(self._station((increment.site, increment.station)), increment, second)
            self._during_resync = None
            after = {key: self._activity_now(station, now_s) for key, station in self._stations.items()}
        return frozenset(key for key in after if before.get(key) != after[key])

    @staticmethod
    def _activity_now(station: _Station, now_s: int) -> StationActivity:
        station.expire(now_s)
        return station.activity()
