"""A real station process on real pseudo-terminal serial ports (MT-SICS scale and button board mocks), through
the real Mosquitto into the hub and the real InfluxDB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import tomli_w

from config.station import StationConfig
from core.contract import Heartbeat, TopicKind, topic
from firmware_mocks.scales.mt_sics import MtSicsScaleMock
from firmware_mocks.sorter import StationRig
from hub.service import Hub
from local_servers import MosquittoServer, free_port
from tests.conftest import unique, wait_until
from tests.integration.conftest import MqttEndpoint, influx_query, stored_count

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "station.toml"


def write_config(
    tmp_path: Path,
    mosquitto: MqttEndpoint,
    poll_interval_s: float = 0.1,
    stable_time_s: float = 0.3,
    kiosk: bool = True,
    site: str = "zwolle",
) -> Path:
    data = tomllib.loads(EXAMPLE.read_text())
    station_id = unique("station")
    data["station"]["id"] = station_id
    data["station"]["site"] = site
    data["scale"] |= {
        "port": str(tmp_path / "scale"),
        "stable_time_s": stable_time_s,
        "poll_interval_s": poll_interval_s,
    }
    data["buttons"]["port"] = str(tmp_path / "buttons")
    data["mqtt"] = {"host": mosquitto.host, "port": mosquitto.port, "keepalive_s": 5}
    data["journal"] = {"path": str(tmp_path / "journal.sqlite")}
    data["heartbeat_s"] = 0.5
    data["kiosk"] = {"port": free_port(), "enabled": kiosk}
    path = tmp_path / "station.toml"
    path.write_text(tomli_w.dumps(data))
    return path


class StationProcess:
    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sortcentre", "station", "--config", str(self.config)],
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
            )

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)
        self.proc.wait(20)


@pytest.fixture
def station(tmp_path: Path, mosquitto: MosquittoServer) -> Iterator[tuple[StationRig, StationProcess]]:
    config_path = write_config(tmp_path, mosquitto)
    rig = StationRig(StationConfig.load(config_path)).start()
    process = StationProcess(config_path, tmp_path / "station.log")
    process.start()
    yield rig, process
    if process.proc and process.proc.poll() is None:
        process.signal(signal.SIGTERM)
    rig.stop()


def sort_item(rig: StationRig, kg: float, key: str) -> None:
    rig.load.place(kg)
    time.sleep(rig.load.settings.settle_s + rig.config.scale.stable_time_s + 0.3)
    rig.buttons.press(key)
    time.sleep(0.2)
    rig.load.clear()
    time.sleep(0.3)


def view(hub: Hub, station_id: str) -> dict[str, object]:
    return next((v for v in hub.live.as_dicts() if v["station"] == station_id), {})


def health(hub: Hub, station_id: str) -> dict[str, object]:
    return view(hub, station_id).get("health") or {}  # type: ignore[return-value]


def test_station_process_end_to_end(station: tuple[StationRig, StationProcess], hub: Hub) -> None:
    rig, process = station
    station_id = rig.config.station.id
    assert wait_until(lambda: view(hub, station_id).get("state") == "online", 20), process.log.read_text()

    items = [(0.250, "1"), (1.125, "2"), (0.042, "9")]
    for kg, key in items:
        sort_item(rig, kg, key)
    assert wait_until(lambda: stored_count(hub) == 3, 15), process.log.read_text()
    rows = influx_query(hub, 'SELECT "weight_g", "category", "seq" FROM "sorting_event"')
    assert [(r[1], r[2], r[3]) for r in rows] == [(250, "pp", 1), (1125, "pet", 2), (42, "residual", 3)]

    # The scale's serial port goes away: the station says so and recovers by itself when it is back.
    rig.scale.stop()
    assert wait_until(lambda: health(hub, station_id).get("scale") == "fault", 10), process.log.read_text()
    rig.scale = MtSicsScaleMock(rig.load, Path(rig.config.scale.port)).start()
    assert wait_until(lambda: health(hub, station_id).get("scale") == "ok", 10), process.log.read_text()
    sort_item(rig, 0.5, "1")
    assert wait_until(lambda: stored_count(hub) == 4, 15), process.log.read_text()

    # A power cut: the broker publishes the last will, and the hub shows the station offline.
    first_boot = health(hub, station_id).get("boot_id")
    process.signal(signal.SIGKILL)
    assert wait_until(lambda: view(hub, station_id).get("state") == "offline", 15), view(hub, station_id)
    process.start()
    assert wait_until(lambda: view(hub, station_id).get("state") == "online", 20), process.log.read_text()
    # A heartbeat of the new boot, not the one the killed process left in the hub's view, says all 4 went out.
    assert wait_until(lambda: health(hub, station_id).get("boot_id") not in (None, first_boot), 10)
    assert health(hub, station_id).get("events_sent") == 4, health(hub, station_id)
    process.signal(signal.SIGTERM)
    assert wait_until(lambda: view(hub, station_id).get("state") == "stopped", 10), (
        view(hub, station_id),
        process.log.read_text(),
    )
    assert "4 sent" in process.log.read_text()


def test_a_station_without_its_button_board_says_so_in_log_heartbeat_and_kiosk(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    config_path = write_config(tmp_path, mosquitto)
    config = StationConfig.load(config_path)
    rig = StationRig(config).start()  # scale and board mocks; the station is pointed elsewhere for its board
    missing = tmp_path / "no-such-board"
    data = tomllib.loads(config_path.read_text())
    data["buttons"]["port"] = str(missing)
    config_path.write_text(tomli_w.dumps(data))
    process = StationProcess(config_path, tmp_path / "station.log")
    process.start()
    try:
        kiosk = f"http://127.0.0.1:{config.kiosk.port}/api/state"

        def kiosk_warnings() -> list[str]:
            try:
                return httpx.get(kiosk, timeout=2).json()["warnings"]  # type: ignore[no-any-return]
            except httpx.HTTPError:
                return []

        assert wait_until(lambda: "buttons_absent" in kiosk_warnings(), 20), process.log.read_text()
        # An independent client reads the heartbeat off the broker.
        heartbeat_topic = topic(config.station.site, config.station.id, TopicKind.HEARTBEAT)
        received = subprocess.run(
            ["mosquitto_sub", "-h", mosquitto.host, "-p", str(mosquitto.port), "-t", heartbeat_topic, "-C", "1"],
            capture_output=True,
            timeout=20,
            check=True,
        )
        assert "buttons_absent" in Heartbeat.model_validate_json(received.stdout).warnings
        log = process.log.read_text()
        warned = [line for line in log.splitlines() if f"buttons missing: button board {missing}" in line]
        assert len(warned) == 1 and " WARNING " in warned[0], log
    finally:
        process.signal(signal.SIGTERM)
        rig.stop()
