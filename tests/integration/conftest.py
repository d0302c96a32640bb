"""Integration fixtures: a hub (ingest + live state) against the session's real Mosquitto and InfluxDB, with
its own database and MQTT identities per test so tests cannot see each other's data."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.api.deps import Role
from hub.ingest.pipeline import IngestSettings
from hub.service import Hub
from hub.settings import AuthSettings, HubSettings
from hub.storage.influx_v1 import InfluxSettings
from sortcentre.infra import InfluxServer, MosquittoServer
from sortcentre.mqtt import MqttClient, MqttSettings, end_session
from tests.conftest import unique


def hub_settings(mosquitto: MosquittoServer, influx: InfluxServer) -> HubSettings:
    name = unique("t").replace("-", "_")
    return HubSettings(
        client_id=unique("hub"),
        mqtt=MqttSettings(host=mosquitto.host, port=mosquitto.port),
        influx=InfluxSettings(url=influx.url, database=name),
        ingest=IngestSettings(batch_max_delay_s=0.05),
        # Each test hub has its own users; the file lies in the session's temporary folder.
        auth=AuthSettings(users_file=influx.data_dir.parent / "hub-users" / f"{name}.sqlite"),
    )


@pytest.fixture
def hub(mosquitto: MosquittoServer, influx: InfluxServer) -> Iterator[Hub]:
    instance = Hub(hub_settings(mosquitto, influx))
    instance.start()
    assert instance._ingest_mqtt.wait_connected(10) and instance._live_mqtt.wait_connected(10)
    yield instance
    instance.stop()
    forget_sessions(instance)


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
