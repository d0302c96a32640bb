"""GET /api/v1/throughput reads back from the real InfluxDB what the ingest stored."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from config.influx import InfluxSettings
from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from hub.api.app import create_app
from hub.service import Hub
from hub.storage.influx_v1 import InfluxV1, Series
from local_servers import MosquittoServer
from local_servers.fleet import make_event
from tests.conftest import unique, wait_until
from tests.integration.conftest import logged_in, stored_count


def test_throughput_per_station_and_category(mosquitto: MosquittoServer, hub: Hub) -> None:
    client = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), unique("station"))
    client.start()
    assert client.wait_connected(10)
    now = datetime.now(UTC).replace(microsecond=0)
    zwolle = [
        make_event(1, category="pp", weight_kg=0.250, when=now - timedelta(minutes=5)),
        make_event(2, category="pp", weight_kg=0.125, when=now - timedelta(minutes=4)),
        make_event(3, category="pet", weight_kg=1.0, when=now - timedelta(minutes=3)),
        make_event(4, category="pet", weight_kg=0.333, when=now - timedelta(days=3)),  # outside the range
    ]
    undo = make_event(5, category="pp", weight_kg=0.125, when=now - timedelta(minutes=2), undoes=zwolle[1].event_id)
    ommen = [
        make_event(
            1,
            station="ommen-textile-1",
            site="ommen",
            stream="textile",
            category="creme",
            weight_kg=0.8,
            when=now - timedelta(minutes=1),
        ),
    ]
    for event in [*zwolle, undo, *ommen]:
        client.publish(topic(event.site, event.station, TopicKind.EVENT), event.to_json(), qos=1)
    assert wait_until(lambda: stored_count(hub) == 6, 20)
    client.stop()

    api = logged_in(hub)
    body = api.get(
        "/api/v1/throughput",
        params={"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(minutes=1)).isoformat()},
    ).json()
    rows = {(r["station"], r["category"]): (r["kg"], r["items"]) for r in body["rows"]}
    assert rows == {
        ("zwolle-plastic-1", "pp"): (0.25, 1),  # 0.250 + 0.125 - 0.125 (undone)
        ("zwolle-plastic-1", "pet"): (1.0, 1),
        ("ommen-textile-1", "creme"): (0.8, 1),
    }
    stations = {s["station"]: (s["kg"], s["items"]) for s in body["stations"]}
    assert stations == {"zwolle-plastic-1": (1.25, 2), "ommen-textile-1": (0.8, 1)}

    only_ommen = api.get("/api/v1/throughput", params={"site": "ommen"}).json()
    assert [r["station"] for r in only_ommen["rows"]] == ["ommen-textile-1"]
    default_range = api.get("/api/v1/throughput").json()  # the last 24 hours
    assert {s["station"] for s in default_range["stations"]} == {"zwolle-plastic-1", "ommen-textile-1"}
    week = api.get("/api/v1/throughput", params={"from": (now - timedelta(days=7)).isoformat()}).json()
    assert {r["category"]: r["kg"] for r in week["rows"] if r["station"] == "zwolle-plastic-1"}["pet"] == 1.333

    # Periods are whole local days answered from the day rollups; the same range through from/to agrees.
    by_period = api.get("/api/v1/throughput", params={"period": "week"}).json()
    same_range = api.get("/api/v1/throughput", params={"from": by_period["start"], "to": by_period["end"]}).json()
    assert by_period["rows"] == same_range["rows"]
    assert {r["category"]: r["kg"] for r in by_period["rows"] if r["station"] == "zwolle-plastic-1"}["pet"] == 1.333
    today = api.get("/api/v1/throughput", params={"period": "day"}).json()
    assert all(r["kg"] <= 1.0 for r in today["rows"])  # the item of three days ago is not today's
    both = api.get("/api/v1/throughput", params={"period": "day", "from": now.isoformat()})
    assert both.status_code == 400 and "either" in both.json()["detail"]


def test_bad_parameters_get_clear_errors(hub: Hub) -> None:
    api = logged_in(hub)
    backwards = api.get("/api/v1/throughput", params={"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"})
    assert backwards.status_code == 400 and "before" in backwards.json()["detail"]
    too_long = api.get("/api/v1/throughput", params={"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
    assert too_long.status_code == 400 and "366 days" in too_long.json()["detail"]
    assert api.get("/api/v1/throughput", params={"from": "yesterday"}).status_code == 422
    injection = api.get("/api/v1/throughput", params={"site": "x' OR 1=1 --"})
    assert injection.status_code == 422


def test_status_page_and_operations_endpoints(hub: Hub) -> None:
    api = logged_in(hub)
    page = api.get("/")
    assert page.status_code == 200 and "Sortcentre" in page.text and "/static/dashboard.js" in page.text
    assert api.get("/static/dashboard.js").status_code == 200
    health = api.get("/api/v1/health").json()
    assert health == {"status": "ok", "influx": True, "ingest": {"source": "mqtt", "problem": None}}
    metrics = api.get("/metrics").text
    assert "sortcentre_events_stored_total" in metrics
    assert api.get("/api/v1/admin/dead-letters").json() == {"counts": {}, "latest": []}


FAR_RANGES = [
    {"from": "0001-01-01T00:00:00", "to": "0001-01-02T00:00:00"},
    {"from": "0001-01-01T00:00:00+01:00", "to": "0001-01-02T00:00:00"},  # before year 1 in UTC
    {"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T23:59:59Z"},
    {"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T23:00:00-05:00"},  # after year 9999 in UTC
    {"from": "1600-01-01T00:00:00Z", "to": "1600-01-02T00:00:00Z"},  # before what InfluxDB can hold
    {"from": "2262-04-10T00:00:00Z", "to": "2262-04-12T00:00:00Z"},
]


@pytest.mark.parametrize("params", FAR_RANGES)
def test_far_years_are_400_with_the_bounds(hub: Hub, params: dict[str, str]) -> None:
    """500 (an OverflowError in the bucket arithmetic) or 503 (InfluxDB refusing the time) before."""
    answer = logged_in(hub).get("/api/v1/throughput", params=params)
    assert answer.status_code == 400, answer.text
    assert "must lie between 1970-01-02 and 2199-12-31" in answer.json()["detail"]


class Garbling(InfluxV1):
    """The real InfluxDB, asked a query it cannot parse: up, and refusing."""

    def query(self, influxql: str) -> list[Series]:
        return super().query(influxql + " GARBAGE (")


def test_a_refused_query_is_400_and_only_an_unreachable_store_is_503(hub: Hub) -> None:
    refusing = dataclasses.replace(hub.state, store=Garbling(hub.settings.influx))
    gone = dataclasses.replace(hub.state, store=InfluxV1(InfluxSettings(url="http://127.0.0.1:9", timeout_s=2)))
    for path in ("/api/v1/throughput", "/api/v1/history", "/api/v1/vision/agreement"):
        refused = logged_in(hub, client=TestClient(create_app(refusing))).get(path)
        assert refused.status_code == 400 and "refused" in refused.json()["detail"], (path, refused.text)  # 503 before
        down = logged_in(hub, client=TestClient(create_app(gone))).get(path)
        assert down.status_code == 503 and "unavailable" in down.json()["detail"], (path, down.text)
