"""The kiosk's web app: the page and its assets, the state endpoint and the event stream."""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from edge.stations.kiosk.localised import localised
from edge.stations.kiosk.screen_state import ScreenState, example
from edge.stations.kiosk.server import KioskServer, create_kiosk_app
from edge.stations.kiosk.translations import KioskLanguages
from tests.sse import next_event

PICTOGRAMS = [
    *(f"resin-{n}" for n in range(1, 8)),
    "bin",
    "star",
    "ship",
    "recycle",
    "cloth",
    "disc",
    "duvet",
    "bottle",
    "confirm",
    "undo",
    "scale",
    "camera",
    "online",
    "offline",
    "warning",
    "buttons",
    "journal",
    "generic",
]


class Station:
    """A screen state that a test changes while the app reads it; records whether it was read on an event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: dict[str, Any] = copy.deepcopy(dict(example()))
        self.read_on_loop: list[bool] = []

    def screen_state(self) -> dict[str, Any]:
        try:
            asyncio.get_running_loop()
            self.read_on_loop.append(True)
        except RuntimeError:
            self.read_on_loop.append(False)
        with self._lock:
            return copy.deepcopy(self.state)

    def update(self, **changes: Any) -> None:
        with self._lock:
            self.state.update(changes)


def as_served(state: Any) -> dict[str, Any]:
    """The agent's screen state with what the server adds (no second language chosen, the Dutch zone)."""
    return localised(state, KioskLanguages(), ZoneInfo("Europe/Amsterdam"))


@pytest.fixture
def station() -> Station:
    return Station()


@pytest.fixture
def client(station: Station) -> Iterator[TestClient]:
    with TestClient(create_kiosk_app(station.screen_state, poll_interval_s=0.01)) as test_client:
        yield test_client


def test_index_serves_the_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/static/kiosk.js" in response.text
    assert "/static/kiosk.css" in response.text
    for asset in ("kiosk.js", "kiosk.css"):
        assert client.get(f"/static/{asset}").status_code == 200


def test_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    """The station may have no internet: no CDN, no web fonts."""
    for path in ("/", "/static/kiosk.js", "/static/kiosk.css"):
        text = client.get(path).text
        assert "http://" not in text
        assert "https://" not in text
        assert "@import" not in text
        assert "@font-face" not in text


@pytest.mark.parametrize("name", PICTOGRAMS)
def test_pictogram_is_shipped(client: TestClient, name: str) -> None:
    response = client.get(f"/static/pictograms/{name}.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in response.text
    assert 'viewBox="0 0 64 64"' in response.text


def test_state_returns_the_screen_state(client: TestClient, station: Station) -> None:
    station.update(phase="ready", suggestion={"label": "pp", "confidence": 0.93, "model_version": "m1"})
    response = client.get("/api/state")
    assert response.status_code == 200
    assert response.json() == as_served(station.state)
    assert station.read_on_loop == [False]


def test_events_start_with_the_screen_state_and_send_changes_only(client: TestClient, station: Station) -> None:
    with client.stream("GET", "/api/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        first = next_event(lines)
        assert first["event"] == "state"
        assert json.loads(first["data"]) == as_served(station.state)
        assert first["retry"] == "1000"

        # Let several polls see the same screen state, then change it: the next event is the change, not a repeat.
        time.sleep(0.1)
        station.update(phase="weighing", weight_kg=0.214, stable=False)
        second = next_event(lines)
        assert json.loads(second["data"])["phase"] == "weighing"
        assert json.loads(second["data"])["weight_kg"] == 0.214
    assert len(station.read_on_loop) > 3
    assert not any(station.read_on_loop), "screen_state() ran on the event loop"


def test_server_starts_serves_and_stops_with_a_stream_open() -> None:
    state: ScreenState = example()
    server = KioskServer(lambda: state, port=0)
    server.start()
    try:
        assert server.port != 0
        assert httpx.get(f"{server.url}/api/state", timeout=5).json() == as_served(state)
        with httpx.stream("GET", f"{server.url}/api/events", timeout=5) as response:
            first = next_event(response.iter_lines())
            assert json.loads(first["data"]) == as_served(state)
            started = time.monotonic()
            server.stop()
            # The open stream does not hold the server up.
            assert time.monotonic() - started < 1.5
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/api/state", timeout=2)


def test_start_fails_loudly_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = KioskServer(example, port=taken.getsockname()[1])
        with pytest.raises(RuntimeError, match="could not start"):
            server.start()


def test_the_language_key_is_kept_in_the_station_file(station: Station, tmp_path: Path) -> None:
    kept = tmp_path / "state" / "kiosk-language.json"
    app = create_kiosk_app(station.screen_state, languages=KioskLanguages(choice_file=kept))
    with TestClient(app) as client:
        state = client.get("/api/state").json()
        assert state["second_language"] is None
        assert [lang["code"] for lang in state["languages"]] == ["en", "ar", "ti", "uk", "tr", "pl"]
        assert all(tile["second"] == "" for tile in state["categories"])

        assert client.put("/api/second-language/ar").json() == {"second_language": "ar"}
        state = client.get("/api/state").json()
        assert state["second_language"] == {"code": "ar", "name": "العربية", "dir": "rtl"}
        pp = next(tile for tile in state["categories"] if tile["id"] == "pp")
        assert pp["nl"] == "PP (polypropeen)"
        assert pp["second"] == "PP (بولي بروبيلين)"
    assert json.loads(kept.read_text(encoding="utf-8")) == {"second_language": "ar"}

    # A new server (a reboot) reads it back.
    with TestClient(create_kiosk_app(station.screen_state, languages=KioskLanguages(choice_file=kept))) as client:
        assert client.get("/api/state").json()["second_language"]["code"] == "ar"
        assert client.put("/api/second-language/none").json() == {"second_language": None}
    assert json.loads(kept.read_text(encoding="utf-8")) == {"second_language": None}


@pytest.mark.parametrize(
    ("code", "status", "says"),
    [
        ("xx", 404, "not offered at this station (offered: en, ar, ti, uk, tr, pl)"),
        ("AR", 400, "is not a language code"),
        ("../../etc", 404, "Not Found"),  # never reaches the app as one path segment
        ("a" * 5000, 400, "is not a language code"),
        ("ar%00", 400, "is not a language code"),
    ],
)
def test_a_bad_language_code_is_refused_with_a_sentence(client: TestClient, code: str, status: int, says: str) -> None:
    response = client.put(f"/api/second-language/{code}")
    assert response.status_code == status
    assert says in response.json()["detail"]
    assert client.get("/api/state").json()["second_language"] is None


def test_times_are_shown_in_the_site_zone(station: Station) -> None:
    station.update(
        last_event={
            "type": "sorted",
            "category": "pp",
            "weight_kg": 1.5,
            "seq": 3,
            "station_time": "2026-07-01T09:41:07.123Z",
            "undone": False,
        }
    )
    with TestClient(create_kiosk_app(station.screen_state)) as client:
        state = client.get("/api/state").json()
    assert state["time_zone"] == "Europe/Amsterdam"
    assert state["last_event"]["local_time"] == "11:41:07"  # summer time: UTC+2
    with TestClient(create_kiosk_app(station.screen_state, time_zone="America/Sao_Paulo")) as client:
        assert client.get("/api/state").json()["last_event"]["local_time"] == "06:41:07"
