"""The hub's clock check against real station processes (simulated hardware, real Mosquitto, InfluxDB and hub): a
station whose clock is 10 minutes off raises the clock alert within two heartbeats; one on the machine's own
clock (not synchronised by NTP, as on a machine without it) raises nothing."""

from __future__ import annotations

import signal
import threading
import tomllib
from pathlib import Path

import tomli_w

from config.station import StationConfig
from firmware_mocks.sorter import StationRig
from hub.auth.principal import Role
from hub.live.board import Board
from hub.service import Hub
from local_servers import MosquittoServer
from tests.conftest import wait_until
from tests.integration.conftest import logged_in
from tests.integration.test_station_process import StationProcess, write_config


def start_station(tmp_path: Path, mosquitto: MosquittoServer, offset_s: float) -> tuple[StationRig, StationProcess]:
    path = write_config(tmp_path, mosquitto, kiosk=False)
    data = tomllib.loads(path.read_text())
    data["simulated_clock_offset_s"] = offset_s
    path.write_text(tomli_w.dumps(data))
    rig = StationRig(StationConfig.load(path)).start()
    process = StationProcess(path, tmp_path / "station.log")
    process.start()
    return rig, process


def watch(hub: Hub, station: str) -> list[tuple[object, set[str]]]:
    """(heartbeat received, the kinds of the station's alerts then), once per heartbeat the hub took in."""
    board = Board(hub.live, hub.activity, hub.dashboard, hub.started)
    seen: list[tuple[object, set[str]]] = []
    lock = threading.Lock()

    def on_change(keys: frozenset[tuple[str, str]]) -> None:
        if not any(name == station for _, name in keys):
            return
        view = next((v for v in hub.live.stations() if v.station == station), None)
        if view is None or view.heartbeat_received is None:
            return
        kinds = {a.kind for a in board.current_alerts(None) if a.station == station}
        with lock:
            if not seen or seen[-1][0] != view.heartbeat_received:
                seen.append((view.heartbeat_received, kinds))

    hub.live.listeners.append(on_change)
    return seen


def test_a_clock_ten_minutes_off_raises_the_clock_alert_within_two_heartbeats(
    tmp_path: Path, mosquitto: MosquittoServer, hub: Hub
) -> None:
    rig, process = start_station(tmp_path, mosquitto, offset_s=-600)
    station = rig.config.station.id
    seen = watch(hub, station)
    try:
        assert wait_until(lambda: len(seen) >= 2, 30), process.log.read_text()
        first_alerted = next(i for i, (_, kinds) in enumerate(seen) if "clock_skew" in kinds)
        assert first_alerted <= 1, seen  # the first or the second heartbeat
        [alert] = [a for a in Board(hub.live, hub.activity, hub.dashboard, hub.started).current_alerts(None)]
        assert (alert.kind, alert.severity) == ("clock_skew", "warning")
        assert alert.detail.startswith("clock 10 min behind"), alert.detail
        # The site's supervisor acknowledges it: kept with who and when, and still shown.
        api = logged_in(hub, Role.SUPERVISOR, [rig.config.station.site])
        answer = api.post("/api/v1/alerts/ack", json={"ids": [alert.id]}, headers={"Origin": str(api.base_url)})
        assert answer.status_code == 200, answer.text
        [shown] = api.get("/api/v1/alerts").json()["alerts"]
        assert shown["id"] == alert.id and shown["acknowledged_by"] and shown["acknowledged_at"]
    finally:
        process.signal(signal.SIGTERM)
        rig.stop()


def test_a_station_on_the_machines_clock_raises_no_clock_alert(
    tmp_path: Path, mosquitto: MosquittoServer, hub: Hub
) -> None:
    rig, process = start_station(tmp_path, mosquitto, offset_s=0)
    station = rig.config.station.id
    seen = watch(hub, station)
    try:
        assert wait_until(lambda: len(seen) >= 6, 30), process.log.read_text()  # past the median's 5 heartbeats
        assert all(not kinds for _, kinds in seen), seen
    finally:
        process.signal(signal.SIGTERM)
        rig.stop()
