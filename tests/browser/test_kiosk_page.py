"""The kiosk page in a real browser (Debian's Chromium driven by Playwright) against a real KioskServer.

Needs the Debian package ``chromium`` and the pip package ``playwright`` (never ``playwright install``: the system
Chromium is used, so nothing is downloaded). Skipped, with the reason, where Chromium is missing.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from edge.stations.kiosk.screen_state import ScreenTile, example
from edge.stations.kiosk.server import KioskServer

# The smallest common kiosk screen the page must fit without scrolling.
SCREEN: ViewportSize = {"width": 1024, "height": 600}
# Changes must reach the screen within this (the server polls every 100 ms).
WITHIN_MS = 1000

EXTRA_CATEGORIES: list[ScreenTile] = [
    {"id": "pvc", "nl": "PVC (buizen)", "en": "PVC (pipes)", "pictogram": "resin-3", "key": "6", "lit": False},
    # A pictogram the kiosk does not have: the tile shows the generic one.
    {
        "id": "other",
        "nl": "Overig plastic",
        "en": "Other plastic",
        "pictogram": "no-such-thing",
        "key": "7",
        "lit": False,
    },
]


class FakeStation:
    """The station agent's side: a screen state that the test changes while the server reads it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        state: dict[str, Any] = copy.deepcopy(dict(example()))
        # Eight categories: the most the page must fit on one screen.
        state["categories"] = [*state["categories"], *copy.deepcopy(EXTRA_CATEGORIES)]
        state["weight_kg"] = 0.0
        with self._lock:
            self._state = state

    def screen_state(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._state)

    def update(self, **changes: Any) -> None:
        with self._lock:
            self._state.update(changes)


@pytest.fixture(scope="module")
def station() -> FakeStation:
    return FakeStation()


@pytest.fixture(scope="module")
def server(station: FakeStation) -> Iterator[KioskServer]:
    kiosk = KioskServer(station.screen_state, port=0)
    kiosk.start()
    yield kiosk
    kiosk.stop()


@contextmanager
def open_page(browser: Browser, url: str) -> Iterator[Page]:
    """A fresh browser context (so no language remembered from another test) showing the kiosk."""
    context = browser.new_context(viewport=SCREEN)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        # wait_for_selector watches the DOM; expect() would poll with growing pauses.
        page.wait_for_selector('body[data-conn="live"]', state="attached", timeout=5000)
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser: Browser, server: KioskServer, station: FakeStation) -> Iterator[Page]:
    station.reset()
    with open_page(browser, server.url) as kiosk_page:
        yield kiosk_page


def test_idle_page_shows_every_category_with_its_dutch_label_and_key(
    page: Page, station: FakeStation, artifacts: Path
) -> None:
    categories = station.screen_state()["categories"]
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(len(categories))
    for category in categories:
        tile = page.locator(f'.tile[data-id="{category["id"]}"]')
        expect(tile.locator(".label")).to_have_text(category["nl"])
        expect(tile.locator(".keycap")).to_have_text(category["key"])
        expect(tile).to_have_attribute("data-suggested", "false")
        expect(tile.locator(".badge")).to_be_hidden()
    expect(page.locator("#banner-text")).to_have_text("Leg een voorwerp op de weegschaal")
    expect(page.locator("#confirm-key")).to_have_text("C")
    expect(page.locator("#undo-key")).to_have_text("U")
    expect(page.locator("#warnings")).to_be_hidden()
    expect(page.locator("#lost")).to_be_hidden()

    # Every pictogram loaded; the unknown one fell back to the generic pictogram.
    pictograms = page.locator(".tile .picto")
    for i in range(pictograms.count()):
        expect(pictograms.nth(i)).to_have_js_property("complete", value=True)
        assert pictograms.nth(i).evaluate("img => img.naturalWidth") > 0
    expect(page.locator('.tile[data-id="other"] .picto')).to_have_attribute("src", re.compile(r"generic\.svg$"))

    assert_fits_the_screen(page)
    page.screenshot(path=str(artifacts / "kiosk-idle.png"))


def test_ready_with_a_suggestion_highlights_that_tile_without_a_reload(
    page: Page, station: FakeStation, artifacts: Path
) -> None:
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.__sameDocument = 'still here'")

    station.update(
        phase="ready",
        weight_kg=0.214,
        stable=True,
        suggestion={"label": "pet", "confidence": 0.93, "model_version": "m1"},
        last_event={
            "type": "sorted",
            "category": "pp",
            "weight_kg": 1.5,
            "seq": 12,
            "station_time": "2026-11-27T09:41:07.123Z",
            "undone": False,
        },
    )

    suggested = page.locator('.tile[data-id="pet"]')
    expect(page.locator("#banner-text")).to_have_text("Kies een categorie", timeout=WITHIN_MS)
    expect(suggested).to_have_attribute("data-suggested", "true", timeout=WITHIN_MS)
    expect(suggested.locator(".badge")).to_be_visible()
    expect(suggested.locator(".badge")).to_have_text(re.compile(r"suggestie\s*93%"))
    # Not by colour alone: the suggested tile's border is much thicker than the others'.
    border = suggested.evaluate("el => parseFloat(getComputedStyle(el).borderTopWidth)")
    other = page.locator('.tile[data-id="pp"]').evaluate("el => parseFloat(getComputedStyle(el).borderTopWidth)")
    assert border >= 2 * other
    expect(page.locator('.tile[data-suggested="true"]')).to_have_count(1)
    expect(page.locator("#weight-value")).to_have_text("0,214 kg")
    expect(page.locator("#stable")).to_have_attribute("data-stable", "true")
    expect(page.locator("#last-text")).to_contain_text("PP (polypropeen) · 1,500 kg")

    assert page.evaluate("window.__sameDocument") == "still here"
    assert navigations == []
    assert_fits_the_screen(page)
    page.screenshot(path=str(artifacts / "kiosk-ready.png"))

    # Undone: said in words, not only struck through.
    last = station.screen_state()["last_event"]
    station.update(last_event={**last, "undone": True})
    expect(page.locator("#last-undone")).to_be_visible(timeout=WITHIN_MS)
    expect(page.locator("#last-undone")).to_have_text("ongedaan gemaakt")


def test_weight_has_a_decimal_comma_in_dutch_and_a_point_in_english(page: Page, station: FakeStation) -> None:
    station.update(phase="weighing", weight_kg=0.214, stable=False)
    expect(page.locator("#weight-value")).to_have_text("0,214 kg", timeout=WITHIN_MS)
    expect(page.locator("#stable-text")).to_have_text("beweegt")

    page.click('#lang button[data-lang="en"]')
    expect(page.locator("#weight-value")).to_have_text("0.214 kg")
    expect(page.locator("#banner-text")).to_have_text("Hold on…")
    expect(page.locator('.tile[data-id="pp"] .label')).to_have_text("PP (polypropylene)")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Remembered across a reload of the kiosk browser.
    page.reload()
    expect(page.locator("#weight-value")).to_have_text("0.214 kg", timeout=5000)
    page.click('#lang button[data-lang="nl"]')
    expect(page.locator("#weight-value")).to_have_text("0,214 kg")


def test_journal_full_warning_shows_the_warning_bar(page: Page, station: FakeStation) -> None:
    station.update(warnings=["journal_full", "mystery_code"])
    bar = page.locator("#warnings")
    expect(bar).to_be_visible(timeout=WITHIN_MS)
    expect(bar).to_contain_text("Opslag vol: niet meer sorteren, roep de begeleider")
    # A code the page has no text for is shown as it is.
    expect(bar).to_contain_text("mystery_code")
    assert_fits_the_screen(page)

    station.update(warnings=[])
    expect(bar).to_be_hidden(timeout=WITHIN_MS)


def test_a_missing_device_is_named_in_words_with_its_pictogram(
    page: Page, station: FakeStation, artifacts: Path
) -> None:
    station.update(warnings=["buttons_absent", "scale_absent", "camera_absent"], scale="fault", camera="fault")
    bar = page.locator("#warnings")
    expect(bar).to_be_visible(timeout=WITHIN_MS)
    expect(bar.locator('li[data-code="buttons_absent"]')).to_have_text(
        "Knoppenbord niet gevonden: niet sorteren, roep de begeleider"
    )
    expect(bar.locator('li[data-code="scale_absent"]')).to_contain_text("Weegschaal niet gevonden")
    expect(bar.locator('li[data-code="camera_absent"]')).to_contain_text("Camera niet gevonden")
    for code, pictogram in [("buttons_absent", "buttons"), ("scale_absent", "scale"), ("camera_absent", "camera")]:
        icon = bar.locator(f'li[data-code="{code}"] img')
        expect(icon).to_have_attribute("src", re.compile(rf"/{pictogram}\.svg$"))
        expect(icon).to_have_js_property("complete", value=True)
        assert icon.evaluate("img => img.naturalWidth") > 0
    assert_fits_the_screen(page)
    page.screenshot(path=str(artifacts / "kiosk-devices-missing.png"))
    page.click('#lang button[data-lang="en"]')
    expect(bar.locator('li[data-code="buttons_absent"]')).to_have_text(
        "Button board not found: stop sorting, call the supervisor"
    )


def test_a_refused_item_says_so_in_the_banner(page: Page, station: FakeStation) -> None:
    station.update(phase="ready", weight_kg=0.0004, refused="too_light")
    expect(page.locator("#banner-text")).to_have_text("Te licht, niet opgeslagen. Haal het eraf", timeout=WITHIN_MS)
    expect(page.locator("#banner-icon")).to_have_attribute("src", re.compile(r"/warning\.svg$"))
    station.update(refused="something_new")  # a reason the page has no text for still says "not recorded"
    expect(page.locator("#banner-text")).to_contain_text("Niet opgeslagen", timeout=WITHIN_MS)
    station.update(phase="idle", weight_kg=0.0, refused=None)
    expect(page.locator("#banner-text")).to_have_text("Leg een voorwerp op de weegschaal", timeout=WITHIN_MS)


def test_stopping_the_server_shows_connection_lost_and_a_restart_clears_it(
    browser: Browser, station: FakeStation
) -> None:
    station.reset()
    kiosk = KioskServer(station.screen_state, port=0)
    kiosk.start()
    try:
        with open_page(browser, kiosk.url) as page:
            check_lost_and_back(page, kiosk, station)
    finally:
        kiosk.stop()


def check_lost_and_back(page: Page, kiosk: KioskServer, station: FakeStation) -> None:
    kiosk.stop()
    lost = page.locator("#lost")
    expect(lost).to_be_visible(timeout=3000)
    expect(lost).to_contain_text("Verbinding met station verbroken")

    # The station comes back on the same port: the page reconnects by itself.
    again = KioskServer(station.screen_state, port=kiosk.port)
    again.start()
    try:
        expect(lost).to_be_hidden(timeout=5000)
    finally:
        again.stop()


def assert_fits_the_screen(page: Page) -> None:
    """No scrolling at the kiosk's size, and the footer (the last row) is on screen."""
    size = page.evaluate(
        "() => ({h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth,"
        " footer: document.getElementById('footer').getBoundingClientRect().bottom})"
    )
    assert size["h"] <= SCREEN["height"], size
    assert size["w"] <= SCREEN["width"], size
    assert size["footer"] <= SCREEN["height"], size
