"""The volume feed against the real broker and InfluxDB: its totals equal the sums over the stored events to the
gram (late arrivals and undos included), keys read only their own sites, a closed month keeps its figures and
shows late events as an adjustment, and ETag and paging behave."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config.feeds import FeedSettings
from core.contract import SortingEvent, TopicKind, topic
from core.transport.mqtt import MqttClient
from hub.api import feeds
from hub.api.app import create_app
from hub.feeds.periods import PeriodStore
from hub.keys import KeyStore
from hub.keys.ratelimit import TokenBucket
from hub.reference import load_reference
from hub.service import Hub
from local_servers.fleet import make_event
from tests.conftest import wait_until
from tests.integration.conftest import logged_in

AMS = ZoneInfo("Europe/Amsterdam")
REFERENCE = load_reference()
# Three sites in municipalities of the reference data and one in none (its rows have municipality null).
STATIONS = {
    "dalfsen-textile-1": ("dalfsen", "textile", ["creme", "other"]),
    "ommen-textile-1": ("ommen", "textile", ["creme"]),
    "zwolle-plastic-1": ("zwolle", "plastic", ["pp", "pet"]),
    "kampen-plastic-1": ("kampen", "plastic", ["pp"]),
}
VOLUMES = "/api/v1/feeds/volumes"


def feed_app(hub: Hub, folder: Path) -> FastAPI:
    """The hub's app with the feed wired in by hand, until create_app does it (then this only replaces state)."""
    app = create_app(hub.state)
    if not any(getattr(route, "path", None) == VOLUMES for route in app.routes):
        app.include_router(feeds.router)
        app.include_router(feeds.admin_router)
    app.state.reference = REFERENCE
    # A generous rate limit: these tests send hundreds of requests with one key (the limit has its own tests).
    app.state.keys = KeyStore(folder / "keys.sqlite", TokenBucket(100_000, 100_000))
    app.state.periods = PeriodStore(folder / "periods.sqlite")
    app.state.feeds = FeedSettings()
    return app


def bearer(app: FastAPI, *scopes: str, **reach: list[str]) -> dict[str, str]:
    _key, secret = app.state.keys.create(scopes or ["volumes:read"], **reach)
    return {"Authorization": f"Bearer {secret}"}


def publish(hub: Hub, client: MqttClient, events: list[SortingEvent]) -> None:
    before = hub.metrics.events_stored._value.get()
    for event in events:
        client.publish(topic(event.site, event.station, TopicKind.EVENT), event.to_json(), qos=1)
    # Acknowledged means stored and rolled up: the ingest counts an event after both.
    assert wait_until(lambda: hub.metrics.events_stored._value.get() == before + len(events), 90)


class Fleet:
    """Events of the four stations, each with its own sequence numbers."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seqs = dict.fromkeys(STATIONS, 0)

    def event(self, when: datetime, station: str | None = None, weight_kg: float | None = None) -> SortingEvent:
        station = station or self.rng.choice(list(STATIONS))
        site, stream, categories = STATIONS[station]
        self.seqs[station] += 1
        return make_event(
            self.seqs[station],
            station=station,
            site=site,
            stream=stream,
            category=self.rng.choice(categories),
            weight_kg=weight_kg if weight_kg is not None else round(self.rng.uniform(0.005, 4), 3),
            when=when,
        )

    def undo(self, original: SortingEvent) -> SortingEvent:
        self.seqs[original.station] += 1
        return make_event(
            self.seqs[original.station],
            station=original.station,
            site=original.site,
            stream=original.stream,
            category=original.category,
            weight_kg=original.weight_kg,
            when=original.station_time + timedelta(seconds=7),
            undoes=original.event_id,
        )


def local_midnight(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=AMS).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw_sums(hub: Hub, first: date, last: date) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Straight from the events, not the rollups: grams and items per site, stream and category over the local
    days [first, last]."""
    query = (
        f'SELECT sum("weight_g"), sum("items") FROM "sorting_event" WHERE time >= \'{local_midnight(first)}\' '
        f'AND time < \'{local_midnight(last + timedelta(days=1))}\' GROUP BY "site", "stream", "category"'
    )
    settings = hub.settings.influx
    answer = httpx.get(f"{settings.url}/query", params={"db": settings.database, "q": query}, timeout=10).json()
    found = {}
    for series in answer["results"][0].get("series", []):
        tags = series["tags"]
        _time, grams, items = series["values"][0]
        found[(tags["site"], tags["stream"], tags["category"])] = (int(grams), int(items))
    return found


def periods(first: date, last: date, interval: str) -> list[tuple[date, date]]:
    """The feed's periods, worked out independently: days, ISO weeks or months, cut to [first, last]."""
    found, start = [], first
    while start <= last:
        if interval == "day":
            end = start
        elif interval == "week":
            end = start + timedelta(days=6 - start.weekday())
        else:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        end = min(end, last)
        found.append((start, end))
        start = end + timedelta(days=1)
    return found


GroupKey = tuple[str, str, tuple[Any, ...]]


def expected(hub: Hub, first: date, last: date, interval: str, group_by: list[str]) -> dict[GroupKey, tuple[int, int]]:
    fields = ["site", "municipality", "stream", "category"]
    wanted = [f for f in fields if f in group_by or (f == "stream" and "category" in group_by)]
    found: dict[GroupKey, list[int]] = defaultdict(lambda: [0, 0])
    for start, end in periods(first, last, interval):
        for (site, stream, category), (grams, items) in raw_sums(hub, start, end).items():
            municipality = REFERENCE.municipality_of(site)
            values = {
                "site": site,
                "municipality": municipality.name if municipality else None,
                "stream": stream,
                "category": category,
            }
            total = found[(start.isoformat(), end.isoformat(), tuple(values[f] for f in wanted))]
            total[0] += grams
            total[1] += items
    return {key: (g, n) for key, (g, n) in found.items() if g or n}


def live_figures(body: dict[str, Any]) -> dict[GroupKey, tuple[int, int]]:
    """The feed's rows as live figures: frozen + adjustment in a closed month, the figures in an open one."""
    fields = [f for f in ("site", "municipality", "stream", "category") if f in body["group_by"]]
    found = {}
    for row in body["rows"]:
        key = (row["period_start"], row["period_end"], tuple(row[f] for f in fields))
        assert key not in found, key
        assert row["kg"] == round(row["grams"] / 1000, 3)
        found[key] = (row["grams"] + row["adjustment_grams"], row["items"] + row["adjustment_items"])
    return found


def every_row(api: TestClient, headers: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
    body = api.get(VOLUMES, params=params, headers=headers).json()
    assert body["next_cursor"] is None, "a test range fits one page"
    return body


def test_feed_totals_equal_the_stored_events_and_a_closed_month_stays(
    hub: Hub, station: MqttClient, tmp_path: Path
) -> None:
    fleet = Fleet(seed=7)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(AMS).date()
    # About forty days of sorting, published in random order; then events that arrive days after their station
    # time (stations that were offline), into days whose rollups exist already, and undos of earlier items.
    first_wave = [fleet.event(now - timedelta(seconds=fleet.rng.randint(60, 40 * 86_400))) for _ in range(450)]
    publish(hub, station, first_wave)
    late = [fleet.event(now - timedelta(seconds=fleet.rng.randint(3 * 86_400, 39 * 86_400))) for _ in range(120)]
    undos = [fleet.undo(original) for original in fleet.rng.sample(first_wave, 30)]
    publish(hub, station, late + undos)

    app = feed_app(hub, tmp_path)
    api = TestClient(app)
    key = bearer(app, municipalities=[m.slug for m in REFERENCE.municipalities], sites=["kampen"])
    cases = [
        (today - timedelta(days=41), today, "month", ["site", "municipality", "stream", "category"]),
        (today - timedelta(days=20), today - timedelta(days=6), "week", ["municipality", "stream"]),
        (today - timedelta(days=40), today, "day", ["category"]),
        (today - timedelta(days=35), today - timedelta(days=2), "month", []),
        (today - timedelta(days=10), today, "week", ["site", "municipality"]),
    ]

    def check_all() -> None:
        for first, last, interval, group_by in cases:
            params = {"from": first, "to": last, "interval": interval, "group_by": ",".join(group_by)}
            got = live_figures(every_row(api, key, params))
            assert got == expected(hub, first, last, interval, group_by), params

    check_all()
    whole = every_row(api, key, {"from": today - timedelta(days=41), "to": today, "group_by": ""})
    assert sum(r["grams"] for r in whole["rows"]) == sum(
        round(e.weight_kg * 1000) * (-1 if e.undoes else 1) for e in first_wave + late + undos
    )
    assert {r["municipality"] for r in every_row(api, key, {"from": today, "to": today})["rows"]} <= {
        "Dalfsen",
        "Ommen",
        "Zwolle",
        None,  # kampen lies in no municipality of the reference data
    }

    # Closing last month freezes it; a late event for it afterwards shows as an adjustment only.
    last_month_end = today.replace(day=1) - timedelta(days=1)
    month = f"{last_month_end:%Y-%m}"
    monthly = {"from": last_month_end.replace(day=1), "to": today, "interval": "month", "group_by": "site"}
    before = {r["site"]: r for r in every_row(api, key, monthly)["rows"] if r["period_start"].startswith(month)}
    admin = logged_in(hub, client=TestClient(app, headers={"Origin": "http://testserver"}))  # the hub's own page
    closed = admin.post(f"/api/v1/admin/periods/{month}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["grams"] == sum(r["grams"] for r in before.values())
    assert [p["month"] for p in admin.get("/api/v1/admin/periods").json()] == [month]
    assert admin.post(f"/api/v1/admin/periods/{month}/close").status_code == 409

    noon = datetime.combine(last_month_end, datetime.min.time().replace(hour=12), AMS).astimezone(UTC)
    publish(hub, station, [fleet.event(noon, station="dalfsen-textile-1", weight_kg=0.777)])
    after = every_row(api, key, monthly)["rows"]
    frozen = {r["site"]: r for r in after if r["period_start"].startswith(month)}
    assert {s: (r["grams"], r["items"], r["status"]) for s, r in frozen.items()} == {
        s: (r["grams"], r["items"], "closed") for s, r in before.items()
    }
    assert {s: (r["adjustment_grams"], r["adjustment_items"]) for s, r in frozen.items() if r["adjustment_grams"]} == {
        "dalfsen": (777, 1)
    }
    assert all(r["status"] == "open" for r in after if not r["period_start"].startswith(month))
    check_all()  # frozen + adjustment is still the live sum of the events, to the gram


def test_keys_read_only_what_they_may(hub: Hub, station: MqttClient, tmp_path: Path) -> None:
    fleet = Fleet(seed=11)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(AMS).date()
    events = [fleet.event(now - timedelta(seconds=fleet.rng.randint(60, 5 * 86_400)), station=s) for s in STATIONS]
    events += [fleet.event(now - timedelta(seconds=fleet.rng.randint(60, 5 * 86_400))) for _ in range(40)]
    publish(hub, station, events)
    app = feed_app(hub, tmp_path)
    api = TestClient(app)
    week = {"from": today - timedelta(days=6), "to": today}

    reports_only = bearer(app, "reports:read", municipalities=["dalfsen"])
    answer = api.get(VOLUMES, params=week, headers=reports_only)
    assert answer.status_code == 403 and "volumes:read" in answer.json()["detail"]

    dalfsen_key, secret = app.state.keys.create(["volumes:read"], municipalities=["dalfsen"], label="Dalfsen")
    dalfsen = {"Authorization": f"Bearer {secret}"}
    own = api.get(VOLUMES, params=week, headers=dalfsen).json()
    assert own["rows"] and {r["site"] for r in own["rows"]} == {"dalfsen"}
    assert {r["municipality"] for r in own["rows"]} == {"Dalfsen"}
    assert sum(r["grams"] for r in own["rows"]) == sum(
        g for (site, _s, _c), (g, _n) in raw_sums(hub, week["from"], week["to"]).items() if site == "dalfsen"
    )
    for narrowing in ({"site": "ommen"}, {"municipality": "Ommen"}, {"municipality": "ommen"}, {"site": "kampen"}):
        for output in ("json", "csv"):
            answer = api.get(VOLUMES, params=week | narrowing | {"format": output}, headers=dalfsen)
            assert answer.status_code == 403, (narrowing, answer.text)
            assert "grams" not in answer.text
    assert api.get(VOLUMES, params=week | {"municipality": "Dalfsen"}, headers=dalfsen).status_code == 200
    assert api.get(VOLUMES, params=week | {"site": "dalfsen"}, headers=dalfsen).json()["rows"] == own["rows"]
    by_municipality = api.get(VOLUMES, params=week | {"group_by": "municipality"}, headers=dalfsen).json()
    assert {r["municipality"] for r in by_municipality["rows"]} == {"Dalfsen"}

    too_long = api.get(VOLUMES, params={"from": "2025-01-01", "to": "2026-06-30"}, headers=dalfsen)
    assert too_long.status_code == 400 and "at most 366 days per request" in too_long.json()["detail"]

    app.state.keys.revoke(dalfsen_key.id)
    revoked = api.get(VOLUMES, params=week, headers=dalfsen)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    assert (
        api.get(VOLUMES, params=week, headers={"Authorization": "Bearer sck_nope1234_" + "x" * 40}).status_code == 401
    )
    assert api.get(VOLUMES, params=week).status_code == 401


def test_etag_and_paging(hub: Hub, station: MqttClient, tmp_path: Path) -> None:
    fleet = Fleet(seed=13)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(AMS).date()
    publish(
        hub, station, [fleet.event(now - timedelta(seconds=fleet.rng.randint(60, 20 * 86_400))) for _ in range(150)]
    )
    app = feed_app(hub, tmp_path)
    api = TestClient(app)
    key = bearer(app, municipalities=["dalfsen", "ommen", "zwolle"])
    params = {"from": today - timedelta(days=20), "to": today, "interval": "day"}

    whole = api.get(VOLUMES, params=params, headers=key)
    assert whole.status_code == 200 and whole.json()["next_cursor"] is None
    rows = whole.json()["rows"]
    assert len(rows) > 40
    cached = api.get(VOLUMES, params=params, headers=key | {"If-None-Match": whole.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""

    paged, cursor, pages = [], None, 0
    while True:
        page = api.get(VOLUMES, params=params | {"limit": 7} | ({"cursor": cursor} if cursor else {}), headers=key)
        assert page.status_code == 200, page.text
        paged += page.json()["rows"]
        cursor = page.json()["next_cursor"]
        pages += 1
        if cursor is None:
            break
        assert page.headers["link"].endswith('rel="next"')
    assert paged == rows and pages == -(-len(rows) // 7)

    publish(hub, station, [fleet.event(now - timedelta(days=2), station="ommen-textile-1", weight_kg=1.001)])
    changed = api.get(VOLUMES, params=params, headers=key | {"If-None-Match": whole.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != whole.headers["etag"]
