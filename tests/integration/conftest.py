"""Integration fixtures: a hub (ingest + live state) against the session's real Mosquitto and InfluxDB, with
its own database and MQTT identities per test so tests cannot see each other's data."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import nats
import pytest
from fastapi.testclient import TestClient

from config.dashboard import DashboardSettings
from config.fleet import FleetSettings
from config.hub import AuthSettings, HubSettings, LiveMqttAccount
from config.influx import InfluxSettings
from config.ingest import IngestSettings, JetStreamSettings
from config.remote import RemoteConfigSettings
from core.transport.mqtt import MqttClient, end_session
from core.transport.settings import MqttSettings
from hub.api.app import create_app
from hub.auth.principal import Role
from hub.broker_accounts import HUB_LIVE_USER, HUB_USER, HUB_USERS, BrokerAccounts
from hub.ingest.jetstream import MQTT_STREAM
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer
from local_servers.nats import NatsNode
from tests.conftest import unique


class MqttEndpoint(Protocol):
    """Where a broker takes MQTT: a MosquittoServer, or a NATS node's MQTT port (``mqtt_endpoint``)."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


def hub_settings(mosquitto: MqttEndpoint, influx: InfluxServer) -> HubSettings:
    name = unique("t").replace("-", "_")
    return HubSettings(
        client_id=unique("hub"),
        mqtt=MqttSettings(host=mosquitto.host, port=mosquitto.port),
        influx=InfluxSettings(url=influx.url, database=name),
        ingest=IngestSettings(batch_max_delay_s=0.05),
        # Each test hub has its own users; the file lies in the session's temporary folder.
        auth=AuthSettings(users_file=influx.data_dir.parent / "hub-users" / f"{name}.sqlite"),
        # ... and its own station registry, so one test's stations are not another's.
        fleet=FleetSettings(registry_file=influx.data_dir.parent / "hub-fleet" / f"{name}.sqlite"),
        remote_config=RemoteConfigSettings(config_file=influx.data_dir.parent / "hub-configs" / f"{name}.sqlite"),
        dashboard=DashboardSettings(acks_file=influx.data_dir.parent / "hub-acks" / f"{name}.sqlite"),
    )


# The stations of a broker with accounts (``secured``), by station id: their sites.
SECURED_STATIONS = {"zwolle-plastic-1": "zwolle", "dalfsen-plastic-1": "dalfsen", "ommen-textile-1": "ommen"}
OBSERVER = "observer"


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[MosquittoServer, BrokerAccounts]]:
    """A broker of its own with accounts as in production: the hub's two, a read-only observer, and the
    stations of SECURED_STATIONS, each bound to its client id and its own site's topics."""
    accounts = BrokerAccounts(tmp_path / "auth")
    for user in HUB_USERS:
        accounts.add_hub(user)
    accounts.add_observer(OBSERVER)
    for station, site in SECURED_STATIONS.items():
        accounts.add_station(station, site)
    with MosquittoServer(tmp_path / "broker", accounts=accounts) as broker:
        yield broker, accounts


def account(broker: MosquittoServer, accounts: BrokerAccounts, user: str) -> MqttSettings:
    """MQTT settings that log in to ``broker`` as ``user``."""
    return MqttSettings(host=broker.host, port=broker.port, username=user, password=accounts.passwords[user])


@dataclass(frozen=True)
class MqttPort:
    """A NATS node's MQTT port as an ``MqttEndpoint``."""

    host: str
    port: int


def nats_accounts(folder: Path, stations: dict[str, str] = SECURED_STATIONS) -> BrokerAccounts:
    """The hub's two accounts and a station account for each of ``stations`` (station id: site), for NATS."""
    accounts = BrokerAccounts(folder)
    for user in HUB_USERS:
        accounts.add_hub(user)
    for station, site in stations.items():
        accounts.add_station(station, site)
    return accounts


def jetstream_hub_settings(node: NatsNode, accounts: BrokerAccounts, influx: InfluxServer) -> HubSettings:
    """A test hub that pulls events from the node's JetStream (its durable consumer, an ack wait of 10 s) and
    follows status and heartbeat over the node's MQTT port."""
    settings = hub_settings(MqttPort(node.host, node.mqtt_port), influx)
    settings.mqtt = MqttSettings(
        host=node.host, port=node.mqtt_port, username=HUB_USER, password=accounts.passwords[HUB_USER]
    )
    settings.live_mqtt = LiveMqttAccount(username=HUB_LIVE_USER, password=accounts.passwords[HUB_LIVE_USER])
    settings.ingest.source = "jetstream"
    settings.ingest.jetstream = JetStreamSettings(servers=[node.url], ack_wait_s=10)
    return settings


def consumer_state(urls: list[str], accounts: BrokerAccounts, durable: str = "hub-ingest") -> tuple[int, int] | None:
    """(not yet delivered, delivered and unacknowledged) of the hubs' consumer; None while NATS cannot say."""

    async def ask() -> tuple[int, int]:
        client = await nats.connect(
            servers=urls, user=HUB_USER, password=accounts.passwords[HUB_USER], connect_timeout=3
        )
        try:
            info = await client.jetstream(timeout=5).consumer_info(MQTT_STREAM, durable)
            return info.num_pending or 0, info.num_ack_pending or 0
        finally:
            await client.close()

    try:
        return asyncio.run(ask())
    except (nats.errors.Error, TimeoutError, OSError):
        return None


def secured_hub_settings(broker: MosquittoServer, accounts: BrokerAccounts, influx: InfluxServer) -> HubSettings:
    """A test hub on a broker with accounts: ingest as ``hub``, live status as ``hub-live``; its registry adds
    stations to this broker's files and reloads it."""
    settings = hub_settings(broker, influx)
    settings.mqtt = account(broker, accounts, HUB_USER)
    settings.live_mqtt = LiveMqttAccount(username=HUB_LIVE_USER, password=accounts.passwords[HUB_LIVE_USER])
    settings.fleet.broker_folder = accounts.folder
    settings.fleet.broker_pid_file = broker.pid_file
    return settings


@pytest.fixture
def hub(mosquitto: MosquittoServer, influx: InfluxServer) -> Iterator[Hub]:
    instance = Hub(hub_settings(mosquitto, influx))
    instance.start()
    assert instance.wait_subscribed(10)
    yield instance
    instance.stop()
    forget_sessions(instance)


@pytest.fixture
def hubs() -> Iterator[list[Hub]]:
    """Hubs a test started; stopped (and their MQTT sessions ended) afterwards, whatever happened."""
    started: list[Hub] = []
    yield started
    for hub in started:
        hub.stop()
        if hub.settings.ingest.source == "mqtt":
            forget_sessions(hub)


def forget_sessions(hub: Hub) -> None:
    """A test hub's persistent session would queue every later test's events at the broker: end it."""
    end_session(hub.settings.mqtt, f"{hub.settings.client_id}-ingest")


def influx_query(hub: Hub, query: str) -> list[list[object]]:
    settings = hub.settings.influx
    response = httpx.get(f"{settings.url}/query", params={"db": settings.database, "q": query}, timeout=10)
    response.raise_for_status()
    series = response.json()["results"][0].get("series", [])
    return [row for s in series for row in s["values"]]


def stored_count(hub: Hub) -> int:
    rows = influx_query(hub, 'SELECT count("weight_g") FROM "sorting_event"')
    return int(rows[0][1]) if rows else 0  # type: ignore[call-overload]


def logged_in(
    hub: Hub, role: Role = Role.ADMIN, sites: Iterable[str] = (), client: TestClient | None = None
) -> TestClient:
    """A client of the hub's web app (a new one unless given), logged in as a new user of this role and sites."""
    username = unique("user")
    password = secrets.token_urlsafe(12)
    hub.logins.users.add(username, password, role, sites)
    api = client or TestClient(create_app(hub.state))
    answer = api.post("/api/v1/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return api


@pytest.fixture
def station(mosquitto: MosquittoServer) -> Iterator[MqttClient]:
    """A connected MQTT client that publishes as the stations do (any station's topics: no broker accounts)."""
    client = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), unique("station"))
    client.start()
    assert client.wait_connected(10)
    yield client
    client.stop()
