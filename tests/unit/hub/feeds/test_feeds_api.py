"""The feed's HTTP side on a stand-in InfluxDB: parameters and their errors, ETag and 304, CSV, scoping, the
feed's own OpenAPI schema and page, and the admin's period endpoints."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config.feeds import FeedSettings
from config.hub import WebSettings
from hub.api import feeds
from hub.api.bad_request import install as bad_request_answers
from hub.api.deps import current_user
from hub.auth.principal import Principal, Role
from hub.feeds.periods import PeriodStore
from hub.keys import Caller, Scope, feed_caller
from hub.reference import ReferenceData, load_reference
from hub.reports.csv_writer import BOM
from tests.unit.hub.feeds.conftest import FakeInflux, day

DALFSEN = Caller("dalfsen-key", frozenset({Scope.VOLUMES_READ}), frozenset({"dalfsen"}), key_id="abcd1234")
EVERYONE = Caller("ada", frozenset(Scope), None)
FIGURES = {
    (day("2026-10-05"), "dalfsen", "textile", "creme"): (1500, 3),
    (day("2026-10-06"), "dalfsen", "textile", "other"): (250, 1),
    (day("2026-10-06"), "ommen", "textile", "creme"): (4000, 2),
    (day("2026-11-02"), "ommen", "plastic", "pp"): (125, 1),
}
OCT_NOV = {"from": "2026-10-01", "to": "2026-11-30"}


def make_app(tmp_path: Path, store: FakeInflux, caller: Caller = EVERYONE, **settings: int) -> TestClient:
    app = FastAPI()
    bad_request_answers(app)  # as create_app does
    app.include_router(feeds.router)
    app.include_router(feeds.admin_router)
    app.state.hub = SimpleNamespace(store=store)
    app.state.reference = load_reference()
    app.state.periods = PeriodStore(tmp_path / "periods.sqlite")
    app.state.feeds = FeedSettings(**settings)  # type: ignore[arg-type]
    app.dependency_overrides[feed_caller] = lambda: caller
    return TestClient(app)


@pytest.fixture
def store() -> FakeInflux:
    return FakeInflux(FIGURES)


def test_json_rows_and_csv_with_the_same_columns(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store)
    body = api.get("/api/v1/feeds/volumes", params=OCT_NOV).json()
    assert body["reference_version"] == load_reference().version and body["next_cursor"] is None
    assert body["group_by"] == ["site", "municipality", "stream", "category"] and body["interval"] == "month"
    first = body["rows"][0]
    assert first == {
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "site": "dalfsen",
        "municipality": "Dalfsen",
        "stream": "textile",
        "category": "creme",
        "kg": 1.5,
        "items": 3,
        "grams": 1500,
        "status": "open",
        "adjustment_grams": 0,
        "adjustment_items": 0,
    }
    answer = api.get("/api/v1/feeds/volumes", params=OCT_NOV | {"format": "csv"})
    assert answer.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(table[0]) == list(first)
    assert [r["kg"] for r in table] == ["1.500", "0.250", "4.000", "0.125"]
    assert [int(r["grams"]) for r in table] == [r["grams"] for r in body["rows"]]

    totals = api.get("/api/v1/feeds/volumes", params=OCT_NOV | {"group_by": "", "interval": "week"}).json()
    assert [(r["period_start"], r["period_end"], r["grams"]) for r in totals["rows"]] == [
        ("2026-10-05", "2026-10-11", 5750),
        ("2026-11-02", "2026-11-08", 125),
    ]


def test_etag_is_stable_and_if_none_match_gets_304(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store)
    one, two = (api.get("/api/v1/feeds/volumes", params=OCT_NOV) for _ in range(2))
    assert one.headers["etag"] == two.headers["etag"] and one.content == two.content
    assert one.headers["cache-control"] == "private, no-cache"
    etag = one.headers["etag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = api.get("/api/v1/feeds/volumes", params=OCT_NOV, headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert api.get("/api/v1/feeds/volumes", params=OCT_NOV, headers={"If-None-Match": '"x"'}).status_code == 200
    csv_etag = api.get("/api/v1/feeds/volumes", params=OCT_NOV | {"format": "csv"}).headers["etag"]
    assert csv_etag != etag
    store.days[(day("2026-10-07"), "dalfsen", "textile", "creme")] = (1, 1)  # a late event: a new answer
    changed = api.get("/api/v1/feeds/volumes", params=OCT_NOV, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_paging_with_limit_cursor_and_link(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store, page_size=3)
    params = OCT_NOV | {"interval": "day"}
    first = api.get("/api/v1/feeds/volumes", params=params)
    assert len(first.json()["rows"]) == 3 and first.json()["next_cursor"]
    assert 'rel="next"' in first.headers["link"] and "cursor=" in first.headers["link"]
    rest = api.get("/api/v1/feeds/volumes", params=params | {"cursor": first.json()["next_cursor"]}).json()
    assert len(rest["rows"]) == 1 and rest["next_cursor"] is None
    too_big = api.get("/api/v1/feeds/volumes", params=params | {"limit": 4})
    assert too_big.status_code == 400 and "at most 3 rows" in too_big.json()["detail"]
    other_grouping = api.get(
        "/api/v1/feeds/volumes", params=params | {"group_by": "site", "cursor": first.json()["next_cursor"]}
    )
    assert other_grouping.status_code == 400 and "cursor" in other_grouping.json()["detail"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-11-02", "to": "2026-11-01"}, "after to"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "at most 366 days per request"),
        (OCT_NOV | {"group_by": "site,station"}, "unknown field 'station'"),
        (OCT_NOV | {"cursor": "not-a-cursor"}, "cursor"),
        (OCT_NOV | {"municipality": "Atlantis"}, "unknown municipality"),
        (OCT_NOV | {"municipality": "Ommen", "site": "dalfsen"}, "does not lie in"),
        ({"from": "0001-01-01", "to": "0001-01-01"}, "between"),
    ],
)
def test_bad_parameters_get_400_with_a_message(tmp_path: Path, store: FakeInflux, params: dict, message: str) -> None:
    answer = make_app(tmp_path, store).get("/api/v1/feeds/volumes", params=params)
    assert answer.status_code == 400 and message in answer.json()["detail"], answer.text


def test_malformed_parameters_get_400_naming_them(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store)
    for params, name in (
        ({"from": "2026-10-01"}, "'to'"),
        (OCT_NOV | {"interval": "year"}, "'interval'"),
        (OCT_NOV | {"site": "Not A Slug"}, "'site'"),
    ):
        answer = api.get("/api/v1/feeds/volumes", params=params)
        assert answer.status_code == 400 and name in answer.json()["detail"], answer.text


def test_influxdb_down_is_503(tmp_path: Path, store: FakeInflux) -> None:
    store.down = True
    answer = make_app(tmp_path, store).get("/api/v1/feeds/volumes", params=OCT_NOV)
    assert answer.status_code == 503 and "unavailable" in answer.json()["detail"]


def test_a_refused_query_is_400_not_503(tmp_path: Path, store: FakeInflux) -> None:
    """InfluxDB up and refusing the query: asking again gets the same answer, so no "try later" (503 before)."""
    store.refused = True
    answer = make_app(tmp_path, store).get("/api/v1/feeds/volumes", params=OCT_NOV)
    assert answer.status_code == 400 and "refused" in answer.json()["detail"], answer.text
    assert "EOF" not in answer.json()["detail"]  # InfluxDB's words go to the log, not to a partner


def test_a_name_a_spreadsheet_would_run_is_text_in_the_csv(tmp_path: Path, store: FakeInflux) -> None:
    """The feed wrote a municipality named "=..." as it was (the reports' escaping was not used here)."""
    reference = load_reference()
    hostile = reference.model_dump()
    for municipality in hostile["municipalities"]:
        if municipality["slug"] == "dalfsen":
            municipality["name"] = '=HYPERLINK("http://x","klik")'
    store.days[(day("2026-11-03"), "ommen", "plastic", "pp")] = (-400, -1)  # an undo of last month's item
    api = make_app(tmp_path, store)
    api.app.state.reference = ReferenceData.model_validate(hostile)  # type: ignore[attr-defined]
    params = OCT_NOV | {"format": "csv", "group_by": "municipality,stream"}
    table = list(csv.DictReader(io.StringIO(api.get("/api/v1/feeds/volumes", params=params).text)))
    assert {r["municipality"] for r in table} == {'\'=HYPERLINK("http://x","klik")', "Ommen"}
    november = next(r for r in table if r["period_start"] == "2026-11-01")
    assert (november["kg"], november["grams"], november["items"]) == ("-0.275", "-275", "0")  # numbers stay numbers


def test_the_next_link_never_echoes_the_host_header(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store, page_size=3)
    params = OCT_NOV | {"interval": "day"}
    forged = {"Host": "evil.example"}
    link = api.get("/api/v1/feeds/volumes", params=params, headers=forged).headers["link"]
    assert link.startswith("</api/v1/feeds/volumes?") and "evil" not in link  # relative: RFC 8288 §3.2
    api.app.state.web = WebSettings(public_url="https://hub.example.nl/")  # type: ignore[attr-defined]
    link = api.get("/api/v1/feeds/volumes", params=params, headers=forged).headers["link"]
    assert link.startswith("<https://hub.example.nl/api/v1/feeds/volumes?") and "evil" not in link
    cursor = link.split("cursor=")[1].split(">")[0]
    assert len(api.get("/api/v1/feeds/volumes", params=params | {"cursor": cursor}).json()["rows"]) == 1


def test_a_key_reads_only_its_own_sites(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store, DALFSEN)
    own = api.get("/api/v1/feeds/volumes", params=OCT_NOV).json()
    assert {r["site"] for r in own["rows"]} == {"dalfsen"}
    assert all("'ommen'" not in q for q in store.queries)  # not read at all, not just left out
    for narrowing in ({"site": "ommen"}, {"municipality": "Ommen"}, {"municipality": "ommen"}):
        answer = api.get("/api/v1/feeds/volumes", params=OCT_NOV | narrowing)
        assert answer.status_code == 403 and "ommen" in answer.json()["detail"]
    assert api.get("/api/v1/feeds/volumes", params=OCT_NOV | {"municipality": "DALFSEN"}).status_code == 200
    reports_only = make_app(tmp_path, store, Caller("r", frozenset({Scope.REPORTS_READ}), frozenset({"dalfsen"})))
    answer = reports_only.get("/api/v1/feeds/volumes", params=OCT_NOV)
    assert answer.status_code == 403 and "volumes:read" in answer.json()["detail"]


def test_closed_month_through_the_admin_endpoints(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store)
    api.app.dependency_overrides[current_user] = lambda: Principal("ada", Role.ADMIN)  # type: ignore[attr-defined]
    closed = api.post("/api/v1/admin/periods/2026-10/close")
    assert closed.status_code == 200, closed.text
    assert closed.json() | {"closed_at": None} == {
        "month": "2026-10",
        "closed_at": None,
        "closed_by": "ada",
        "kg": 5.75,
        "grams": 5750,
        "items": 6,
    }
    assert api.post("/api/v1/admin/periods/2026-10/close").status_code == 409
    assert api.post("/api/v1/admin/periods/2099-01/close").status_code == 400
    for far in ("0000-01", "0001-01", "9999-12"):  # 500 before: year 0, and the day after 9999-12-31
        answer = api.post(f"/api/v1/admin/periods/{far}/close")
        assert answer.status_code == 400 and "must lie between 1970-01 and 2199-12" in answer.json()["detail"]
    assert api.post("/api/v1/admin/periods/2026-13/close").status_code == 422
    assert [p["month"] for p in api.get("/api/v1/admin/periods").json()] == ["2026-10"]

    store.days[(day("2026-10-06"), "ommen", "textile", "creme")] = (4400, 3)  # late: a 400 g item
    rows = api.get("/api/v1/feeds/volumes", params=OCT_NOV | {"group_by": "site"}).json()["rows"]
    assert [(r["site"], r["status"], r["grams"], r["adjustment_grams"], r["adjustment_items"]) for r in rows] == [
        ("dalfsen", "closed", 1750, 0, 0),
        ("ommen", "closed", 4000, 400, 1),
        ("ommen", "open", 125, 0, 0),
    ]
    api.app.dependency_overrides[current_user] = lambda: Principal("sam", Role.SUPERVISOR, frozenset({"dalfsen"}))  # type: ignore[attr-defined]
    assert api.post("/api/v1/admin/periods/2026-09/close").status_code == 403
    assert api.get("/api/v1/admin/periods").status_code == 403


def test_feed_openapi_and_docs_page(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store, page_size=500)
    api.app.dependency_overrides.clear()  # type: ignore[attr-defined]  # anonymous
    schema = api.get("/api/v1/feeds/openapi.json").json()
    assert list(schema["paths"]) == ["/api/v1/feeds/volumes", "/api/v1/reports/{kind}"]  # the partner API, whole
    assert all("422" not in op["responses"] for ops in schema["paths"].values() for op in ops.values())
    operation = schema["paths"]["/api/v1/feeds/volumes"]["get"]
    names = [p["name"] for p in operation["parameters"]]
    assert names == ["from", "to", "interval", "group_by", "site", "municipality", "format", "limit", "cursor"]
    assert all(p.get("examples") for p in operation["parameters"])
    assert operation["responses"]["200"]["content"]["application/json"]["example"]["rows"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    page = api.get("/api/v1/feeds/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert all(f"<code>{name}</code>" in page.text for name in names)
    assert "month | day | week" in page.text or "day | week | month" in page.text
    assert "<script" not in page.text and "https://cdn" not in page.text and "2026-11-30" in page.text
    # The page size this hub serves, once: not the setting's own bound (100000) beside it.
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert limit["schema"]["anyOf"][0]["maximum"] == 500 and "≤ 500" in page.text and "100000" not in page.text
    assert "100000" not in str(schema) and "100_000" not in str(schema)


def test_an_app_without_a_periods_file_says_so(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store)
    api.app.state.periods = None  # type: ignore[attr-defined]
    answer = api.get("/api/v1/feeds/volumes", params=OCT_NOV)
    assert answer.status_code == 503 and "closed periods" in answer.json()["detail"]


def test_csv_nl_for_dutch_excel_parses_back_to_the_json_feed(tmp_path: Path, store: FakeInflux) -> None:
    api = make_app(tmp_path, store)
    store.days[(day("2026-10-07"), "dalfsen", "textile", "creme")] = (1_234_567, 2000)  # over a thousand kg
    rows = api.get("/api/v1/feeds/volumes", params=OCT_NOV).json()["rows"]
    answer = api.get("/api/v1/feeds/volumes", params=OCT_NOV | {"format": "csv-nl"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(BOM.encode()) and b"\r\n" in answer.content
    assert 'filename="sortcentre-volumes-2026-10-01-2026-11-30-nl.csv"' in answer.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8").removeprefix(BOM)), delimiter=";"))
    assert list(table[0]) == list(rows[0])
    assert table[0]["kg"] == "1236,067"  # a decimal comma and no thousands separator: Excel reads one number
    back = [
        {
            k: float(v.replace(",", ".")) if k == "kg" else int(v) if k.endswith(("grams", "items")) else v or None
            for k, v in line.items()
        }
        for line in table
    ]
    assert back == rows
