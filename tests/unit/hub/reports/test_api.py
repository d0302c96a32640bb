"""GET /api/v1/reports/{kind} on its own: parameters, scope, closed months and errors, with a stand-in for
InfluxDB that answers the throughput queries from a fixed set of rows (the real one: tests/integration)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.api import reports
from hub.api.bad_request import install as bad_request_answers
from hub.feeds.periods import PeriodStore
from hub.keys import Caller, Scope
from hub.keys.web import feed_caller
from hub.reference import ReferenceData
from hub.reports.csv_writer import BOM
from hub.storage.influx_v1 import InfluxError

ROWS = [  # site, stream, category, grams, items
    ("dalfsen", "textile", "creme", 1000, 2),
    ("nieuwleusen", "textile", "recycling", 3000, 1),
    ("ommen", "textile", "wipers", 700, 1),
]


@dataclass
class FakeInflux:
    """Answers each throughput query with ROWS for the sites in its WHERE clause (one station per site)."""

    down: bool = False
    queries: list[str] = field(default_factory=list)

    def query(self, influxql: str) -> list[dict[str, Any]]:
        if self.down:
            raise InfluxError("connection refused")
        self.queries.append(influxql)
        sites = set(re.findall(r"\"site\" = '([^']+)'", influxql)) or None
        return [
            {
                "tags": {"site": site, "station": f"{site}-1", "stream": stream, "category": category},
                "values": [[0, grams, items]],
            }
            for site, stream, category, grams, items in ROWS
            if sites is None or site in sites
        ]


@dataclass
class Setup:
    client: TestClient
    influx: FakeInflux
    caller: list[Caller]
    app: FastAPI

    def acting_as(self, scopes: set[Scope], sites: set[str] | None) -> None:
        self.caller[0] = Caller("test", frozenset(scopes), None if sites is None else frozenset(sites), "k1")


@pytest.fixture
def api(reference: ReferenceData) -> Setup:
    app = FastAPI()
    bad_request_answers(app)  # as create_app does
    app.include_router(reports.router)
    influx = FakeInflux()
    app.state.hub = SimpleNamespace(store=influx)
    app.state.reference = reference
    caller = [Caller("rova", frozenset(Scope), None, "k0")]
    app.dependency_overrides[feed_caller] = lambda: caller[0]
    return Setup(TestClient(app), influx, caller, app)


NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def test_every_report_in_every_format(api: Setup) -> None:
    for kind in ("bkn", "upv-textiel", "cbs", "co2e"):
        page = api.client.get(f"/api/v1/reports/{kind}", params=NOVEMBER)
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["x-reference-version"] == "test-1" and page.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert f"sortcentre-{kind}-2026-11-01-2026-11-30-ref-test-1.html" in page.headers["content-disposition"]
        plain = api.client.get(f"/api/v1/reports/{kind}", params=NOVEMBER | {"format": "csv"})
        assert plain.headers["content-type"] == "text/csv; charset=utf-8" and plain.text.startswith("row_type,")
        dutch = api.client.get(f"/api/v1/reports/{kind}", params=NOVEMBER | {"format": "csv-nl"})
        assert dutch.content.startswith(BOM.encode()) and dutch.text.removeprefix(BOM).startswith("row_type;")
        assert 'filename="sortcentre-' in dutch.headers["content-disposition"]
        assert dutch.headers["x-open-months"] == "2026-11" and dutch.headers["x-closed-months"] == ""
    cbs = api.client.get("/api/v1/reports/cbs", params=NOVEMBER | {"format": "csv"}).text
    assert cbs.splitlines()[-1] == "total,,0.000,4.700,4.700"


def test_ranges_are_local_days_at_most_366(api: Setup) -> None:
    year = api.client.get("/api/v1/reports/cbs", params={"from": "2025-12-01", "to": "2026-11-30", "format": "csv"})
    assert year.status_code == 200
    # One query per local month (12), each over whole local days: from local midnight (23:00 UTC in winter).
    assert len(api.influx.queries) == 12
    assert "time >= '2025-11-30T23:00:00Z' AND time < '2025-12-31T23:00:00Z'" in api.influx.queries[0]
    assert "time >= '2026-05-31T22:00:00Z' AND time < '2026-06-30T22:00:00Z'" in api.influx.queries[6]  # summer
    too_long = api.client.get("/api/v1/reports/cbs", params={"from": "2025-11-29", "to": "2026-11-30"})
    assert too_long.status_code == 400 and "at most 366 days" in too_long.json()["detail"]
    backwards = api.client.get("/api/v1/reports/cbs", params={"from": "2026-11-30", "to": "2026-11-01"})
    assert backwards.status_code == 400 and "after" in backwards.json()["detail"]
    ancient = api.client.get("/api/v1/reports/cbs", params={"from": "0001-01-01", "to": "0001-01-31"})
    assert ancient.status_code == 400 and "between" in ancient.json()["detail"]
    assert api.client.get("/api/v1/reports/cbs", params={"from": "yesterday", "to": "2026-11-01"}).status_code == 400
    assert api.client.get("/api/v1/reports/cbs", params={"from": "2026-11-01"}).status_code == 400
    assert api.client.get("/api/v1/reports/nope", params=NOVEMBER).status_code == 400
    assert api.client.get("/api/v1/reports/cbs", params=NOVEMBER | {"format": "pdf"}).status_code == 400


def test_scope_and_narrowing(api: Setup) -> None:
    api.acting_as({Scope.REPORTS_READ}, {"dalfsen", "nieuwleusen"})
    mine = api.client.get("/api/v1/reports/cbs", params=NOVEMBER | {"format": "csv"})
    assert mine.status_code == 200
    assert [line.split(",")[1] for line in mine.text.splitlines()[1:]] == ["Dalfsen", ""]
    assert mine.text.splitlines()[-1] == "total,,0.000,4.000,4.000"
    assert all("ommen" not in q for q in api.influx.queries)
    for narrowing in ({"site": "ommen"}, {"municipality": "Ommen"}, {"municipality": "ommen"}, {"site": "x"}):
        answer = api.client.get("/api/v1/reports/bkn", params=NOVEMBER | narrowing)
        assert (answer.status_code == 403 and "ommen" in answer.text) or "x" in answer.text
    page = api.client.get("/api/v1/reports/bkn", params=NOVEMBER | {"site": "nieuwleusen"})
    assert page.status_code == 200 and "Dalfsen: Nieuwleusen" in page.text and "creme" not in page.text
    dalfsen = api.client.get("/api/v1/reports/bkn", params=NOVEMBER | {"municipality": "DALFSEN"})
    assert "Dalfsen: Dalfsen, Nieuwleusen" in dalfsen.text
    unknown = api.client.get("/api/v1/reports/bkn", params=NOVEMBER | {"municipality": "Atlantis"})
    assert unknown.status_code == 400 and "unknown municipality" in unknown.json()["detail"]
    outside = api.client.get("/api/v1/reports/bkn", params=NOVEMBER | {"municipality": "Dalfsen", "site": "ommen"})
    assert outside.status_code == 400
    assert api.client.get("/api/v1/reports/bkn", params=NOVEMBER | {"site": "x' OR 1=1"}).status_code == 400


def test_a_key_without_the_scope_is_refused(api: Setup) -> None:
    api.acting_as({Scope.VOLUMES_READ}, None)
    answer = api.client.get("/api/v1/reports/bkn", params=NOVEMBER)
    assert answer.status_code == 403 and "reports:read" in answer.json()["detail"]
    assert api.influx.queries == []


def test_influx_down_is_503(api: Setup) -> None:
    api.influx.down = True
    answer = api.client.get("/api/v1/reports/co2e", params=NOVEMBER)
    assert answer.status_code == 503 and "unavailable" in answer.json()["detail"]


def test_no_reference_data_is_503(api: Setup) -> None:
    del api.app.state.reference
    assert api.client.get("/api/v1/reports/co2e", params=NOVEMBER).status_code == 503


def test_a_closed_month_is_reported_frozen_and_names_its_late_weight(api: Setup, tmp_path: Path) -> None:
    periods = PeriodStore(tmp_path / "periods.sqlite")
    # Frozen at closing: 800 g of crème in Dalfsen; live, October now holds all of ROWS (4700 g, 4 items).
    periods.freeze("2026-10", {(date(2026, 10, 3), "dalfsen", "textile", "creme"): (800, 1)}, "admin")
    api.app.state.periods = periods
    params = {"from": "2026-10-01", "to": "2026-11-30", "format": "csv"}
    body = api.client.get("/api/v1/reports/co2e", params=params)
    assert body.headers["x-closed-months"] == "2026-10" and body.headers["x-open-months"] == "2026-11"
    october = [line for line in body.text.splitlines() if line.startswith("data,2026-10")]
    assert october == [
        "data,2026-10,2026-10-01,2026-10-31,R3,textile,creme,creme nl,0.800,10.0,creme source,creme source,8.000"
    ]
    page = api.client.get("/api/v1/reports/cbs", params=params | {"format": "html"}).text
    assert "Gesloten, cijfers bevroren: oktober 2026; na sluiting nog 3,9 kg (3 stuks)" in page
    assert "Open: november 2026" in page
    cbs = api.client.get("/api/v1/reports/cbs", params=params).text
    assert cbs.splitlines()[-1] == "total,,0.000,5.500,5.500"  # 0.8 frozen + 4.7 live in November
