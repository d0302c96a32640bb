"""GET /api/v1/alerts and POST /api/v1/alerts/ack on their own (live view fed by hand, no broker)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config.influx import InfluxSettings
from core.contract import DeviceHealth, TopicKind, topic
from core.transport.protocol import InboundMessage
from hub.api.app import create_app
from hub.api.deps import HubState, current_user
from hub.auth.principal import Principal, Role
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.acks import AlertAcks
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1
from local_servers import free_port
from tests.fakes import heartbeat as a_heartbeat

ZWOLLE = "scale_fault:zwolle/zwolle-plastic-1"
OMMEN = "scale_fault:ommen/ommen-textile-1"


@dataclass
class Api:
    client: TestClient
    live: LiveStations

    def as_user(self, principal: Principal) -> None:
        self.client.app.dependency_overrides[current_user] = lambda: principal  # type: ignore[attr-defined]

    def scale_fault(self, site: str, station: str) -> None:
        beat = a_heartbeat(
            site=site,
            station=station,
            station_time=datetime.now(UTC),
            scale=DeviceHealth.FAULT,
            camera=DeviceHealth.ABSENT,
        )
        self.live._on_message(InboundMessage(topic(site, station, TopicKind.HEARTBEAT), beat.to_json(), 0, 0, False))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    live = LiveStations(DeadLetters())
    store = InfluxV1(InfluxSettings(url=f"http://127.0.0.1:{free_port()}", timeout_s=1))
    acks = AlertAcks(tmp_path / "acks.sqlite", timedelta(minutes=5))
    state = HubState(store, live, DeadLetters(), IngestMetrics(), acks=acks)
    made = Api(TestClient(create_app(state)), live)
    made.scale_fault("zwolle", "zwolle-plastic-1")
    made.scale_fault("ommen", "ommen-textile-1")
    yield made


def test_a_supervisor_acknowledges_an_alert_of_their_site_and_everyone_sees_who(api: Api) -> None:
    api.as_user(Principal("supervisor-zwolle", Role.SUPERVISOR, frozenset({"zwolle"})))
    [only] = api.client.get("/api/v1/alerts").json()["alerts"]
    assert only["id"] == ZWOLLE and only["acknowledged_by"] is None
    answer = api.client.post("/api/v1/alerts/ack", json={"ids": [ZWOLLE]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["acknowledged"] == [ZWOLLE]
    api.as_user(Principal("ada", Role.ADMIN))
    body = api.client.get("/api/v1/alerts").json()
    by_id = {a["id"]: a for a in body["alerts"]}
    assert by_id[ZWOLLE]["acknowledged_by"] == "supervisor-zwolle" and by_id[ZWOLLE]["acknowledged_at"]
    assert by_id[OMMEN]["acknowledged_by"] is None  # shown, not removed
    [group] = body["alert_groups"]
    assert (group["kind"], group["count"], group["acknowledged"]) == ("scale_fault", 2, 1)


def test_another_sites_or_a_cleared_alert_is_refused(api: Api) -> None:
    api.as_user(Principal("supervisor-zwolle", Role.SUPERVISOR, frozenset({"zwolle"})))
    answer = api.client.post("/api/v1/alerts/ack", json={"ids": [OMMEN, "offline:zwolle/nowhere"]})
    assert answer.status_code == 404
    assert answer.json()["detail"].startswith("ids: 2 not a current alert of your sites")
    assert api.client.post("/api/v1/alerts/ack", json={"ids": ["x" * 201]}).status_code == 400
    assert api.client.post("/api/v1/alerts/ack", json={"ids": []}).status_code == 422
    api.as_user(Principal("ada", Role.ADMIN))
    assert all(a["acknowledged_by"] is None for a in api.client.get("/api/v1/alerts").json()["alerts"])
