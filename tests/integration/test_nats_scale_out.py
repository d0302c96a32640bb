"""Scale-out on NATS (issue 18): station processes on simulated hardware publish 20,000 events over MQTT to a
three-node NATS cluster; two `sortcentre hub` processes share the JetStream consumer. Mid-stream one hub is
SIGKILLed and one NATS node is stopped and started again: every event is stored exactly once, and the consumer
holds nothing unacknowledged at the end."""

from __future__ import annotations

import signal
import time
import tomllib
from pathlib import Path

import httpx
import pytest
import tomli_w

from config.station import StationConfig
from edge.stations.journal import Journal
from firmware_mocks.sorter import StationRig
from hub.broker_accounts import HUB_LIVE_USER, HUB_USER, BrokerAccounts
from local_servers import InfluxServer
from local_servers.fleet import Address, HubProcess, make_event
from local_servers.nats import NatsCluster, NatsNode
from tests.conftest import unique, wait_until
from tests.integration.conftest import MqttPort, consumer_state, nats_accounts
from tests.integration.test_station_process import StationProcess, write_config

STATIONS = {
    "zwolle-plastic-1": "zwolle",
    "dalfsen-plastic-1": "dalfsen",
    "ommen-plastic-1": "ommen",
    "staphorst-plastic-1": "staphorst",
}
PER_STATION = 5000
TOTAL = PER_STATION * len(STATIONS)
DURABLE = "hub-ingest"


def influx_count(influx: InfluxServer, database: str) -> tuple[int, int]:
    """(points, distinct event ids) of sorting events in ``database``."""
    query = 'SELECT count("weight_g"), count(distinct("event_id")) FROM "sorting_event"'
    try:
        response = httpx.get(f"{influx.url}/query", params={"db": database, "q": query}, timeout=10)
        series = response.json()["results"][0].get("series", [])
    except (httpx.HTTPError, ValueError, KeyError):
        return -1, -1
    return (int(series[0]["values"][0][1]), int(series[0]["values"][0][2])) if series else (0, 0)


def hub_process(
    folder: Path, node: NatsNode, cluster: NatsCluster, accounts: BrokerAccounts, influx: InfluxServer, database: str
) -> HubProcess:
    return HubProcess(
        folder,
        Address(node.host, node.mqtt_port),
        influx,
        database,
        settings={
            "mqtt": {"username": HUB_USER, "password": accounts.passwords[HUB_USER]},
            "live_mqtt": {"username": HUB_LIVE_USER, "password": accounts.passwords[HUB_LIVE_USER]},
            "ingest": {
                "source": "jetstream",
                "workers": 1,
                "jetstream": {"servers": cluster.urls, "durable": DURABLE, "ack_wait_s": 10},
            },
        },
    )


def station_config(folder: Path, node: NatsNode, accounts: BrokerAccounts, station: str, site: str) -> Path:
    """The station's own example config with its account, on ``node``'s MQTT port, its journal holding a
    backlog of PER_STATION events (made while it could not reach the broker)."""
    folder.mkdir(parents=True)
    path = write_config(folder, MqttPort(node.host, node.mqtt_port), kiosk=False, site=site)
    data = tomllib.loads(path.read_text())
    data["station"]["id"] = station
    data["mqtt"] |= {"username": station, "password": accounts.passwords[station]}
    path.write_text(tomli_w.dumps(data))
    journal = Journal(Path(data["journal"]["path"]))
    for _ in range(PER_STATION):
        journal.append(lambda seq: (str((e := make_event(seq, station=station, site=site)).event_id), e.to_json()))
    journal.close()
    return path


@pytest.mark.timeout(600)
def test_20000_events_survive_a_killed_hub_and_a_restarted_node(tmp_path: Path, influx: InfluxServer) -> None:
    accounts = nats_accounts(tmp_path / "auth", STATIONS)
    database = unique("scale").replace("-", "_")
    rigs: list[StationRig] = []
    stations: list[StationProcess] = []
    with NatsCluster(tmp_path / "cluster", accounts=accounts) as cluster:
        nodes = cluster.nodes
        hubs = [hub_process(tmp_path / f"hub-{i}", nodes[i], cluster, accounts, influx, database) for i in range(2)]
        try:
            for hub in hubs:
                hub.start()
            # The consumer must exist before any station publishes ($MQTT_msgs keeps nothing without one).
            assert wait_until(lambda: consumer_state(cluster.urls, accounts) == (0, 0), 60), hubs[0].log.read_text()
            for i, (station, site) in enumerate(STATIONS.items()):
                path = station_config(tmp_path / station, nodes[i % 3], accounts, station, site)
                rigs.append(StationRig(StationConfig.load(path)).start())
                stations.append(StationProcess(path, tmp_path / station / "station.log"))
            for process in stations:
                process.start()

            assert wait_until(lambda: influx_count(influx, database)[0] >= TOTAL // 5, 120), "no flow"
            hubs[0].kill()  # SIGKILL mid-stream: what it held unacknowledged goes to the other hub
            at_kill = influx_count(influx, database)[0]
            nodes[2].stop()  # a node leaves: its stations wait (journal), streams move their leaders
            time.sleep(5)
            nodes[2].start()
            nodes[2].wait_healthy(js_enabled_only=True)
            assert at_kill < TOTAL, "the stream was over before the hub was killed"

            assert wait_until(lambda: influx_count(influx, database) == (TOTAL, TOTAL), 240), (
                f"stored (points, distinct ids): {influx_count(influx, database)}\n{hubs[1].log.read_text()[-3000:]}"
            )
            assert wait_until(lambda: consumer_state(cluster.urls, accounts) == (0, 0), 60), consumer_state(
                cluster, accounts
            )
            # The killed hub's unacknowledged events went to the other one.
            assert "JetStream delivered" in hubs[1].log.read_text()
            journals = [Journal(StationConfig.load(p.config).journal.path) for p in stations]
            assert [j.depth() for j in journals] == [0] * len(stations)
        finally:
            for process in stations:
                if process.proc and process.proc.poll() is None:
                    process.signal(signal.SIGTERM)
            for rig in rigs:
                rig.stop()
            for hub in hubs:
                hub.stop()
