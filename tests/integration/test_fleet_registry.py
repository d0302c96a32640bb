"""The station registry against a real Mosquitto with accounts and a running hub (docs/fleet.md, Registry):
``sortcentre stations add`` gives a new station an account on the running broker (SIGHUP, same process), the
station publishes its own events and nothing else, the admin API lists it, and ``retire`` locks it out."""

from __future__ import annotations

import time
from pathlib import Path

import tomli_w
from typer.testing import CliRunner

from config.station import StationConfig
from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from hub.auth.principal import Role
from hub.broker_accounts import BrokerAccounts
from hub.fleet.bundle import PASSWORD_FILE, STATION_FILE, TOKEN_FILE
from hub.fleet.cli import stations_app
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import make_event
from local_servers.mosquitto import mqtt_connack
from tests.conftest import wait_until
from tests.integration.conftest import logged_in, secured_hub_settings, stored_count
from tests.integration.test_broker_identities import heartbeat, raw

NEW = "zwolle-plastic-7"
KNOWN = "zwolle-plastic-1"  # has a broker account (the secured fixture's) but was never added to the registry


def test_a_station_added_to_a_running_broker_sends_its_own_events_until_retired(
    secured: tuple[MosquittoServer, BrokerAccounts], influx: InfluxServer, tmp_path: Path
) -> None:
    broker, accounts = secured
    settings = secured_hub_settings(broker, accounts, influx)
    settings.fleet.seen_write_interval_s = 0  # the registry's flags follow each heartbeat at once
    config = tmp_path / "hub.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "mqtt": {"host": broker.host, "port": broker.port},
                "fleet": settings.fleet.model_dump(mode="json", exclude_none=True),
            }
        )
    )

    def stations(*args: str) -> str:
        result = CliRunner().invoke(stations_app, [*args, "--config", str(config)], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return result.output

    hub = Hub(settings)
    hub.start()
    broker_pid = broker.pid
    station: MqttClient | None = None
    try:
        assert hub.wait_subscribed(10)
        bundle = tmp_path / "bundle"
        out = stations(
            "add", NEW, "--site", "zwolle", "--stream", "plastic", "--out", str(bundle), "--station-dir", str(bundle)
        )
        assert f"broker (pid {broker_pid}) reloaded" in out
        mqtt = StationConfig.load(bundle / STATION_FILE).mqtt
        station = MqttClient(mqtt, NEW)
        station.start()
        assert station.wait_connected(10), "the new station could not log in after the reload"

        own = make_event(1, station=NEW)
        foreign = make_event(1, station=KNOWN)
        station.publish(topic("zwolle", NEW, TopicKind.EVENT), own.to_json())
        station.publish(topic("zwolle", KNOWN, TopicKind.EVENT), foreign.to_json())
        station.publish(topic("zwolle", NEW, TopicKind.HEARTBEAT), heartbeat("zwolle", NEW), qos=0)
        assert wait_until(lambda: stored_count(hub) >= 1, 10)
        with raw(broker, accounts, KNOWN) as known:  # a station with an account the registry never added
            known.publish(topic("zwolle", KNOWN, TopicKind.HEARTBEAT), heartbeat("zwolle", KNOWN))
            assert wait_until(lambda: hub.registry.get(KNOWN) is not None, 10)
        time.sleep(1.0)  # give a wrongly allowed message every chance to arrive
        assert stored_count(hub) == 1, "the broker let the new station publish under another station's topic"
        assert broker.pid == broker_pid and broker.running, "the broker was restarted, not reloaded"

        # The admin's view: the added station in service, the other one heard of and flagged.
        admin = logged_in(hub, Role.ADMIN)
        answer = admin.get("/api/v1/fleet")
        assert answer.status_code == 200, answer.text
        fleet = {entry["id"]: entry for entry in answer.json()["stations"]}
        assert fleet[NEW]["unregistered"] is False and fleet[NEW]["broker_account"] == NEW
        assert fleet[NEW]["stream"] == "plastic" and fleet[NEW]["software_version"] == "0.6.0"
        assert fleet[KNOWN]["unregistered"] is True and fleet[KNOWN]["broker_account"] is None
        assert admin.get("/api/fleet").json() == answer.json()
        supervisor = logged_in(hub, Role.SUPERVISOR, ["zwolle"])
        assert supervisor.get("/api/v1/fleet").status_code == 403
        assert supervisor.get("/api/fleet").status_code == 403
        tiles = {tile["station"]: tile for tile in admin.get("/api/v1/dashboard").json()["stations"]}
        assert tiles[KNOWN]["unregistered"] is True and tiles[NEW]["unregistered"] is False
        token = (bundle / TOKEN_FILE).read_text().strip()
        assert hub.registry.station_for_token(token) == hub.registry.get(NEW)

        stations("retire", NEW)
        # Mosquitto re-checks connected clients on reload: the retired station is pushed off and stays off.
        assert wait_until(lambda: not station.connected.is_set(), 10), "the retired station is still connected"
        assert (
            mqtt_connack(broker.host, broker.port, NEW, (bundle / PASSWORD_FILE).read_text().strip()) == 5
        )  # not authorised
        assert broker.pid == broker_pid and broker.running
        assert hub.registry.station_for_token(token) is None
    finally:
        if station is not None:
            station.stop()
        hub.stop()
