"""The live view and the station registry: every status and heartbeat is recorded there, and a station that is
not in service in it is flagged on its tile and in the alerts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.dashboard import DashboardSettings
from core.contract import StationState, StationStatus, TopicKind
from hub.fleet.registry import StationRegistry
from hub.ingest.dead_letters import DeadLetters
from hub.live.activity import Activity
from hub.live.board import Board
from hub.live.stations import LiveStations
from tests.unit.hub.live.conftest import FakeClock, heartbeat
from tests.unit.hub.live.test_board import message

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def send_heartbeat(live: LiveStations, site: str, station: str, **changes: object) -> None:
    hb = heartbeat(site=site, station=station, station_time=datetime.now(UTC), **changes)
    live._on_message(message(site, station, TopicKind.HEARTBEAT, hb.to_json()))


@pytest.fixture
def registry(tmp_path: Path) -> StationRegistry:
    return StationRegistry(tmp_path / "stations.sqlite", seen_write_interval_s=0)


def test_a_station_not_in_service_is_flagged_once_the_registry_is_in_use(
    registry: StationRegistry, clock: FakeClock
) -> None:
    live = LiveStations(DeadLetters(), registry=registry)
    board = Board(live, Activity(None, clock=clock), DashboardSettings(), NOW - timedelta(hours=1), clock=clock)
    # No station added yet (a new hub, the demo): nobody is flagged, but the registry learns of the station.
    send_heartbeat(live, "zwolle", "zwolle-plastic-9")
    assert [v.unregistered for v in live.stations()] == [False]
    heard = registry.get("zwolle-plastic-9")
    assert heard is not None and heard.unregistered and heard.software_version == "0.6.0"
    assert heard.model_version == "ppocrv4-markings-1"

    registry.add("zwolle-plastic-1", "zwolle", "plastic")
    send_heartbeat(live, "zwolle", "zwolle-plastic-1", model_version="m2", config_version="c3")
    status = StationStatus(
        site="zwolle", station="zwolle-plastic-9", state=StationState.ONLINE, since=NOW, software_version="0.7.0"
    )
    live._on_message(message("zwolle", "zwolle-plastic-9", TopicKind.STATUS, status.to_json()))
    flags = {v.station: v.unregistered for v in live.stations()}
    assert flags == {"zwolle-plastic-1": False, "zwolle-plastic-9": True}
    assert registry.get("zwolle-plastic-9").software_version == "0.7.0"  # type: ignore[union-attr]
    added = registry.get("zwolle-plastic-1")
    assert added is not None and (added.model_version, added.config_version) == ("m2", "c3")
    dashboard = board.dashboard(None, None)
    assert {t.station: t.unregistered for t in dashboard.stations} == flags
    [alert] = [a for a in dashboard.alerts if a.kind == "unregistered"]
    assert (alert.id, alert.severity) == ("unregistered:zwolle/zwolle-plastic-9", "warning")
    assert live.as_dicts()[1]["unregistered"] is True

    registry.retire("zwolle-plastic-1")  # a retired station still talking (a broker without accounts)
    send_heartbeat(live, "zwolle", "zwolle-plastic-1")
    assert all(v.unregistered for v in live.stations())


def test_a_registry_that_fails_does_not_stop_the_live_view(registry: StationRegistry) -> None:
    live = LiveStations(DeadLetters(), registry=registry)
    registry.path.unlink()
    registry.path.mkdir()  # sqlite cannot open a folder
    send_heartbeat(live, "zwolle", "zwolle-plastic-1")
    [view] = live.stations()
    assert view.heartbeat is not None and not view.unregistered
    assert live.dead_letters.counts() == {}
    with pytest.raises(sqlite3.Error):
        registry.list()
