"""The admins' fleet page (hub/web/static/fleet.html) in Debian's Chromium, with the hub's answers played by
Playwright's request routing: the registry table in Dutch and English, a station that is only heard of marked as
such, and a supervisor told the page is for admins. The real API is tested in tests/integration/test_fleet_registry.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from core.package_data import data_path

STATIC = data_path("hub", "web", "static")
HUB = "http://hub.test"

STATIONS: list[dict[str, Any]] = [
    {
        "id": "zwolle-plastic-1",
        "site": "zwolle",
        "stream": "plastic",
        "added_at": "2026-11-20T08:00:00Z",
        "retired_at": None,
        "first_seen": "2026-11-20T08:05:00Z",
        "last_seen": "2026-11-24T09:00:00Z",
        "software_version": "0.6.0",
        "config_version": "7",
        "model_version": "plastics-v3",
        "broker_account": "zwolle-plastic-1",
        "unregistered": False,
        "retired": False,
        "state": "online",
    },
    {
        "id": "zwolle-plastic-9",
        "site": "zwolle",
        "stream": None,
        "added_at": None,
        "retired_at": None,
        "first_seen": "2026-11-24T08:55:00Z",
        "last_seen": "2026-11-24T09:00:00Z",
        "software_version": "0.6.0",
        "config_version": None,
        "model_version": None,
        "broker_account": None,
        "unregistered": True,
        "retired": False,
        "state": "online",
    },
]


def open_fleet(browser: Browser, status: int) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(HUB)
        if path.startswith("/static/") and "/" not in path.removeprefix("/static/"):
            route.fulfill(path=str(STATIC / path.removeprefix("/static/")))
        elif path == "/api/v1/fleet":
            body = {"stations": STATIONS} if status == 200 else {"detail": "admins only"}
            route.fulfill(status=status, content_type="application/json", body=json.dumps(body))
        else:
            outside.append(route.request.url)
            route.fulfill(status=404)

    page.route("**/*", serve)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{HUB}/static/fleet.html")
        yield page
        assert not errors, errors
        assert all("/static/pictograms/" in url for url in outside), outside
    finally:
        context.close()


@pytest.fixture
def admin_page(browser: Browser) -> Iterator[Page]:
    yield from open_fleet(browser, 200)


def test_the_registry_in_both_languages(admin_page: Page) -> None:
    rows = admin_page.locator("#fleet tbody tr")
    expect(rows).to_have_count(2)
    registered = admin_page.locator('tr[data-station="zwolle-plastic-1"]')
    heard = admin_page.locator('tr[data-station="zwolle-plastic-9"]')
    expect(registered.locator('td[data-registration="inService"]')).to_have_text("in dienst")
    expect(heard.locator('td[data-registration="unregistered"]')).to_have_text("niet geregistreerd")
    expect(registered).to_contain_text("plastics-v3")
    expect(admin_page.locator("thead")).to_contain_text("Laatst gezien")
    admin_page.locator('#lang button[data-lang="en"]').click()
    expect(heard.locator('td[data-registration="unregistered"]')).to_have_text("not registered")
    expect(admin_page.locator("thead")).to_contain_text("Last seen")
    expect(admin_page.locator("html")).to_have_attribute("lang", "en")


def test_a_supervisor_is_told_it_is_for_admins(browser: Browser) -> None:
    for page in open_fleet(browser, 403):
        expect(page.locator("#fleet-msg")).to_have_text("Alleen voor beheerders")
        expect(page.locator("#fleet table")).to_have_count(0)
