"""GET and PUT /api/v1/stations/{station}/config on their own, with a recording MQTT client for the broker (through
the real Mosquitto to a station: tests/integration/test_remote_config.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from config.influx import InfluxSettings
from core.contract import DeviceHealth, TopicKind, topic
from core.transport.protocol import InboundMessage
from hub.api.app import create_app
from hub.api.deps import HubState, current_user
from hub.api.station_config import status_of
from hub.auth.principal import Principal, Role
from hub.fleet.config_store import ConfigStore
from hub.fleet.remote_config import RemoteConfigs
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1
from local_servers import free_port
from tests.fakes import FakeMqtt
from tests.fakes import heartbeat as a_heartbeat

STATION, SITE = "zwolle-plastic-1", "zwolle"
URL = f"/api/v1/stations/{STATION}/config"


@dataclass
class Api:
    client: TestClient
    mqtt: FakeMqtt
    live: LiveStations
    state: HubState

    def as_user(self, principal: Principal) -> None:
        self.client.app.dependency_overrides[current_user] = lambda: principal  # type: ignore[attr-defined]

    def heartbeat(self, **fields: Any) -> None:
        beat = a_heartbeat(
            site=SITE,
            station=STATION,
            station_time=datetime.now(UTC).replace(microsecond=0),
            camera=DeviceHealth.ABSENT,
            **fields,
        )
        where = topic(SITE, STATION, TopicKind.HEARTBEAT)
        self.live._on_message(InboundMessage(where, beat.to_json(), 0, 0, False))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    mqtt = FakeMqtt()
    live = LiveStations(DeadLetters())
    store = InfluxV1(InfluxSettings(url=f"http://127.0.0.1:{free_port()}", timeout_s=1))
    configs = RemoteConfigs(ConfigStore(tmp_path / "configs.sqlite"), mqtt)
    state = HubState(store, live, DeadLetters(), IngestMetrics(), remote_config=configs)
    made = Api(TestClient(create_app(state)), mqtt, live, state)
    made.as_user(Principal("ada", Role.ADMIN))
    yield made


def test_a_good_config_is_stored_published_and_reported_back(api: Api) -> None:
    api.heartbeat()  # the hub knows the station, and its site, from its heartbeat
    answer = api.client.put(URL, json={"settings": {"vision": {"thresholds": {"plastic": 0.8}}}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["version"], body["site"], body["published"], body["changed_by"]) == (f"{STATION}-1", SITE, True, "ada")
    assert api.mqtt.published[-1][0] == topic(SITE, STATION, TopicKind.CONFIG)
    view = api.client.get(URL).json()
    assert view["held"]["version"] == f"{STATION}-1" and view["status"] == "pending"
    api.heartbeat(config_version=f"{STATION}-1")
    view = api.client.get(URL).json()
    assert view["status"] == "in_step" and view["reported"]["config_version"] == f"{STATION}-1"
    assert [v["version"] for v in view["history"]] == [f"{STATION}-1"]
    # The unversioned path of the issue answers the same.
    assert api.client.get(f"/api/stations/{STATION}/config").json()["held"] == view["held"]


def test_a_bad_config_is_422_naming_the_key_and_not_published(api: Api) -> None:
    api.heartbeat()
    for settings, key in [
        ({"colour": "red"}, "settings.colour: unknown key"),
        ({"vision": {"thresholds": {"plastic": 1.5}}}, "settings.vision.thresholds.plastic"),
        ({"blind_share": 0.9}, "settings.blind_share"),
    ]:
        answer = api.client.put(URL, json={"settings": settings})
        assert answer.status_code == 422 and key in answer.json()["detail"], answer.text
    assert api.mqtt.published == []
    assert api.client.get(URL).json()["held"] is None


def test_a_refusal_the_station_reports_shows(api: Api) -> None:
    api.heartbeat(config_error="config zwolle-plastic-1-2 refused: settings.vision.treshold: unknown key")
    view = api.client.get(URL).json()
    assert view["status"] == "refused" and "settings.vision.treshold" in view["reported"]["config_error"]


def test_the_site_comes_from_the_body_for_a_station_not_heard_yet(api: Api) -> None:
    assert api.client.put(URL, json={"settings": {}}).status_code == 422  # which site's topic?
    answer = api.client.put(URL, json={"site": SITE, "settings": {}})
    assert answer.status_code == 200 and answer.json()["site"] == SITE
    assert api.client.put(URL, json={"site": "dalfsen", "settings": {}}).status_code == 409


def test_admins_only(api: Api) -> None:
    api.as_user(Principal("sam", Role.SUPERVISOR, frozenset({SITE})))
    assert api.client.get(URL).status_code == 403
    assert api.client.put(URL, json={"site": SITE, "settings": {}}).status_code == 403
    assert api.mqtt.published == []


def test_a_hub_without_remote_config_answers_503(api: Api) -> None:
    api.state.remote_config = None
    assert api.client.get(URL).status_code == 503


def test_status() -> None:
    assert status_of(None, None) == "file"
    assert status_of("s-1", None) == "unknown"
