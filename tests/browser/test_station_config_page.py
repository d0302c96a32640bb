"""The admins' page for one station's remote config (hub/web/static/station-config.html) in Debian's Chromium,
with the hub's answers played by Playwright's request routing: what the hub holds and what the station said, an
edit that the hub refuses naming the key, and one it takes. The real API: tests/unit/hub/api/test_station_config.py
and tests/integration/test_remote_config.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from core.package_data import data_path

STATIC = data_path("hub", "web", "static")
HUB = "http://hub.test"
STATION = "zwolle-plastic-1"
API = f"/api/v1/stations/{STATION}/config"
HELD = {
    "version": f"{STATION}-3",
    "site": "zwolle",
    "changed_by": "ada",
    "changed_at": "2026-11-24T09:00:00Z",
    "settings": {"vision": {"thresholds": {"plastic": 0.8}}},
}
ERROR = f"config {STATION}-3 refused: settings.vision.treshold: unknown key"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    puts: list[dict[str, Any]] = []
    opened.puts = puts  # type: ignore[attr-defined]

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(HUB)
        if path == f"/stations/{STATION}/config":
            route.fulfill(path=str(STATIC / "station-config.html"))
        elif path.startswith("/static/") and "/" not in path.removeprefix("/static/"):
            route.fulfill(path=str(STATIC / path.removeprefix("/static/")))
        elif path == API and route.request.method == "PUT":
            body = json.loads(route.request.post_data or "{}")
            puts.append(body)
            if "treshold" in json.dumps(body):
                answer = (422, {"detail": "settings.vision.treshold: unknown key"})
            else:
                answer = (200, HELD | {"version": f"{STATION}-4", "published": True, "settings": body["settings"]})
            route.fulfill(status=answer[0], content_type="application/json", body=json.dumps(answer[1]))
        elif path == API:
            body = {
                "station": STATION,
                "site": "zwolle",
                "held": HELD,
                "reported": {"config_version": f"{STATION}-2", "config_error": ERROR, "heartbeat_received": None},
                "status": "refused",
                "history": [{k: HELD[k] for k in ("version", "site", "changed_by", "changed_at")}],
            }
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
        else:
            route.fulfill(status=404)

    opened.route("**/*", serve)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        opened.goto(f"{HUB}/stations/{STATION}/config")
        yield opened
        assert not errors, errors
    finally:
        context.close()


def test_held_and_reported_then_a_refused_and_a_good_edit(page: Page) -> None:
    expect(page.locator("#cfg-held")).to_have_text(f"{STATION}-3")
    expect(page.locator("#cfg-reported")).to_have_text(f"{STATION}-2")
    expect(page.locator("#cfg-status")).to_have_text("geweigerd")
    expect(page.locator("#cfg-error")).to_contain_text("settings.vision.treshold")
    assert json.loads(page.locator("#settings").input_value()) == HELD["settings"]

    page.locator("#settings").fill('{"vision": {"treshold": 0.5}}')
    page.locator("#cfg-form button").click()
    expect(page.locator("#cfg-msg")).to_contain_text("settings.vision.treshold: unknown key")
    page.locator("#settings").fill('{"vision": {"thresholds": {"plastic": 0.7}}}')
    page.locator("#cfg-form button").click()
    expect(page.locator("#cfg-msg")).to_have_text(f"Opgeslagen als {STATION}-4")
    assert page.puts[-1] == {"settings": {"vision": {"thresholds": {"plastic": 0.7}}}, "site": "zwolle"}  # type: ignore[attr-defined]

    page.locator("#settings").fill("{not json")
    page.locator("#cfg-form button").click()
    expect(page.locator("#cfg-msg")).to_contain_text("Geen geldige JSON")
    page.locator('#lang button[data-lang="en"]').click()
    expect(page.locator("#cfg-status")).to_have_text("refused")
    expect(page.locator("html")).to_have_attribute("lang", "en")
