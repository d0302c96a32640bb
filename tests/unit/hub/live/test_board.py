"""The dashboard's JSON: tiles joined from the live views and the activity, alerts, and site scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from config.dashboard import DashboardSettings
from core.contract import DeviceHealth, SortingEvent, StationState, StationStatus, Suggestion, TopicKind, topic
from core.transport.mqtt import InboundMessage
from hub.ingest.batch import Stored
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.ingest import StoredBatch
from hub.live.acks import AlertAcks
from hub.live.activity import Activity, Increment
from hub.live.board import Board
from hub.live.stations import LiveStations
from local_servers.fleet import make_event
from tests.unit.hub.live.conftest import FakeClock, heartbeat

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def message(site: str, station: str, kind: TopicKind, payload: bytes, position: int = 0) -> InboundMessage:
    return InboundMessage(topic(site, station, kind), payload, position + 1, 1, False)


def feed_event_batch(live: LiveStations, activity: Activity, events: list[SortingEvent]) -> None:
    messages = [message(e.site, e.station, TopicKind.EVENT, e.to_json(), i) for i, e in enumerate(events)]
    stored = [Stored.of(i, e) for i, e in enumerate(events)]
    batch = StoredBatch(messages, stored)
    activity.on_batch_stored(batch)
    live.on_batch_stored(batch)


def setup(clock: FakeClock) -> tuple[LiveStations, Activity, Board, list[frozenset[tuple[str, str]]]]:
    live = LiveStations(DeadLetters())
    changes: list[frozenset[tuple[str, str]]] = []
    live.listeners.append(changes.append)
    activity = Activity(None, clock=clock)
    board = Board(live, activity, DashboardSettings(), NOW - timedelta(hours=1), clock=clock)
    return live, activity, board, changes


def test_tile_and_alert_json(clock: FakeClock) -> None:
    live, activity, board, changes = setup(clock)
    status = StationStatus(
        site="zwolle",
        station="zwolle-plastic-1",
        state=StationState.ONLINE,
        since=NOW - timedelta(hours=2),
        software_version="0.6.0",
    )
    live._on_message(message("zwolle", "zwolle-plastic-1", TopicKind.STATUS, status.to_json()))
    # The hub stamps a heartbeat with its real receive time: give it the real station time too (no clock skew).
    hb = heartbeat(scale=DeviceHealth.FAULT, journal_depth=2, oldest_unsent_age_s=1.5, station_time=datetime.now(UTC))
    live._on_message(message("zwolle", "zwolle-plastic-1", TopicKind.HEARTBEAT, hb.to_json()))
    suggestion = Suggestion(label="pp", confidence=0.91, model_version="ppocrv4-markings-1")
    events = [
        make_event(41, category="pp", weight_kg=0.5, when=NOW - timedelta(seconds=30)),
        make_event(
            42, category="pet", weight_kg=0.25, when=NOW - timedelta(seconds=2), suggestion=suggestion, accepted=False
        ),
    ]
    feed_event_batch(live, activity, events)
    assert changes == [frozenset({("zwolle", "zwolle-plastic-1")})] * 3  # status, heartbeat, batch

    dashboard = board.dashboard(None, None).model_dump(mode="json")
    [tile] = dashboard["stations"]
    received = tile.pop("heartbeat_received")
    offset = tile.pop("clock_offset_s")
    assert received.endswith("Z") and abs(offset) < 1.0
    assert tile == {
        "site": "zwolle",
        "station": "zwolle-plastic-1",
        "state": "online",
        "state_since": "2026-11-24T07:00:00Z",
        "last_15min": {"kg_per_h": 3.0, "items_per_h": 8.0},
        "today": {
            "kg": 0.75,
            "items": 2,
            "by_category": [
                {"stream": "plastic", "category": "pet", "kg": 0.25, "items": 1},
                {"stream": "plastic", "category": "pp", "kg": 0.5, "items": 1},
            ],
        },
        "last_event": {
            "time": "2026-11-24T08:59:58Z",
            "type": "sorted",
            "stream": "plastic",
            "category": "pet",
            "weight_kg": 0.25,
            "suggestion": {"label": "pp", "confidence": 0.91, "model_version": "ppocrv4-markings-1"},
            "accepted": False,
            "seq": 42,
        },
        "journal_depth": 2,
        "oldest_unsent_age_s": 1.5,
        "scale": "fault",
        "camera": "ok",
        "model_version": "ppocrv4-markings-1",
        "clock_suspect": False,
        "missing_events": 0,
        "unregistered": False,
        "config_version": None,
        "config_error": None,
        "config_held": None,
    }
    assert dashboard["sites"] == ["zwolle"]
    assert dashboard["alerts"] == [
        {
            "id": "scale_fault:zwolle/zwolle-plastic-1",
            "kind": "scale_fault",
            "site": "zwolle",
            "station": "zwolle-plastic-1",
            "since": None,
            "detail": "scale not answering",
            "severity": "critical",
            "acknowledged_by": None,
            "acknowledged_at": None,
        }
    ]
    assert dashboard["alert_groups"] == [
        {
            "kind": "scale_fault",
            "severity": "critical",
            "count": 1,
            "acknowledged": 0,
            "alerts": ["scale_fault:zwolle/zwolle-plastic-1"],
            "stations": ["zwolle/zwolle-plastic-1"],
        }
    ]


def test_alert_json(clock: FakeClock) -> None:
    live, _activity, board, _ = setup(clock)
    status = StationStatus(
        site="zwolle",
        station="zwolle-plastic-1",
        state=StationState.OFFLINE,
        since=NOW - timedelta(minutes=12, seconds=30),
        software_version="0.6.0",
    )
    live._on_message(message("zwolle", "zwolle-plastic-1", TopicKind.STATUS, status.to_json()))
    [alert] = board.dashboard(None, None).model_dump(mode="json")["alerts"]
    assert alert == {
        "id": "offline:zwolle/zwolle-plastic-1",
        "kind": "offline",
        "site": "zwolle",
        "station": "zwolle-plastic-1",
        "since": "2026-11-24T08:47:30Z",
        "detail": "offline for 12 min",
        "severity": "critical",
        "acknowledged_by": None,
        "acknowledged_at": None,
    }


def test_alerts_of_one_cause_are_grouped_and_acknowledged_ones_stay(clock: FakeClock, tmp_path: Path) -> None:
    live, _activity, board, _ = setup(clock)
    board.acks = AlertAcks(tmp_path / "acks.sqlite", timedelta(minutes=5))
    for site in ("zwolle", "dalfsen", "ommen"):
        hb = heartbeat(site=site, station=f"{site}-1", scale=DeviceHealth.FAULT, station_time=datetime.now(UTC))
        live._on_message(message(site, f"{site}-1", TopicKind.HEARTBEAT, hb.to_json()))
    board.acks.acknowledge([("scale_fault:ommen/ommen-1", "ommen")], "supervisor-ommen", NOW)
    clock.advance(seconds=1)
    out = board.dashboard(None, None).model_dump(mode="json")
    [group] = out["alert_groups"]
    assert (group["kind"], group["count"], group["acknowledged"]) == ("scale_fault", 3, 1)
    assert group["stations"] == ["dalfsen/dalfsen-1", "ommen/ommen-1", "zwolle/zwolle-1"]
    acked = {a["station"]: (a["acknowledged_by"], a["acknowledged_at"]) for a in out["alerts"]}
    assert acked == {
        "dalfsen-1": (None, None),
        "ommen-1": ("supervisor-ommen", "2026-11-24T09:00:00Z"),
        "zwolle-1": (None, None),
    }


def test_scoping_and_stations_known_only_from_today(clock: FakeClock) -> None:
    live, activity, board, _ = setup(clock)
    feed_event_batch(
        live,
        activity,
        [
            make_event(1, when=NOW - timedelta(minutes=1)),
            make_event(1, site="ommen", station="ommen-textile-1", stream="textile", category="creme"),
        ],
    )
    # A station that only InfluxDB remembers (sorted today, not heard since the hub started).
    activity.add([Increment("ommen", "ommen-textile-2", "textile", "wool", 1200, 1, NOW, 7)])
    zwolle_only = frozenset({"zwolle"})
    mine = board.dashboard(zwolle_only, zwolle_only)
    assert mine.sites == ["zwolle"] and [t.station for t in mine.stations] == ["zwolle-plastic-1"]
    everything = board.dashboard(None, None)
    assert everything.sites == ["ommen", "zwolle"]
    assert [t.station for t in everything.stations] == ["ommen-textile-1", "ommen-textile-2", "zwolle-plastic-1"]
    quiet = next(t for t in everything.stations if t.station == "ommen-textile-2")
    assert (quiet.state, quiet.last_event, quiet.today.kg, quiet.scale) == ("unknown", None, 1.2, None)
    # An update names only the changed stations of the scope.
    update = board.update(zwolle_only, [("ommen", "ommen-textile-1"), ("zwolle", "zwolle-plastic-1")])
    assert [t.station for t in update.stations] == ["zwolle-plastic-1"]
    assert board.update(zwolle_only, [("ommen", "ommen-textile-1")]).stations == []


def test_a_station_not_on_the_config_the_hub_holds_is_shown(clock: FakeClock) -> None:
    live, activity, _board, _changes = setup(clock)
    held = {"zwolle-plastic-1": "zwolle-plastic-1-2"}
    board = Board(live, activity, DashboardSettings(), NOW - timedelta(hours=1), clock=clock, held_configs=lambda: held)
    hb = heartbeat(station_time=datetime.now(UTC), config_version="zwolle-plastic-1-1")
    live._on_message(message("zwolle", "zwolle-plastic-1", TopicKind.HEARTBEAT, hb.to_json()))
    clock.now = datetime.now(UTC)
    dashboard = board.dashboard(None, None)
    [tile] = dashboard.stations
    assert (tile.config_version, tile.config_held, tile.config_error) == (
        "zwolle-plastic-1-1",
        "zwolle-plastic-1-2",
        None,
    )
    assert [a.kind for a in dashboard.alerts] == ["config_pending"]
