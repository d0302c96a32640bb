"""What the station says about itself: warning codes, journal space, status, heartbeat and the last will."""

import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.contract import DeviceHealth, Heartbeat, StationState, StationStatus
from edge.stations.agent_view import AgentView, PublishedView
from edge.stations.clock import simulate_offset
from edge.stations.devices import DeviceProblem
from edge.stations.health import StationHealth, last_will
from edge.stations.journal import Journal
from edge.stations.parts import StationParts
from edge.stations.scale_supervisor import ScaleSupervisor
from edge.stations.scales import ScaleError
from firmware_mocks.in_process import FakeButtons
from tests.fakes import FakeMqtt, FakeVision
from tests.unit.edge.stations.configs import station_config

STATUS = "sortcentre/v1/zwolle/zwolle-plastic-1/status"


class Station:
    """A StationHealth with a real journal, an unopened scale that is not there, and a recording MQTT client."""

    def __init__(self, tmp_path: Path, vision: FakeVision | None = None, **config: Any) -> None:
        self.config = station_config(tmp_path, **config)
        self.view = PublishedView(AgentView.at_start(self.config))
        self.journal = Journal(self.config.journal.path)
        self.mqtt = FakeMqtt()
        self.boot_id = uuid.uuid4()

        def no_scale() -> Any:
            raise ScaleError("no such port")

        self.scale = ScaleSupervisor(self.config, no_scale)
        self.parts = StationParts(
            self.config,
            self.view,
            self.boot_id,
            self.scale,
            FakeButtons(),
            self.journal,
            vision,
        )
        self.health = StationHealth(self.parts, self.mqtt)

    def heartbeats(self) -> list[Heartbeat]:
        return [Heartbeat.model_validate_json(p) for p in self.mqtt.payloads("/heartbeat")]


@pytest.fixture(autouse=True)
def synced_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whether this machine's clock is NTP-synced is not the test's business.
    monkeypatch.setattr("edge.stations.health.clock_synced", lambda: True)


def test_refresh_brings_devices_connection_and_journal_into_the_view(tmp_path: Path) -> None:
    station = Station(tmp_path, vision=FakeVision(problems=["ocr model missing"]))
    station.journal.append(lambda seq: (f"id-{seq}", b"{}"))
    station.scale.poll()  # the scale's port is not there
    station.health.refresh()
    view = station.view.current
    assert (view.connected, view.scale, view.camera, view.journal_depth) == (
        True,
        DeviceHealth.FAULT,
        DeviceHealth.ABSENT,
        1,
    )
    assert view.warnings == ("scale_absent", "vision_unavailable")
    unchanged = station.view.current
    station.health.refresh()
    assert station.view.current is unchanged  # nothing new: no new view


def test_an_unsynced_clock_is_no_warning_for_the_sorter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody at the station can set the clock: the heartbeat says clock_synced and the hub judges the clock."""
    monkeypatch.setattr("edge.stations.health.clock_synced", lambda: False)
    station = Station(tmp_path)
    assert station.health.warnings() == []
    station.health.send_heartbeat()
    [beat] = station.heartbeats()
    assert beat.clock_synced is False and beat.warnings == []


def test_a_simulated_clock_offset_shifts_the_heartbeat(tmp_path: Path) -> None:
    station = Station(tmp_path)
    simulate_offset(-600)
    try:
        station.health.send_heartbeat()
    finally:
        simulate_offset(0)
    [beat] = station.heartbeats()
    assert 595 < (datetime.now(UTC) - beat.station_time).total_seconds() < 605


def test_the_journal_is_full_at_its_limit_and_takes_items_again_below_it(tmp_path: Path) -> None:
    station = Station(tmp_path, journal={"max_bytes": 1024**2})
    for _ in range(300):
        station.journal.append(lambda seq: (f"id-{seq}", b"x" * 4000))
    station.health.check_journal_space()
    assert station.view.current.journal_full and station.health.warnings()[0] == "journal_full"
    station.journal.acknowledge(range(1, 301))
    station.health.check_journal_space()
    assert not station.view.current.journal_full and "journal_full" not in station.health.warnings()


def test_status_is_retained_and_the_last_will_says_offline(tmp_path: Path) -> None:
    station = Station(tmp_path)
    station.health.publish_status(StationState.ONLINE)
    [(topic, payload, qos, retain)] = station.mqtt.published
    assert (topic, qos, retain) == (STATUS, 1, True)
    assert StationStatus.model_validate_json(payload).state is StationState.ONLINE
    will = last_will(station.config)
    assert will.topic == STATUS and StationStatus.model_validate_json(will.payload).state is StationState.OFFLINE


def test_the_heartbeat_carries_the_view_and_the_journal(tmp_path: Path) -> None:
    station = Station(tmp_path)
    station.journal.append(lambda seq: (f"id-{seq}", b"{}"))
    station.scale.poll()
    station.health.refresh()
    assert station.health.heartbeat_due()
    station.health.send_heartbeat()
    assert not station.health.heartbeat_due()  # the next one in heartbeat_s
    station.health.send_heartbeat(final=True)
    first, last = station.heartbeats()
    assert (first.boot_id, first.scale, first.camera, first.warnings) == (
        station.boot_id,
        DeviceHealth.FAULT,
        DeviceHealth.ABSENT,
        ["scale_absent"],
    )
    assert (first.journal_depth, first.events_made, first.events_sent, first.clock_synced) == (1, 1, 0, True)
    assert [qos for _t, _p, qos, _r in station.mqtt.published] == [0, 1]  # the last one before exit: QoS 1
    assert last.uptime_s >= first.uptime_s


def test_payloads_the_contract_refuses_are_logged_once_a_minute_and_never_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    station = Station(tmp_path)
    monkeypatch.setattr("edge.stations.health.now_utc_ms", lambda: datetime(1969, 12, 31, 23, 59))
    with caplog.at_level(logging.ERROR, logger="edge.stations.health"):
        station.health.publish_status(StationState.ONLINE)
        station.health.send_heartbeat()
    assert station.mqtt.published == []
    refusals = [r for r in caplog.records if "the contract refuses" in r.getMessage()]
    assert len(refusals) == 1 and "the status" in refusals[0].getMessage()


def test_a_device_problem_is_named_by_its_code(tmp_path: Path) -> None:
    class MissingBoard(FakeButtons):
        @property
        def problem(self) -> DeviceProblem:  # type: ignore[override]
            return DeviceProblem("absent", "board /dev/ttyUSB1: No such file")

    station = Station(tmp_path)
    health = StationHealth(replace(station.parts, buttons=MissingBoard()), station.mqtt)
    health.refresh()
    assert station.view.current.warnings == ("buttons_absent",)


class Updates:
    def __init__(self, current_version: str | None, error: str | None) -> None:
        self.current_version, self.error = current_version, error


def test_the_heartbeat_carries_the_applied_model_and_why_an_offered_one_was_refused(tmp_path: Path) -> None:
    station = Station(tmp_path)
    station.health = StationHealth(
        replace(station.parts, models=Updates("m@1", "sha256 mismatch: got 00")), station.mqtt
    )
    station.health.send_heartbeat()
    station.health = StationHealth(replace(station.parts, models=Updates(None, None)), station.mqtt)
    station.health.send_heartbeat()
    refused, nothing_yet = station.heartbeats()
    assert (refused.model_version, refused.model_error) == ("m@1", "sha256 mismatch: got 00")
    assert (nothing_yet.model_version, nothing_yet.model_error) == (None, None)
