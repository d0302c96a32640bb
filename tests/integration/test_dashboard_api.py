"""The dashboard's data through the real broker and InfluxDB: tiles and alerts, the live event stream, history
(JSON and CSV) and vision agreement, each scoped to the sites of the person asking."""

from __future__ import annotations

import csv
import io
import json
import logging
import queue
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from core.contract import (
    DeviceHealth,
    Heartbeat,
    SortingEvent,
    StationState,
    StationStatus,
    Suggestion,
    TopicKind,
    topic,
)
from core.transport.mqtt import MqttClient
from hub.api.app import create_app
from hub.api.deps import current_user
from hub.auth.principal import Principal, Role
from hub.local_calendar import LOCAL
from hub.service import Hub
from local_servers.fleet import make_event
from tests.conftest import unique, wait_until
from tests.integration.conftest import forget_sessions, stored_count
from tests.sse import read_event

# Sites and stations of their own per test run: the session's broker may hold retained statuses of other
# tests' stations, which every hub's live view picks up.
ZW = unique("zwolle")
OM = unique("ommen")
ZWOLLE = f"{ZW}-plastic-1"
OMMEN = f"{OM}-textile-1"
SAM = Principal("sam", Role.SUPERVISOR, frozenset({ZW}))  # supervisor of "zwolle" only
OTTO = Principal("otto", Role.SUPERVISOR, frozenset({OM}))
ADMIN = Principal("ada", Role.ADMIN)


def z_event(seq: int, **kw: Any) -> SortingEvent:
    return make_event(seq, site=ZW, station=ZWOLLE, **kw)


def o_event(seq: int, **kw: Any) -> SortingEvent:
    kw = {"stream": "textile", "category": "creme"} | kw
    return make_event(seq, site=OM, station=OMMEN, **kw)


def api_as(hub: Hub, who: Principal) -> TestClient:
    app = create_app(hub.state)
    app.dependency_overrides[current_user] = lambda: who
    return TestClient(app)


def send(client: MqttClient, *events: SortingEvent) -> None:
    for event in events:
        client.publish(topic(event.site, event.station, TopicKind.EVENT), event.to_json(), qos=1)


def heartbeat(site: str, name: str, **changes: Any) -> Heartbeat:
    base: dict[str, Any] = {
        "site": site,
        "station": name,
        "boot_id": uuid.uuid4(),
        "station_time": datetime.now(UTC),
        "uptime_s": 60.0,
        "scale": DeviceHealth.OK,
        "camera": DeviceHealth.OK,
        "model_version": "m2",
        "journal_depth": 0,
        "oldest_unsent_age_s": None,
        "clock_synced": True,
        "events_made": 1,
        "events_sent": 1,
        "warnings": [],
        "software_version": "0.6.0",
    }
    return Heartbeat(**(base | changes))


def announce(client: MqttClient, site: str, name: str, **health: Any) -> None:
    """Status and a heartbeat, not retained: later tests' hubs must not inherit these stations."""
    status = StationStatus(
        site=site, station=name, state=StationState.ONLINE, since=datetime.now(UTC), software_version="0.6.0"
    )
    client.publish(topic(site, name, TopicKind.STATUS), status.to_json(), qos=1)
    client.publish(topic(site, name, TopicKind.HEARTBEAT), heartbeat(site, name, **health).to_json(), qos=1)


def today_totals(events: list[SortingEvent]) -> dict[str, tuple[float, int]]:
    """Expected per category, today (local): what the tile must show."""
    today = datetime.now(LOCAL).date()
    totals: dict[str, list[float]] = {}
    for e in events:
        if e.station_time.astimezone(LOCAL).date() != today:
            continue
        sign = -1 if e.undoes else 1
        total = totals.setdefault(e.category, [0.0, 0])
        total[0] += sign * e.weight_kg
        total[1] += sign
    return {k: (round(v[0], 3), int(v[1])) for k, v in totals.items()}


def tile_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [t for t in body["stations"] if t["station"] == name]
    return found


def test_dashboard_tiles_alerts_and_site_scoping(hub: Hub, station: MqttClient) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    announce(station, ZW, ZWOLLE, scale=DeviceHealth.FAULT)
    announce(station, OM, OMMEN, camera=DeviceHealth.FAULT)
    pet = z_event(3, category="pet", weight_kg=1.0, when=now - timedelta(seconds=20))
    zwolle = [
        z_event(1, category="pp", weight_kg=0.5, when=now - timedelta(seconds=40)),
        z_event(2, category="pp", weight_kg=0.25, when=now - timedelta(seconds=30)),
        pet,
        z_event(4, category="pet", weight_kg=1.0, when=now - timedelta(seconds=10), undoes=pet.event_id),
    ]
    ommen = [o_event(1, weight_kg=0.8, when=now)]
    send(station, *zwolle, *ommen)
    assert wait_until(lambda: stored_count(hub) == 5, 20)

    sam = api_as(hub, SAM)
    assert wait_until(lambda: tile_of(sam.get("/api/v1/dashboard").json(), ZWOLLE)["today"]["items"] == 2, 10)
    body = sam.get("/api/v1/dashboard").json()
    assert body["sites"] == [ZW]
    assert [t["station"] for t in body["stations"]] == [ZWOLLE]  # nothing of ommen
    tile = body["stations"][0]
    expected = today_totals(zwolle)
    assert {c["category"]: (c["kg"], c["items"]) for c in tile["today"]["by_category"]} == expected
    assert tile["today"]["kg"] == round(sum(v[0] for v in expected.values()), 3)
    # 0.75 kg and 2 items (the pet one undone) in the last 15 minutes: times four per hour.
    assert tile["last_15min"] == {"kg_per_h": 3.0, "items_per_h": 8.0}
    assert tile["state"] == "online" and tile["scale"] == "fault" and tile["camera"] == "ok"
    assert tile["last_event"]["type"] == "undo" and tile["last_event"]["category"] == "pet"
    assert tile["journal_depth"] == 0 and tile["missing_events"] == 0 and tile["model_version"] == "m2"
    assert [a["id"] for a in body["alerts"]] == [f"scale_fault:{ZW}/{ZWOLLE}"]  # not ommen's camera

    assert sam.get("/api/v1/dashboard", params={"site": OM}).status_code == 403
    assert sam.get("/api/v1/dashboard", params={"site": ZW}).json()["stations"][0]["station"] == ZWOLLE
    assert sam.get("/api/v1/dashboard", params={"site": "Not A Slug"}).status_code == 422

    admin = api_as(hub, ADMIN).get("/api/v1/dashboard").json()
    assert {ZW, OM} <= set(admin["sites"])
    assert tile_of(admin, OMMEN)["today"] == {
        "kg": 0.8,
        "items": 1,
        "by_category": [{"stream": "textile", "category": "creme", "kg": 0.8, "items": 1}],
    }
    mine = {a["id"] for a in admin["alerts"] if a["site"] in (ZW, OM)}
    assert mine == {f"scale_fault:{ZW}/{ZWOLLE}", f"camera_fault:{OM}/{OMMEN}"}
    only_ommen = api_as(hub, ADMIN).get("/api/v1/dashboard", params={"site": OM}).json()
    assert [t["station"] for t in only_ommen["stations"]] == [OMMEN]
    assert {ZW, OM} <= set(only_ommen["sites"])  # the site list stays whole for the filter

    # A hub started afresh on the same database shows the same numbers at once (seeded from InfluxDB).
    again = Hub(hub.settings.model_copy(update={"client_id": unique("hub")}))
    again.start()
    try:
        fresh = api_as(again, ADMIN)
        assert wait_until(lambda: tile_of(fresh.get("/api/v1/dashboard").json(), ZWOLLE)["today"]["items"] == 2, 10)
        seeded = tile_of(fresh.get("/api/v1/dashboard").json(), ZWOLLE)
        assert seeded["today"] == tile["today"] and seeded["last_15min"] == tile["last_15min"]
        assert seeded["last_event"] is None  # nothing heard live yet
    finally:
        again.stop()
        forget_sessions(again)


class LiveReader:
    """Reads an event stream in a thread, so the test can wait for an event with a timeout."""

    def __init__(self, api: TestClient, params: dict[str, str] | None = None) -> None:
        self.events: queue.Queue[tuple[float, dict[str, str]]] = queue.Queue()
        self._api, self._params = api, params or {}
        self._stop = threading.Event()
        self.status: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self._api.stream("GET", "/api/v1/live", params=self._params) as response:
            self.status = response.status_code
            lines = response.iter_lines()
            while not self._stop.is_set():
                event = read_event(lines)
                if event is None:
                    return
                self.events.put((time.monotonic(), event))

    def next(self, timeout: float = 10.0) -> tuple[float, dict[str, Any]]:
        at, event = self.events.get(timeout=timeout)
        return at, {"event": event["event"], "data": json.loads(event["data"])}

    def close(self) -> None:
        self._stop.set()


def test_live_stream_snapshot_then_updates_within_a_second(hub: Hub, station: MqttClient) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    send(station, z_event(1, weight_kg=0.5, when=now - timedelta(seconds=5)))
    assert wait_until(lambda: stored_count(hub) == 1, 20)

    sam = LiveReader(api_as(hub, SAM))
    otto = LiveReader(api_as(hub, OTTO))
    try:
        _, first = sam.next()
        assert first["event"] == "snapshot"
        assert set(first["data"]) == {"generated", "sites", "stations", "alerts", "alert_groups"}
        _, otto_first = otto.next()
        assert otto_first["event"] == "snapshot" and otto_first["data"]["stations"] == []  # zwolle is not his
        # Wait until the snapshot has caught up with the stored event (the live view hears of it after the ack).
        if not first["data"]["stations"] or first["data"]["stations"][0]["today"]["items"] != 1:
            _, first = sam.next()
        assert first["data"]["stations"][0]["today"]["items"] == 1

        published = time.monotonic()
        send(station, z_event(2, weight_kg=0.25, category="pet", when=now))
        arrived, update = sam.next(5)
        assert update["event"] == "update" and set(update["data"]) == {
            "generated",
            "stations",
            "alerts",
            "alert_groups",
        }
        [tile] = update["data"]["stations"]
        assert tile["station"] == ZWOLLE and tile["today"]["items"] == 2 and tile["today"]["kg"] == 0.75
        assert tile["last_event"]["category"] == "pet"
        logging.getLogger(__name__).info("update %.3f s after the publish", arrived - published)
        assert arrived - published < 1.0, f"update {arrived - published:.3f} s after the publish"

        # Ommen's supervisor hears nothing of zwolle; his first update is about his own station.
        send(station, o_event(1, when=now))
        _, his = otto.next(5)
        assert his["event"] == "update" and [t["station"] for t in his["data"]["stations"]] == [OMMEN]
    finally:
        sam.close()
        otto.close()
        hub.broadcaster.close()  # ends the streams, so the readers' threads finish

    forbidden = api_as(hub, SAM).get("/api/v1/live", params={"site": OM})
    assert forbidden.status_code == 403


def test_history_json_and_csv_add_up_to_what_was_published(hub: Hub, station: MqttClient) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first = z_event(1, category="pp", weight_kg=0.5, when=now - timedelta(seconds=30))
    events = [
        first,
        z_event(2, category="pet", weight_kg=1.25, when=now - timedelta(seconds=20)),
        z_event(3, category="pp", weight_kg=0.5, when=now - timedelta(seconds=10), undoes=first.event_id),
        z_event(4, category="pp", weight_kg=2.0, when=now - timedelta(days=3)),  # in the week, not today
        o_event(1, category="other", weight_kg=0.7, when=now),
        z_event(5, category="other", weight_kg=0.3, when=now - timedelta(seconds=5)),  # plastic "other"
    ]
    send(station, *events)
    assert wait_until(lambda: stored_count(hub) == len(events), 20)
    admin = api_as(hub, ADMIN)

    def day(group: str) -> dict[str, Any]:
        answer = admin.get("/api/v1/history", params={"period": "day", "group": group})
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    today = datetime.now(LOCAL).date()
    todays = [e for e in events if e.station_time.astimezone(LOCAL).date() == today]
    expected = {}
    for e in todays:
        key = f"{e.stream}/{e.category}"
        sign = -1 if e.undoes else 1
        kg, items = expected.get(key, (0.0, 0))
        expected[key] = (round(kg + sign * e.weight_kg, 3), items + sign)
    assert wait_until(lambda: {r["key"]: (r["kg"], r["items"]) for r in day("category")["table"]} == expected, 10)
    body = day("category")
    assert body["bucket"] == "hour" and len(body["buckets"]) in (23, 24, 25)
    assert [r["kg"] for r in body["table"]] == sorted((r["kg"] for r in body["table"]), reverse=True)
    for series in body["series"]:  # the series add up to the table
        row = next(r for r in body["table"] if r["key"] == series["key"])
        assert round(sum(series["kg"]), 3) == row["kg"] and sum(series["items"]) == row["items"]
    assert "plastic/other" in expected and "textile/other" in expected  # the same name in two streams

    week = admin.get("/api/v1/history", params={"period": "week", "group": "site"}).json()
    assert week["bucket"] == "day" and len(week["buckets"]) == 7
    sites = {r["key"]: (r["kg"], r["items"]) for r in week["table"]}
    assert sites == {ZW: (3.55, 3), OM: (0.7, 1)}  # 0.5 + 1.25 - 0.5 + 2.0 + 0.3

    # CSV: the same numbers, one row per bucket and key that has any.
    answer = admin.get("/api/v1/history", params={"period": "week", "group": "site", "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="sortcentre-week-site.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == ["bucket_start", "site", "kg", "items"]
    summed: dict[str, list[float]] = {}
    for row in rows:
        total = summed.setdefault(row["site"], [0.0, 0])
        total[0] += float(row["kg"])
        total[1] += int(row["items"])
    assert {k: (round(v[0], 3), int(v[1])) for k, v in summed.items()} == sites
    assert len({r["bucket_start"] for r in rows if r["site"] == ZW}) == 2  # three days ago, and today

    year = admin.get("/api/v1/history", params={"period": "year", "group": "station"}).json()
    assert year["bucket"] == "month" and len(year["buckets"]) == 13
    assert {r["key"]: r["kg"] for r in year["table"]} == {ZWOLLE: 3.55, OMMEN: 0.7}

    # Scoping: a supervisor sees their own site's numbers only, and no other site on request.
    sam = api_as(hub, SAM)
    mine = sam.get("/api/v1/history", params={"period": "week", "group": "station"}).json()
    assert [r["key"] for r in mine["table"]] == [ZWOLLE]
    assert sam.get("/api/v1/history", params={"site": OM}).status_code == 403
    csv_mine = sam.get("/api/v1/history", params={"period": "week", "group": "site", "format": "csv"}).text
    assert OM not in csv_mine and ZW in csv_mine
    assert sam.get("/api/v1/history", params={"period": "decade"}).status_code == 422
    assert sam.get("/api/v1/history", params={"group": "colour"}).status_code == 422


def test_vision_agreement_counts(hub: Hub, station: MqttClient) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    when = now - timedelta(seconds=30)

    def suggested(seq: int, label: str, chosen: str, version: str = "m2", **kw: Any) -> SortingEvent:
        suggestion = Suggestion(label=label, confidence=0.8, model_version=version)
        kw = {"site": ZW, "station": ZWOLLE} | kw
        return make_event(seq, category=chosen, suggestion=suggestion, accepted=label == chosen, when=when, **kw)

    undone = suggested(5, "pp", "pp")
    events = [
        suggested(1, "pp", "pp"),
        suggested(2, "pp", "pp"),
        suggested(3, "pp", "pet"),  # corrected to pet
        suggested(4, "pet", "pet"),
        undone,
        z_event(
            6,
            category="pp",
            suggestion=Suggestion(label="pp", confidence=0.8, model_version="m2"),
            accepted=True,
            when=when,
            undoes=undone.event_id,
        ),
        suggested(7, "hdpe", "ldpe", version="old model, v1 \\ test"),  # free text in a tag
        z_event(8, category="pp", when=when),  # no suggestion
        z_event(9, category="pet", when=when),
        suggested(1, "creme", "wit", site=OM, station=OMMEN, stream="textile"),
    ]
    send(station, *events)
    assert wait_until(lambda: stored_count(hub) == len(events), 20)

    sam = api_as(hub, SAM)
    answer = sam.get("/api/v1/vision/agreement", params={"period": "day"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # zwolle: 7 items once the undone one is taken back (5 with a suggestion, 2 without).
    assert body["total_items"] == 7
    assert body["no_suggestion"] == {"items": 2, "share": round(2 / 7, 4)}
    m2, old = body["models"]
    no_blind = {"blind_items": 0, "blind_correct": 0, "blind_accuracy": 0.0}
    assert m2 == {
        "model_version": "m2",
        "items": 4,
        "accepted": 3,
        "accepted_share": 0.75,
        **no_blind,
        "categories": [
            {"category": "pp", "items": 3, "accepted": 2, "accepted_share": 0.6667, **no_blind},
            {"category": "pet", "items": 1, "accepted": 1, "accepted_share": 1.0, **no_blind},
        ],
        "confusion": [
            {"suggested": "pp", "chosen": "pp", "items": 2},
            {"suggested": "pet", "chosen": "pet", "items": 1},
            {"suggested": "pp", "chosen": "pet", "items": 1},
        ],
    }
    assert old["model_version"] == "old model, v1 _ test"  # a backslash cannot be a tag's text in InfluxDB 1.x
    assert old["confusion"] == [{"suggested": "hdpe", "chosen": "ldpe", "items": 1}] and old["accepted"] == 0

    admin = api_as(hub, ADMIN).get("/api/v1/vision/agreement", params={"period": "week"}).json()
    assert admin["total_items"] == 8 and {m["model_version"] for m in admin["models"]} == {
        "m2",
        "old model, v1 _ test",
    }
    ommen = api_as(hub, ADMIN).get("/api/v1/vision/agreement", params={"site": OM}).json()
    assert ommen["models"][0]["confusion"] == [{"suggested": "creme", "chosen": "wit", "items": 1}]

    assert sam.get("/api/v1/vision/agreement", params={"site": OM}).status_code == 403
    year = sam.get("/api/v1/vision/agreement", params={"period": "year"})
    assert year.status_code == 400 and "at most a month" in year.json()["detail"]


def test_vision_agreement_shows_shown_acceptance_and_blind_accuracy_per_model_and_label(
    hub: Hub, station: MqttClient
) -> None:
    """Blind checks through the real broker and InfluxDB: per model version and suggested label, the acceptance
    of shown suggestions and the accuracy on blind items (suggestion not shown), each with its item count."""
    site = unique("blind")
    name = f"{site}-plastic-1"
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=20)
    seq = iter(range(1, 100))

    def item(label: str, chosen: str, version: str, *, shown: bool, **kw: Any) -> SortingEvent:
        suggestion = Suggestion(label=label, confidence=0.7, model_version=version, shown=shown)
        accepted = (label == chosen) if shown else None
        return make_event(
            next(seq),
            site=site,
            station=name,
            category=chosen,
            suggestion=suggestion,
            accepted=accepted,
            when=when,
            **kw,
        )

    undone = item("pp", "pet", "v2", shown=False)
    events = [
        # v1: sorters take 9 of 10 shown suggestions, but the hidden one is right on 1 of 4 blind items.
        *[item("pp", "pp", "v1", shown=True) for _ in range(9)],
        item("pp", "pet", "v1", shown=True),
        item("pp", "pp", "v1", shown=False),
        *[item("pp", "pet", "v1", shown=False) for _ in range(3)],
        # v2: 4 of 5 shown taken; blind: right on 2 of 2 pp and 1 of 1 pet.
        *[item("pp", "pp", "v2", shown=True) for _ in range(4)],
        item("pet", "pp", "v2", shown=True),
        item("pp", "pp", "v2", shown=False),
        item("pp", "pp", "v2", shown=False),
        item("pet", "pet", "v2", shown=False),
        undone,
        make_event(
            next(seq),
            site=site,
            station=name,
            category="pet",
            suggestion=undone.suggestion,
            accepted=None,
            when=when,
            undoes=undone.event_id,
        ),
        make_event(next(seq), site=site, station=name, category="pp", when=when),  # no suggestion
    ]
    send(station, *events)
    assert wait_until(lambda: stored_count(hub) == len(events), 20)
    body = api_as(hub, ADMIN).get("/api/v1/vision/agreement", params={"site": site}).json()
    assert body["total_items"] == len(events) - 2 and body["no_suggestion"]["items"] == 1
    v1, v2 = body["models"]
    assert (v1["model_version"], v1["items"], v1["accepted"], v1["accepted_share"]) == ("v1", 10, 9, 0.9)
    assert (v1["blind_items"], v1["blind_correct"], v1["blind_accuracy"]) == (4, 1, 0.25)
    assert (v2["model_version"], v2["items"], v2["accepted_share"], v2["blind_items"], v2["blind_accuracy"]) == (
        "v2",
        5,
        0.8,
        3,
        1.0,
    )
    per_label = {
        c["category"]: (c["items"], c["accepted_share"], c["blind_items"], c["blind_accuracy"])
        for c in v2["categories"]
    }
    assert per_label == {"pp": (4, 1.0, 2, 1.0), "pet": (1, 0.0, 1, 1.0)}
    # The confusion matrix stays that of shown suggestions.
    assert v1["confusion"] == [
        {"suggested": "pp", "chosen": "pp", "items": 9},
        {"suggested": "pp", "chosen": "pet", "items": 1},
    ]
