"""The wall screen end to end: a station process on simulated hardware publishes through the real Mosquitto to a
hub with the real InfluxDB, served by uvicorn; Debian's Chromium opens the pairing link an admin made for Zwolle
and watches the wall. A sorted item reaches its tile without a reload; the other site's station is not shown,
and the screen's cookie reads nothing else of the hub."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from firmware_mocks.sorter import StationRig
from hub.api import wall
from hub.auth.screens import ScreenStore, pair_path
from hub.service import Hub
from tests.browser.layout import SCREENS, assert_layout_holds
from tests.browser.test_dashboard_live import StationProcess, stations, web  # noqa: F401  (the fixtures)
from tests.conftest import wait_until
from tests.integration.conftest import hub  # noqa: F401  (the fixture)


def test_a_paired_wall_shows_its_site_live_and_nothing_else(
    browser: Browser,
    hub: Hub,  # noqa: F811
    web: str,  # noqa: F811
    stations: dict[str, tuple[StationRig, StationProcess]],  # noqa: F811
    artifacts: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wall, "REVALIDATE_S", 0.5)
    online = {rig.config.station.id for rig, _ in stations.values()}
    assert wait_until(lambda: {v["station"] for v in hub.live.as_dicts() if v["state"] == "online"} >= online, 30)
    assert hub.logins is not None
    screens = ScreenStore(hub.logins.users.path)
    screen, token = screens.create("zwolle", "hal")
    zwolle, _ = stations["zwolle"]
    ommen, _ = stations["ommen"]

    context = browser.new_context(viewport=SCREENS["1920x1080"], locale="nl-NL", timezone_id="Europe/Amsterdam")
    page = context.new_page()
    page.goto(web + pair_path("zwolle", token))
    here = f'.wtile[data-station="{zwolle.config.station.id}"]'
    page.wait_for_selector(f'{here}[data-state="online"]', timeout=10_000)
    assert page.url == f"{web}/wall?site=zwolle"
    assert page.locator(f'.wtile[data-station="{ommen.config.station.id}"]').count() == 0
    page.evaluate("window.__sameDocument = true")

    zwolle.load.place(0.777)
    time.sleep(zwolle.load.settings.settle_s + zwolle.config.scale.stable_time_s + 0.3)  # the weight is stable
    zwolle.buttons.press("1")
    expect(page.locator(f'{here} [data-field="kg_today"]')).to_have_text("0,8 kg", timeout=3000)
    expect(page.locator('#stream-totals li[data-stream="plastic"]')).to_contain_text("0,8 kg")
    zwolle.load.clear()
    # The hour chart follows a few seconds later (one query, however many items are sorted meanwhile).
    expect(page.locator("#wall-chart")).to_have_attribute("data-keys", "plastic", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert_layout_holds(page, "wall-live-1920x1080-nl")

    # The screen's cookie is for the wall of Zwolle only.
    assert page.request.get(f"{web}/api/v1/wall/dashboard?site=ommen").status == 403
    for path in ("/api/v1/dashboard", "/api/v1/me", "/api/v1/history?period=day&group=stream"):
        assert page.request.get(web + path).status == 401, path
    screens.revoke(screen.id)
    assert page.request.get(f"{web}/api/v1/wall/dashboard?site=zwolle").status == 401
    # The open stream ends at its next check of the token (every 30 s; 0.5 s here), and the screen says so.
    expect(page.locator("#wall-unpaired")).to_be_visible(timeout=10_000)
    expect(page.locator("#wall-main")).to_be_hidden()
    context.close()
