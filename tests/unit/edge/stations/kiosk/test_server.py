"""The kiosk's web app: the page and its assets, the state endpoint and the event stream."""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from edge.stations.kiosk.screen_state import ScreenState, example
from edge.stations.kiosk.server import KioskServer, create_kiosk_app
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
    assert response.json() == station.state
    assert station.read_on_loop == [False]


def test_events_start_with_the_screen_state_and_send_changes_only(client: TestClient, station: Station) -> None:
    with client.stream("GET", "/api/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        first = next_event(lines)
        assert first["event"] == "state"
        assert json.loads(first["data"]) == station.state
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
        assert httpx.get(f"{server.url}/api/state", timeout=5).json() == state
        with httpx.stream("GET", f"{server.url}/api/events", timeout=5) as response:
            first = next_event(response.iter_lines())
            assert json.loads(first["data"]) == state
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
