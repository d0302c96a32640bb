"""Remote config end to end: the hub's API, a broker with accounts (real Mosquitto), a real station process on
simulated hardware (pseudo-terminal scale and button board), and InfluxDB behind the hub.

- a good config PUT at the hub is applied by the station without a restart: its heartbeat names the version, and
  the next item's event uses the new categories;
- a config with an unknown key, published straight on the broker by an independent client (mosquitto_pub with the
  hub's account), is refused by the station: its heartbeat names the key, and so does the dashboard;
- a station restarted while the broker is down runs the last config it applied.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from config.station import StationConfig
from core.contract import TopicKind, topic
from core.contract.fleet import RemoteConfig
from firmware_mocks.sorter import StationRig
from hub.broker_accounts import HUB_USER, BrokerAccounts
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer
from tests.conftest import wait_until
from tests.integration.conftest import logged_in, secured_hub_settings
from tests.integration.test_station_process import StationProcess, health, sort_item, view, write_config

STATION, SITE = "zwolle-plastic-1", "zwolle"  # one of the secured broker's stations (tests/integration/conftest.py)
CATEGORIES = [
    {"id": "hdpe", "nl": "HDPE", "en": "HDPE", "key": "1"},
    {"id": "pet", "nl": "PET", "en": "PET", "key": "2"},
    {"id": "residual", "nl": "Restafval", "en": "Residual", "key": "9"},
]


@pytest.fixture
def hub(secured: tuple[MosquittoServer, BrokerAccounts], influx: InfluxServer) -> Iterator[Hub]:
    broker, accounts = secured
    instance = Hub(secured_hub_settings(broker, accounts, influx))
    instance.start()
    assert instance.wait_subscribed(10)
    yield instance
    instance.stop()


def station_config(tmp_path: Path, broker: MosquittoServer, accounts: BrokerAccounts) -> Path:
    """The documented example as zwolle-plastic-1, logging in with its own broker account."""
    path = write_config(tmp_path, broker, poll_interval_s=0.05, stable_time_s=0.2, kiosk=False, site=SITE)
    data = tomllib.loads(path.read_text())
    data["station"]["id"] = STATION
    data["mqtt"] |= {"username": STATION, "password": accounts.passwords[STATION]}
    path.write_text(tomli_w.dumps(data))
    return path


def last_journaled(journal: Path) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)) as db:
        row = db.execute("SELECT payload FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return json.loads(row[0]) if row else {}


def test_remote_config_applied_refused_and_kept_over_a_reboot_offline(
    tmp_path: Path, secured: tuple[MosquittoServer, BrokerAccounts], hub: Hub
) -> None:
    broker, accounts = secured
    config_path = station_config(tmp_path, broker, accounts)
    config = StationConfig.load(config_path)
    rig = StationRig(config).start()
    process = StationProcess(config_path, tmp_path / "station.log")
    process.start()
    admin = logged_in(hub)
    try:
        assert wait_until(lambda: view(hub, STATION).get("state") == "online", 20), process.log.read_text()
        assert health(hub, STATION).get("config_version") is None  # its file's settings

        # A good config at the hub: applied without a restart, and the next item uses it.
        settings = {"categories": CATEGORIES, "vision": {"thresholds": {"plastic": 0.7}}}
        answer = admin.put(
            f"/api/v1/stations/{STATION}/config", json={"settings": settings}, headers={"Origin": "http://testserver"}
        )
        assert answer.status_code == 200, answer.text
        version = answer.json()["version"]
        assert version == f"{STATION}-1" and answer.json()["published"]
        assert wait_until(lambda: health(hub, STATION).get("config_version") == version, 15), process.log.read_text()
        sort_item(rig, 0.3, "1")
        assert wait_until(lambda: (view(hub, STATION).get("last_event") or {}).get("category") == "hdpe", 15)
        assert admin.get(f"/api/v1/stations/{STATION}/config").json()["status"] == "in_step"

        # An unknown key, published by an independent client with the hub's account: refused, the key named.
        # -c: the broker binds the account to the client id "hub", the hub's persistent ingest session; a clean
        # session under that id would end it, subscriptions and all, and events sent meanwhile would be lost.
        bad = RemoteConfig(
            site=SITE,
            station=STATION,
            version=f"{STATION}-99",
            issued_at=datetime.now(UTC).replace(microsecond=0),
            settings={"categories": CATEGORIES, "vision": {"treshold": 0.5}},
        )
        subprocess.run(
            [
                *(
                    "mosquitto_pub",
                    "-h",
                    broker.host,
                    "-p",
                    str(broker.port),
                    "-q",
                    "1",
                    "-r",
                    "-s",
                    "-c",
                    "-i",
                    HUB_USER,
                ),
                *("-u", HUB_USER, "-P", accounts.passwords[HUB_USER], "-t", topic(SITE, STATION, TopicKind.CONFIG)),
            ],
            input=bad.to_json(),
            check=True,
            capture_output=True,
            timeout=30,
        )
        assert wait_until(lambda: health(hub, STATION).get("config_error") is not None, 15), process.log.read_text()
        beat = health(hub, STATION)
        assert "settings.vision.treshold: unknown key" in beat["config_error"]
        assert beat["config_version"] == version and "config_refused" in beat["warnings"]
        dashboard = admin.get("/api/v1/dashboard").json()
        [tile] = [t for t in dashboard["stations"] if t["station"] == STATION]
        assert "settings.vision.treshold" in tile["config_error"]
        refused = [a for a in dashboard["alerts"] if a["kind"] == "config_refused" and a["station"] == STATION]
        assert refused and "settings.vision.treshold" in refused[0]["detail"]

        # A reboot while the broker is down: the station runs the last config it applied.
        process.signal(signal.SIGTERM)
        broker.stop()
        process.start()
        assert wait_until(lambda: "applied at start" in process.log.read_text(), 20), process.log.read_text()
        sort_item(rig, 0.4, "1")
        assert wait_until(lambda: last_journaled(config.journal.path).get("weight_kg") == 0.4, 10)
        assert last_journaled(config.journal.path)["category"] == "hdpe"
        broker.start()
        assert wait_until(lambda: (view(hub, STATION).get("last_event") or {}).get("weight_kg") == 0.4, 40)
        assert wait_until(lambda: health(hub, STATION).get("config_version") == version, 15)
    finally:
        if process.proc and process.proc.poll() is None:
            process.signal(signal.SIGTERM)
        rig.stop()
