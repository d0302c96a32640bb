"""The four reports against the real broker and InfluxDB: their totals equal the published grams (undos and a
late arrival included), a Dalfsen key sees only Dalfsen in every report and nothing else by any parameter, and a
key without reports:read is refused."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config.influx import InfluxSettings
from core.contract import SortingEvent, TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from hub.api import reports
from hub.api.app import create_app
from hub.feeds.periods import PeriodStore
from hub.keys import KeyStore
from hub.keys.ratelimit import TokenBucket
from hub.local_calendar import LOCAL
from hub.reference import load_reference
from hub.reports.csv_writer import BOM
from hub.service import Hub
from hub.storage.influx_v1 import InfluxV1
from local_servers import MosquittoServer
from local_servers.fleet import make_event
from tests.conftest import unique, wait_until
from tests.integration.conftest import stored_count

REFERENCE = load_reference()
KINDS = ("bkn", "upv-textiel", "cbs", "co2e")
PATH = "/api/v1/reports/{kind}"


def report_app(hub: Hub, folder: Path) -> FastAPI:
    """The hub's app with the reports wired in by hand until create_app does it (then this only sets state)."""
    app = create_app(hub.state)
    if not any(getattr(route, "path", None) == PATH for route in app.routes):
        app.include_router(reports.router)
    app.state.reference = REFERENCE
    app.state.keys = KeyStore(folder / "keys.sqlite", TokenBucket(100_000, 100_000))
    app.state.periods = PeriodStore(folder / "periods.sqlite")  # no closed months but the test's own
    return app


@pytest.fixture
def events(mosquitto: MosquittoServer, hub: Hub) -> Iterator[list[SortingEvent]]:
    """Dalfsen (textile and plastic) and Ommen (textile), published through Mosquitto; one undo, one event
    three days old (a station that was offline) and odd weights, so any rounding would show."""
    now = datetime.now(UTC).replace(microsecond=0)
    late = now - timedelta(days=3)

    def at(minutes: int) -> datetime:
        return now - timedelta(minutes=minutes)

    def sorted_at(station: str, seq: int, category: str, weight_kg: float, when: datetime) -> SortingEvent:
        site, stream, _n = station.split("-")
        return make_event(
            seq, station=station, site=site, stream=stream, category=category, weight_kg=weight_kg, when=when
        )

    sent = [
        sorted_at("dalfsen-textile-1", 1, "creme", 0.333, at(30)),
        sorted_at("dalfsen-textile-1", 2, "export", 1.001, at(29)),
        sorted_at("dalfsen-textile-1", 3, "recycling", 2.5, at(28)),
        sorted_at("dalfsen-textile-1", 4, "wipers", 0.017, at(27)),
        sorted_at("dalfsen-textile-1", 5, "residual", 0.2, at(26)),
        sorted_at("dalfsen-textile-1", 6, "creme", 0.125, late),
        sorted_at("dalfsen-plastic-1", 1, "pp", 0.071, at(25)),
        sorted_at("dalfsen-plastic-1", 2, "pet", 0.001, at(24)),
        sorted_at("ommen-textile-1", 1, "creme", 0.8, at(23)),
        sorted_at("ommen-textile-1", 2, "recycling", 4.444, at(22)),
    ]
    undone = sent[2]
    undo = make_event(
        7,
        station=undone.station,
        site=undone.site,
        stream=undone.stream,
        category=undone.category,
        weight_kg=undone.weight_kg,
        when=at(20),
        undoes=undone.event_id,
    )
    client = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), unique("station"))
    client.start()
    assert client.wait_connected(10)
    for event in [*sent, undo]:
        client.publish(topic(event.site, event.station, TopicKind.EVENT), event.to_json(), qos=1)
    # Stopping the client before the broker has everything would lose what is still in its send queue.
    assert wait_until(lambda: stored_count(hub) == 11, 20)
    client.stop()
    yield [*sent, undo]


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def grams(events: list[SortingEvent], site: str | None = None, stream: str | None = None) -> int:
    return sum(
        round(e.weight_kg * 1000) * (-1 if e.undoes else 1)
        for e in events
        if (site is None or e.site == site) and (stream is None or e.stream == stream)
    )


def kg(total: int) -> str:
    return f"{total // 1000}.{total % 1000:03d}"


def rows(client: TestClient, kind: str, headers: dict[str, str], **params: str) -> list[dict[str, str]]:
    answer = client.get(PATH.format(kind=kind), params=params | {"format": "csv"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


def total(table: list[dict[str, str]]) -> dict[str, str]:
    (found,) = [r for r in table if r["row_type"] == "total"]
    return found


def test_report_totals_equal_the_published_grams_and_keys_see_only_their_own(
    hub: Hub, events: list[SortingEvent], tmp_path: Path
) -> None:
    app = report_app(hub, tmp_path)
    client = TestClient(app)
    keys: KeyStore = app.state.keys
    _, rova = keys.create(["reports:read"], municipalities=["dalfsen", "ommen"], label="ROVA")
    today = datetime.now(LOCAL).date()
    span = {"from": (today - timedelta(days=5)).isoformat(), "to": today.isoformat()}
    as_rova = auth(rova)
    everything = grams(events)
    assert everything == 333 + 1001 + 17 + 200 + 125 + 71 + 1 + 800 + 4444  # the undone 2.5 kg is gone

    # The rollups are refreshed as each batch is stored: wait until the last batch's figures are in.
    assert wait_until(lambda: total(rows(client, "cbs", as_rova, **span))["total_kg"] == kg(everything), 20)
    bkn = rows(client, "bkn", as_rova, **span)
    assert total(bkn)["intake_kg"] == kg(everything) and total(bkn)["items"] == "9"  # 10 items, one undone
    creme = next(r for r in bkn if r["site"] == "dalfsen" and r["category"] == "creme")
    assert creme["intake_kg"] == "0.458" and creme["items"] == "2"  # the late one counts in its own day
    subtotals = {r["site"]: r for r in bkn if r["row_type"] == "subtotal"}
    assert subtotals["dalfsen"]["intake_kg"] == kg(grams(events, "dalfsen"))
    assert subtotals["ommen"]["recycled_kg"] == "4.444"

    upv = rows(client, "upv-textiel", as_rova, **span)
    assert total(upv)["intake_kg"] == kg(grams(events, stream="textile"))
    dalfsen_textile = next(r for r in upv if r["municipality"] == "Dalfsen")
    assert dalfsen_textile["reuse_nl_kg"] == "0.458" and dalfsen_textile["reuse_export_kg"] == "1.001"
    assert dalfsen_textile["recycling_kg"] == "0.000" and dalfsen_textile["repurpose_kg"] == "0.017"

    cbs = rows(client, "cbs", as_rova, **span)
    by_municipality = {r["municipality"]: r for r in cbs if r["row_type"] == "data"}
    assert set(by_municipality) == {"Dalfsen", "Ommen"}
    assert by_municipality["Dalfsen"]["plastic_kg"] == "0.072"
    assert by_municipality["Ommen"]["total_kg"] == kg(grams(events, "ommen"))
    assert total(cbs)["textile_kg"] == kg(grams(events, stream="textile"))

    co2e = rows(client, "co2e", as_rova, **span)
    assert total(co2e)["kg"] == kg(everything)
    lines = [r for r in co2e if r["row_type"] == "data"]
    assert sum(round(float(r["co2e_kg"]) * 1000) for r in lines) == round(float(total(co2e)["co2e_kg"]) * 1000)
    assert all(r["source"] for r in lines)

    dutch = client.get(PATH.format(kind="cbs"), params=span | {"format": "csv-nl"}, headers=as_rova)
    assert dutch.content.startswith(BOM.encode()) and f";{kg(everything).replace('.', ',')}\r\n" in dutch.text
    page = client.get(PATH.format(kind="bkn"), params=span, headers=as_rova)
    assert page.status_code == 200 and "Dalfsen: Dalfsen" in page.text and "Ommen: Ommen" in page.text
    assert REFERENCE.version in page.text and page.headers["x-reference-version"] == REFERENCE.version

    # A Dalfsen key: Dalfsen in every report, and Ommen by no parameter.
    _, dalfsen_key = keys.create(["reports:read"], municipalities=["dalfsen"], label="Dalfsen")
    as_dalfsen = auth(dalfsen_key)
    mine = grams(events, "dalfsen")
    assert {r["site"] for r in rows(client, "bkn", as_dalfsen, **span)} == {"dalfsen", ""}
    assert total(rows(client, "bkn", as_dalfsen, **span))["intake_kg"] == kg(mine)
    assert [r["municipality"] for r in rows(client, "upv-textiel", as_dalfsen, **span)] == ["Dalfsen", ""]
    assert [r["municipality"] for r in rows(client, "cbs", as_dalfsen, **span)] == ["Dalfsen", ""]
    assert total(rows(client, "co2e", as_dalfsen, **span))["kg"] == kg(mine)
    html = client.get(PATH.format(kind="cbs"), params=span, headers=as_dalfsen).text
    assert "Ommen" not in html and "4,444" not in html
    for kind in KINDS:
        for narrowing in ({"site": "ommen"}, {"municipality": "Ommen"}, {"municipality": "ommen"}):
            answer = client.get(PATH.format(kind=kind), params=span | narrowing, headers=as_dalfsen)
            assert answer.status_code == 403, (kind, narrowing, answer.text)
        same = client.get(PATH.format(kind=kind), params=span | {"municipality": "Dalfsen"}, headers=as_dalfsen)
        assert same.status_code == 200


def test_keys_without_the_scope_or_revoked_are_refused(hub: Hub, tmp_path: Path) -> None:
    app = report_app(hub, tmp_path)
    client = TestClient(app)
    keys: KeyStore = app.state.keys
    november = {"from": "2026-11-01", "to": "2026-11-30"}
    _, volumes_only = keys.create(["volumes:read"], municipalities=["dalfsen"])
    for kind in KINDS:
        answer = client.get(
            PATH.format(kind=kind), params=november, headers={"Authorization": f"Bearer {volumes_only}"}
        )
        assert answer.status_code == 403 and "reports:read" in answer.json()["detail"]
    key, secret = keys.create(["reports:read"], municipalities=["dalfsen"])
    keys.revoke(key.id)
    assert (
        client.get("/api/v1/reports/bkn", params=november, headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
    assert client.get("/api/v1/reports/bkn", params=november).status_code == 401  # no key, no session
    _, ommen = keys.create(["reports:read"], sites=["ommen"])
    too_long = client.get(
        "/api/v1/reports/bkn",
        params={"from": "2025-01-01", "to": "2026-11-30"},
        headers={"Authorization": f"Bearer {ommen}"},
    )
    assert too_long.status_code == 400 and "366 days" in too_long.json()["detail"]


def test_influx_down_is_503(hub: Hub, tmp_path: Path) -> None:
    app = report_app(hub, tmp_path)
    # The hub's state with a store whose InfluxDB is gone: nothing listens on the discard port.
    app.state.hub = replace(hub.state, store=InfluxV1(InfluxSettings(url="http://127.0.0.1:9", database="gone")))
    _, secret = app.state.keys.create(["reports:read"], sites=["ommen"])
    answer = TestClient(app).get(
        "/api/v1/reports/co2e",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=auth(secret),
    )
    assert answer.status_code == 503 and "unavailable" in answer.json()["detail"]
