"""Activity: the 15-minute window and today's totals with a fake clock, and the resync from InfluxDB."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.live.activity import Activity, CategoryTotal, Increment, StationActivity
from hub.storage.influx_v1 import InfluxError
from tests.conftest import wait_until
from tests.unit.hub.live.conftest import FakeClock

ZWOLLE = ("zwolle", "zwolle-plastic-1")


def inc(
    seq: int,
    grams: int = 500,
    *,
    category: str = "pp",
    when: datetime | None = None,
    undo: bool = False,
    station: tuple[str, str] = ZWOLLE,
) -> Increment:
    sign = -1 if undo else 1
    return Increment(
        station[0],
        station[1],
        "plastic",
        category,
        sign * grams,
        sign,
        when or datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        seq,
    )


def test_rates_over_the_last_15_minutes_by_receive_time(clock: FakeClock) -> None:
    activity = Activity(None, clock=clock)
    activity.add([inc(1), inc(2), inc(3, 250)])
    # 1.25 kg and 3 items in 15 minutes: 5 kg/h and 12 items/h.
    assert activity.station(*ZWOLLE).kg_per_h == 5.0
    assert activity.station(*ZWOLLE).items_per_h == 12.0
    clock.advance(minutes=10)
    activity.add([inc(4, 1000)])
    assert activity.station(*ZWOLLE).kg_per_h == 9.0
    clock.advance(minutes=4, seconds=59)
    assert activity.station(*ZWOLLE).items_per_h == 16.0  # the first three are 14:59 old: still in
    clock.advance(seconds=1)
    assert activity.station(*ZWOLLE).kg_per_h == 4.0  # ...and out at 15:00
    clock.advance(minutes=10)
    assert activity.station(*ZWOLLE) == StationActivity(0.0, 0.0, 2.25, 4, (CategoryTotal("plastic", "pp", 2.25, 4),))


def test_undo_subtracts_and_a_rate_is_never_negative(clock: FakeClock) -> None:
    activity = Activity(None, clock=clock)
    activity.add([inc(1, 400), inc(2, 300, category="pet")])
    clock.advance(minutes=20)
    activity.add([inc(3, 300, category="pet", undo=True)])
    now = activity.station(*ZWOLLE)
    assert (now.kg_per_h, now.items_per_h) == (0.0, 0.0)
    assert (now.today_kg, now.today_items) == (0.4, 1)
    assert now.by_category == (CategoryTotal("plastic", "pet", 0.0, 0), CategoryTotal("plastic", "pp", 0.4, 1))


def test_a_redelivered_event_counts_once(clock: FakeClock) -> None:
    activity = Activity(None, clock=clock)
    activity.add([inc(1), inc(2)])
    activity.add([inc(2), inc(1), inc(3)])
    assert activity.station(*ZWOLLE).today_items == 3
    other = ("ommen", "ommen-textile-1")
    activity.add([inc(1, station=other)])  # the same number at another station is another event
    assert activity.station(*other).today_items == 1


def test_today_is_the_local_day_by_station_time_and_resets_at_midnight(clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 24, 22, 59, tzinfo=UTC)  # 23:59 Dutch time
    activity = Activity(None, clock=clock)
    yesterday = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 23:30 on the 23rd, Dutch time
    activity.add([inc(1, when=clock.now), inc(2, when=yesterday)])  # a late one, from the day before
    assert activity.station(*ZWOLLE).today_items == 1
    assert activity.station(*ZWOLLE).items_per_h == 8.0  # both arrived in the last 15 minutes
    clock.advance(minutes=2)  # 00:01 on the 25th
    after = activity.station(*ZWOLLE)
    assert (after.today_kg, after.today_items, after.by_category) == (0.0, 0, ())
    assert after.items_per_h == 8.0  # the window does not care about midnight
    activity.add([inc(3, when=clock.now)])
    assert activity.station(*ZWOLLE).today_items == 1


def test_unknown_station_is_all_zero(clock: FakeClock) -> None:
    assert Activity(None, clock=clock).station("zwolle", "nope") == StationActivity()


class FakeStore:
    """Answers the two resync queries: the day rollup (through throughput()) and the raw last 15 minutes."""

    def __init__(self) -> None:
        self.day: list[dict[str, Any]] = []
        self.window: list[dict[str, Any]] = []
        self.fail = False
        self.during_query: list[Any] = []  # called while the query "runs"
        self.queries: list[str] = []

    def query(self, influxql: str) -> list[dict[str, Any]]:
        self.queries.append(influxql)
        if self.fail:
            raise InfluxError("connection refused")
        for action in self.during_query:
            action()
        return self.day if "throughput_1d" in influxql else self.window


def day_row(site: str, station: str, category: str, grams: int, items: int) -> dict[str, Any]:
    tags = {"site": site, "station": station, "stream": "plastic", "category": category}
    return {"tags": tags, "columns": ["time", "g", "items"], "values": [[0, grams, items]]}


def test_resync_replaces_the_numbers_and_keeps_what_arrived_meanwhile(clock: FakeClock) -> None:
    store = FakeStore()
    activity = Activity(store, clock=clock)  # type: ignore[arg-type]
    changed: list[frozenset[tuple[str, str]]] = []
    activity.listeners.append(changed.append)
    activity.add([inc(1, 999)])  # in memory only: the resync answer below knows better

    store.day = [day_row("zwolle", "zwolle-plastic-1", "pp", 12_000, 30), day_row("ommen", "ommen-1", "pet", 500, 1)]
    now_ms = int(clock.now.timestamp() * 1000)
    store.window = [
        {
            "tags": {"site": "zwolle", "station": "zwolle-plastic-1"},
            "columns": ["time", "g", "n"],
            "values": [[now_ms - 20 * 60 * 1000, 1000, 2], [now_ms - 60_000, 2000, 4]],  # the first: clamped in
        }
    ]
    store.during_query = [lambda: activity.add([inc(2, 100)])]
    assert activity.resync()
    # 12 kg from InfluxDB + the 100 g stored while it answered (its redelivery during the second query: once).
    zwolle = activity.station(*ZWOLLE)
    assert (zwolle.today_kg, zwolle.today_items) == (12.1, 31)
    assert zwolle.kg_per_h == round((3000 + 100) / 1000 * 4, 3)
    assert activity.station("ommen", "ommen-1").today_kg == 0.5
    assert changed == [frozenset({ZWOLLE, ("ommen", "ommen-1")})]
    assert any('GROUP BY time(10s), "site", "station"' in q for q in store.queries)

    # Nothing new: a second resync changes nothing and says so.
    store.during_query = []
    store.day[0]["values"][0][1:] = [12_100, 31]
    store.window[0]["values"].append([now_ms - 30_000, 100, 1])
    assert activity.resync()
    assert changed[-1] == frozenset()


def test_influx_down_keeps_the_numbers_and_logs_once(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    store = FakeStore()
    activity = Activity(store, clock=clock)  # type: ignore[arg-type]
    activity.add([inc(1), inc(2)])
    store.fail = True
    with caplog.at_level(logging.INFO, logger="hub.live.activity"):
        assert not activity.resync()
        assert not activity.resync()
        activity.add([inc(3)])
        assert activity.station(*ZWOLLE).today_items == 3
        store.fail = False
        store.day = [day_row("zwolle", "zwolle-plastic-1", "pp", 1500, 3)]
        assert activity.resync()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "keeping the live ones" in warnings[0].getMessage()
    assert any("again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert activity.station(*ZWOLLE).today_items == 3


def test_resync_thread_seeds_at_start_and_stops(clock: FakeClock) -> None:
    store = FakeStore()
    store.day = [day_row("zwolle", "zwolle-plastic-1", "pp", 2000, 4)]
    activity = Activity(store, resync_interval_s=3600, clock=clock)  # type: ignore[arg-type]
    activity.start()
    try:
        assert wait_until(lambda: activity.station(*ZWOLLE).today_items == 4, 5)
    finally:
        activity.stop()
    assert activity.keys({"zwolle"}) == [ZWOLLE] and activity.keys({"ommen"}) == []


def test_window_seed_rounds_station_time_into_the_window(clock: FakeClock) -> None:
    store = FakeStore()
    future = int((clock.now + timedelta(minutes=3)).timestamp() * 1000)  # a station clock running ahead
    store.window = [
        {
            "tags": {"site": "zwolle", "station": "zwolle-plastic-1"},
            "columns": ["t", "g", "n"],
            "values": [[future, 750, 1]],
        }
    ]
    activity = Activity(store, clock=clock)  # type: ignore[arg-type]
    assert activity.resync()
    assert activity.station(*ZWOLLE).kg_per_h == 3.0
    clock.advance(minutes=14, seconds=59)
    assert activity.station(*ZWOLLE).kg_per_h == 3.0
    clock.advance(seconds=1)
    assert activity.station(*ZWOLLE).kg_per_h == 0.0
