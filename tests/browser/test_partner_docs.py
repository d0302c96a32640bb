"""The hub's API documentation at /docs in Debian's Chromium, served by the hub's own app: Swagger UI loads with
every request answered by the hub itself (anything else is refused and counted), and shows the feed and the
reports. Screenshots at each screen size are kept as test artifacts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import cast
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, Route

from hub.api.app import create_app
from hub.api.deps import HubState
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1
from tests.browser.layout import SCREENS, save_screenshot


@pytest.fixture(scope="module")
def hub_url() -> Iterator[str]:
    state = HubState(cast(InfluxV1, None), cast(LiveStations, None), DeadLetters(), IngestMetrics())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(state), log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(5)
    sock.close()


@pytest.mark.parametrize("screen", ["1920x1080", "1366x768", "390x844"])
def test_docs_load_with_nothing_from_outside_and_show_the_feed(browser: Browser, hub_url: str, screen: str) -> None:
    context = browser.new_context(viewport=SCREENS[screen])
    outside: list[str] = []
    local: list[str] = []

    def only_the_hub(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            local.append(url)
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_the_hub)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        page.goto(f"{hub_url}/docs")
        page.locator(".opblock-summary-path", has_text="/api/v1/feeds/volumes").wait_for(timeout=15_000)
        assert page.locator(".opblock-summary-path", has_text="/api/v1/reports/{kind}").count() == 1
        assert "partner API" in page.locator(".info .title").inner_text()
        page.locator(".opblock-summary-path", has_text="/api/v1/feeds/volumes").click()
        page.locator("tr[data-param-name='to']").wait_for()
        assert "csv-nl" in page.locator(".opblock-body").first.inner_text()
        save_screenshot(page, f"docs-{screen}-en")
    finally:
        context.close()
    assert outside == [], f"requests outside the hub: {outside}"
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in local), local
    assert any(url.endswith("/api/v1/feeds/openapi.json") for url in local), local
    assert errors == []
