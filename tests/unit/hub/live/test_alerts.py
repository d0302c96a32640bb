"""The alert rules, each against a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.dashboard import DashboardSettings
from core.contract import DeviceHealth, Heartbeat
from hub.live.alerts import Alert, AlertKind, Severity, alerts, station_alerts
from hub.live.stations import LiveStation
from tests.unit.hub.live.conftest import heartbeat

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HUB_STARTED = NOW - timedelta(hours=2)
SETTINGS = DashboardSettings()  # offline after 5 min, journal alert at 50 events or 120 s


def view(
    *,
    state: str = "online",
    state_since: datetime | None = NOW - timedelta(hours=1),
    hb: Heartbeat | None = None,
    received_ago: timedelta | None = timedelta(seconds=3),
    missing: int = 0,
    offset: float | None = 0.02,
    suspect: bool = False,
    unsynced: bool = False,
    station: str = "zwolle-plastic-1",
) -> LiveStation:
    received = None if received_ago is None else NOW - received_ago
    return LiveStation(
        site="zwolle",
        station=station,
        state=state,
        state_since=state_since,
        heartbeat=hb if hb is not None or received is None else heartbeat(),
        heartbeat_received=received,
        missing_events=missing,
        highest_seq=120,
        clock_offset_s=offset,
        clock_suspect=suspect,
        clock_unsynced=unsynced,
    )


def kinds(found: list[Alert]) -> list[AlertKind]:
    return [a.kind for a in found]


def test_a_healthy_station_has_no_alerts() -> None:
    assert station_alerts(view(), NOW, SETTINGS, HUB_STARTED) == []


def test_offline_alert_only_after_the_limit() -> None:
    four = view(state="offline", state_since=NOW - timedelta(minutes=4, seconds=59), received_ago=None)
    assert station_alerts(four, NOW, SETTINGS, HUB_STARTED) == []
    since = NOW - timedelta(minutes=6)
    [alert] = station_alerts(view(state="offline", state_since=since, received_ago=None), NOW, SETTINGS, HUB_STARTED)
    assert alert == Alert(
        AlertKind.OFFLINE, "zwolle", "zwolle-plastic-1", since, "offline for 6 min", Severity.CRITICAL
    )
    assert alert.id == "offline:zwolle/zwolle-plastic-1"
    # The limit is a setting.
    quick = DashboardSettings(offline_after_min=1)
    assert kinds(station_alerts(four, NOW, quick, HUB_STARTED)) == [AlertKind.OFFLINE]


def test_a_cleanly_stopped_station_is_no_alert() -> None:
    stopped = view(state="stopped", state_since=NOW - timedelta(hours=3), received_ago=timedelta(hours=3))
    assert station_alerts(stopped, NOW, SETTINGS, HUB_STARTED) == []


def test_silence_while_online_is_offline_and_hides_the_old_heartbeat() -> None:
    silent = view(hb=heartbeat(scale=DeviceHealth.FAULT, journal_depth=500), received_ago=timedelta(minutes=7))
    [alert] = station_alerts(silent, NOW, SETTINGS, HUB_STARTED)
    assert alert.kind is AlertKind.OFFLINE and alert.detail == "no heartbeat for 7 min"
    assert alert.since == NOW - timedelta(minutes=7)


def test_no_heartbeat_yet_counts_from_when_the_hub_started_listening() -> None:
    never = view(received_ago=None, state_since=NOW - timedelta(days=2))
    assert station_alerts(never, NOW, SETTINGS, NOW - timedelta(minutes=2)) == []
    [alert] = station_alerts(never, NOW, SETTINGS, NOW - timedelta(minutes=10))
    assert alert.detail == "no heartbeat for 10 min" and alert.since == NOW - timedelta(minutes=10)


def test_journal_backlog_by_depth_by_age_and_when_full() -> None:
    assert station_alerts(view(hb=heartbeat(journal_depth=49)), NOW, SETTINGS, HUB_STARTED) == []
    [deep] = station_alerts(view(hb=heartbeat(journal_depth=50)), NOW, SETTINGS, HUB_STARTED)
    assert deep.kind is AlertKind.JOURNAL_BACKLOG and deep.severity is Severity.WARNING
    assert deep.detail == "50 events not yet delivered" and deep.since is None
    [old] = station_alerts(view(hb=heartbeat(journal_depth=3, oldest_unsent_age_s=180.0)), NOW, SETTINGS, HUB_STARTED)
    assert old.detail == "3 events not yet delivered, oldest 3 min"
    assert old.since == NOW - timedelta(seconds=3) - timedelta(seconds=180)
    [full] = station_alerts(
        view(hb=heartbeat(journal_depth=9000, oldest_unsent_age_s=7200.0, warnings=["journal_full"])),
        NOW,
        SETTINGS,
        HUB_STARTED,
    )
    assert full.severity is Severity.CRITICAL and full.detail.startswith("journal full: 9000 events")


def test_sequence_gap() -> None:
    [gap] = station_alerts(view(missing=4), NOW, SETTINGS, HUB_STARTED)
    assert gap.kind is AlertKind.SEQUENCE_GAP and gap.detail == "4 events missing (highest seq 120)"
    assert gap.id == "sequence_gap:zwolle/zwolle-plastic-1"


def test_clock_skew_is_a_warning_and_unsynced_alone_a_notice() -> None:
    [off] = station_alerts(view(offset=-600.2, suspect=True), NOW, SETTINGS, HUB_STARTED)
    assert (off.kind, off.severity, off.detail) == (AlertKind.CLOCK_SKEW, Severity.WARNING, "clock 10 min ahead")
    unsynced = view(hb=heartbeat(clock_synced=False), offset=30.0, unsynced=True)
    [notice] = station_alerts(unsynced, NOW, SETTINGS, HUB_STARTED)
    assert (notice.kind, notice.severity) == (AlertKind.CLOCK_UNSYNCED, Severity.NOTICE)
    assert notice.detail == "clock 30 s behind, not synchronised (NTP)"
    # Not synchronised, but as close to the hub's clock as the simulated stations of the demo: nothing to say.
    assert station_alerts(view(hb=heartbeat(clock_synced=False), offset=0.01), NOW, SETTINGS, HUB_STARTED) == []


def test_notices_come_after_warnings() -> None:
    unsynced = view(hb=heartbeat(clock_synced=False), offset=30.0, unsynced=True, station="a")
    found = alerts([unsynced, view(missing=1, station="b")], NOW, SETTINGS, HUB_STARTED)
    assert [a.severity for a in found] == [Severity.WARNING, Severity.NOTICE]


def test_device_faults_but_not_absent_devices() -> None:
    found = station_alerts(
        view(hb=heartbeat(scale=DeviceHealth.FAULT, camera=DeviceHealth.FAULT)), NOW, SETTINGS, HUB_STARTED
    )
    assert [(a.kind, a.severity) for a in found] == [
        (AlertKind.SCALE_FAULT, Severity.CRITICAL),
        (AlertKind.CAMERA_FAULT, Severity.WARNING),
    ]
    # No camera configured (or a scale not opened yet) is not a fault.
    absent = view(hb=heartbeat(scale=DeviceHealth.ABSENT, camera=DeviceHealth.ABSENT))
    assert station_alerts(absent, NOW, SETTINGS, HUB_STARTED) == []


def test_failed_side_lights_are_a_warning() -> None:
    found = station_alerts(view(hb=heartbeat(warnings=["lights_fault"])), NOW, SETTINGS, HUB_STARTED)
    assert [(a.kind, a.severity) for a in found] == [(AlertKind.LIGHTS_FAULT, Severity.WARNING)]
    assert "lights_fault" in found[0].detail and "single frame" in found[0].detail


def test_a_refused_model_is_a_warning_with_the_stations_reason() -> None:
    reason = "download truncated at 100000 of 13516800 bytes"
    found = station_alerts(view(hb=heartbeat(model_error=reason)), NOW, SETTINGS, HUB_STARTED)
    assert [(a.kind, a.severity, a.detail) for a in found] == [(AlertKind.MODEL_REFUSED, Severity.WARNING, reason)]


def test_all_alerts_critical_first_then_by_station() -> None:
    views = [
        view(station="zwolle-plastic-2", missing=1),
        view(station="zwolle-plastic-3", hb=heartbeat(scale=DeviceHealth.FAULT)),
        view(station="zwolle-plastic-1", missing=2, hb=heartbeat(camera=DeviceHealth.FAULT)),
    ]
    found = alerts(views, NOW, SETTINGS, HUB_STARTED)
    assert [a.id for a in found] == [
        "scale_fault:zwolle/zwolle-plastic-3",
        "camera_fault:zwolle/zwolle-plastic-1",
        "sequence_gap:zwolle/zwolle-plastic-1",
        "sequence_gap:zwolle/zwolle-plastic-2",
    ]


def test_remote_config_refused_or_not_the_one_the_hub_holds() -> None:
    station = "zwolle-plastic-1"
    error = "config zwolle-plastic-1-3 refused: settings.vision.treshold: unknown key"
    [refused] = station_alerts(view(hb=heartbeat(config_error=error)), NOW, SETTINGS, HUB_STARTED, f"{station}-3")
    assert refused.kind is AlertKind.CONFIG_REFUSED and "settings.vision.treshold" in refused.detail
    [pending] = station_alerts(
        view(hb=heartbeat(config_version=f"{station}-2")), NOW, SETTINGS, HUB_STARTED, f"{station}-3"
    )
    assert pending.kind is AlertKind.CONFIG_PENDING
    assert pending.detail == f"runs config {station}-2, the hub holds {station}-3"
    in_step = view(hb=heartbeat(config_version=f"{station}-3"))
    assert alerts([in_step], NOW, SETTINGS, HUB_STARTED, {station: f"{station}-3"}) == []
    assert kinds(alerts([view()], NOW, SETTINGS, HUB_STARTED, {station: f"{station}-3"})) == [AlertKind.CONFIG_PENDING]
    assert alerts([view()], NOW, SETTINGS, HUB_STARTED) == []  # no version held: the file's settings are fine
