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

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from edge.stations.kiosk.screen_state import ScreenTile, example
from edge.stations.kiosk.server import KioskServer
from edge.stations.kiosk.translations import KioskLanguages
from tests.browser.layout import SCREENS, assert_layout_holds

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
    # The page's own texts change; the category names stay Dutch (the second language is chosen apart).
    expect(page.locator('.tile[data-id="pp"] .label')).to_have_text("PP (polypropeen)")
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


# -- issue 17: the kiosk for trainees and newcomers ---------------------------------------------------------------

TEXTILE: list[ScreenTile] = [
    {"id": id_, "nl": nl, "en": en, "pictogram": pictogram, "key": key, "lit": False}
    for id_, nl, en, pictogram, key in [
        ("creme", "Crème (hergebruik hier)", "Crème (reuse here)", "star", "1"),
        ("export", "Export hergebruik", "Export reuse", "ship", "2"),
        ("recycling", "Recycling", "Recycling", "recycle", "3"),
        ("wipers", "Poetslappen", "Wipers", "cloth", "4"),
        ("residual", "Restafval", "Residual", "bin", "9"),
    ]
]

# The page's texts (nl, en) and the second language under the Dutch names (None: Dutch only).
LANGUAGE_CASES = {"nl": ("nl", None), "en": ("en", "en"), "ar": ("nl", "ar")}
KIOSK_SCREENS = ["1024x600", "1366x768", "390x844"]


def busy(station: FakeStation) -> None:
    """The fullest screen: an item to sort with a suggestion, the last event with its time, events waiting."""
    station.update(
        phase="ready",
        weight_kg=12.345,
        stable=True,
        suggestion={"label": "pet", "confidence": 0.93, "model_version": "m1"},
        journal_depth=1234,
        last_event={
            "type": "sorted",
            "category": "hdpe",
            "weight_kg": 12.5,
            "seq": 12,
            "station_time": "2026-11-27T09:41:07.123Z",
            "undone": True,
        },
    )


def choose(page: Page, server: KioskServer, second: str | None) -> None:
    """The language key, pressed until ``second`` shows (the server keeps the choice)."""
    for _ in range(10):
        chosen = page.locator("#second-lang").get_attribute("data-chosen") or None
        if chosen == second:
            return
        page.click("#second-lang")
        page.wait_for_function(
            "was => (document.getElementById('second-lang').dataset.chosen || null) !== was", arg=chosen
        )
    raise AssertionError(f"the language key never reached {second}")


@contextmanager
def kiosk_at(browser: Browser, url: str, size: str, ui: str = "nl") -> Iterator[Page]:
    context = browser.new_context(viewport=SCREENS[size])
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.add_init_script(f"window.localStorage.setItem('sortcentre.kiosk.lang', '{ui}')")
        page.goto(url)
        page.wait_for_selector('body[data-conn="live"]', state="attached", timeout=5000)
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.mark.parametrize("size", KIOSK_SCREENS)
@pytest.mark.parametrize("case", list(LANGUAGE_CASES))
def test_nothing_is_cut_off_at_the_kiosk_sizes(
    browser: Browser, server: KioskServer, station: FakeStation, size: str, case: str
) -> None:
    ui, second = LANGUAGE_CASES[case]
    station.reset()
    busy(station)
    with kiosk_at(browser, server.url, size, ui) as page:
        choose(page, server, second)
        expect(page.locator("#last-text")).to_contain_text("10:41:07")
        assert_layout_holds(page, f"kiosk-{size}-{case}")
        # Not even cut with an ellipsis: the last event's whole line is on screen.
        cut = page.locator("#last-text").evaluate("el => el.scrollWidth > el.clientWidth + 1")
        assert not cut
        # No scrolling: the footer is on screen.
        box = page.evaluate("() => document.getElementById('footer').getBoundingClientRect().bottom")
        assert box <= SCREENS[size]["height"]
    choose_directly(server, None)


def choose_directly(server: KioskServer, code: str | None) -> None:
    httpx.put(f"{server.url}/api/second-language/{code or 'none'}", timeout=5).raise_for_status()


@pytest.mark.parametrize("second", ["en", "ar", "ti", "uk", "tr", "pl"])
def test_every_language_fits_the_smallest_kiosk_for_plastic_and_textile(
    browser: Browser, server: KioskServer, station: FakeStation, second: str
) -> None:
    station.reset()
    busy(station)
    choose_directly(server, second)
    try:
        with kiosk_at(browser, server.url, "1024x600") as page:
            expect(page.locator("#second-lang")).to_have_attribute("data-chosen", second)
            assert_layout_holds(page, f"kiosk-1024x600-plastic-{second}")
            station.update(station={"id": "ommen-textile-1", "site": "ommen", "stream": "textile"}, categories=TEXTILE)
            station.update(suggestion={"label": "creme", "confidence": 0.8, "model_version": "m1"})
            expect(page.locator(".tile")).to_have_count(len(TEXTILE), timeout=WITHIN_MS)
            expect(page.locator('.tile[data-id="creme"] .second')).not_to_be_empty()
            assert_layout_holds(page, f"kiosk-1024x600-textile-{second}")
    finally:
        choose_directly(server, None)


def test_the_second_language_shows_under_each_dutch_name_and_arabic_reads_right_to_left(
    page: Page, server: KioskServer, station: FakeStation
) -> None:
    station.update(station={"id": "zwolle-plastic-1", "site": "zwolle", "stream": "plastic"})
    seconds = page.locator(".tile .second")
    expect(seconds.first).to_be_hidden()  # Dutch only at first
    expect(page.locator("#second-lang-name")).to_have_text("uit")
    try:
        choose(page, server, "ar")
        expect(page.locator("#second-lang-name")).to_have_text("العربية")
        pp = page.locator('.tile[data-id="pp"]')
        expect(pp.locator(".label")).to_have_text("PP (polypropeen)")
        expect(pp.locator(".second")).to_have_text("PP (بولي بروبيلين)")
        for category in station.screen_state()["categories"]:
            tile = page.locator(f'.tile[data-id="{category["id"]}"]')
            expect(tile.locator(".second")).to_be_visible()
            expect(tile.locator(".second")).not_to_be_empty()
            looks = tile.evaluate(
                """tile => {
                  const nl = tile.querySelector('.label'), second = tile.querySelector('.second');
                  const a = nl.getBoundingClientRect(), b = second.getBoundingClientRect();
                  return {nlDir: getComputedStyle(nl).direction, dir: getComputedStyle(second).direction,
                          align: getComputedStyle(second).textAlign, lang: second.lang,
                          nlSize: parseFloat(getComputedStyle(nl).fontSize),
                          size: parseFloat(getComputedStyle(second).fontSize),
                          nlFirst: a.bottom <= b.top + 1,
                          rightEdge: Math.abs(b.right - a.right) < Math.abs(b.left - a.left) || b.width >= a.width}
                }"""
            )
            assert looks["dir"] == "rtl", looks
            assert looks["nlDir"] == "ltr", looks
            assert looks["lang"] == "ar", looks
            assert looks["nlFirst"], looks
            assert looks["nlSize"] > looks["size"], looks
        # Right to left flips the line: its text starts at the right edge of its box.
        starts = pp.locator(".second").evaluate(
            """el => { const r = document.createRange(); r.selectNodeContents(el);
                      const text = r.getBoundingClientRect(), box = el.getBoundingClientRect();
                      return {gapRight: box.right - text.right, gapLeft: text.left - box.left}; }"""
        )
        assert starts["gapRight"] < starts["gapLeft"], starts

        choose(page, server, "ti")
        expect(pp.locator(".second")).to_have_text("PP (ፖሊፕሮፒሊን)")
        assert pp.locator(".second").evaluate("el => getComputedStyle(el).direction") == "ltr"
    finally:
        choose_directly(server, None)


def test_arabic_and_tigrinya_render_with_the_offline_noto_fonts(
    page: Page, server: KioskServer, station: FakeStation
) -> None:
    """Chromium says which installed font drew each line (no web font: none is shipped or fetched)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    try:
        for code, family in [("ar", "Noto Sans Arabic"), ("ti", "Noto Sans Ethiopic")]:
            choose(page, server, code)
            expect(page.locator('.tile[data-id="other"] .second')).not_to_be_empty()
            root = session.send("DOM.getDocument")["root"]["nodeId"]
            node = session.send("DOM.querySelector", {"nodeId": root, "selector": '.tile[data-id="other"] .second'})
            fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
            names = {f["familyName"]: f["glyphCount"] for f in fonts}
            assert names.get(family, 0) > 0, f"{code} drawn with {names}, not {family}"
    finally:
        choose_directly(server, None)


def test_the_chosen_language_survives_a_reload_and_a_server_restart(
    browser: Browser, station: FakeStation, tmp_path: Path
) -> None:
    station.reset()
    kept = tmp_path / "kiosk-language.json"
    kiosk = KioskServer(station.screen_state, port=0, languages=KioskLanguages(choice_file=kept))
    kiosk.start()
    try:
        with open_page(browser, kiosk.url) as page:
            page.keyboard.press("l")  # the keyboard's language key: Dutch only -> the first language
            expect(page.locator("#second-lang")).to_have_attribute("data-chosen", "en", timeout=WITHIN_MS)
            choose(page, kiosk, "uk")
            expect(page.locator('.tile[data-id="ldpe"] .second')).to_have_text("LDPE (тонка плівка)")
            page.reload()
            page.wait_for_selector('body[data-conn="live"]', state="attached", timeout=5000)
            expect(page.locator('.tile[data-id="ldpe"] .second')).to_have_text("LDPE (тонка плівка)")

            kiosk.stop()
            expect(page.locator("#lost")).to_be_visible(timeout=3000)
            kiosk = KioskServer(station.screen_state, port=kiosk.port, languages=KioskLanguages(choice_file=kept))
            kiosk.start()
            expect(page.locator("#lost")).to_be_hidden(timeout=5000)
            expect(page.locator("#second-lang")).to_have_attribute("data-chosen", "uk")
            expect(page.locator('.tile[data-id="ldpe"] .second')).to_have_text("LDPE (тонка плівка)")
    finally:
        kiosk.stop()


def test_an_empty_scale_says_empty_and_the_backlog_says_what_it_counts(page: Page, station: FakeStation) -> None:
    station.update(phase="idle", weight_kg=0.0, stable=False, journal_depth=0)
    expect(page.locator("#stable-text")).to_have_text("leeg", timeout=WITHIN_MS)
    expect(page.locator("#h-journal .health-name")).to_have_text("te versturen")
    expect(page.locator("#h-journal .health-text")).to_have_text("0")
    expect(page.locator("#h-scale")).to_contain_text("Weegschaal")
    station.update(phase="weighing", weight_kg=0.2)
    expect(page.locator("#stable-text")).to_have_text("beweegt", timeout=WITHIN_MS)
    page.click('#lang button[data-lang="en"]')
    station.update(phase="idle", weight_kg=0.0, journal_depth=3)
    expect(page.locator("#stable-text")).to_have_text("empty", timeout=WITHIN_MS)
    expect(page.locator("#h-journal .health-name")).to_have_text("waiting to send")
    expect(page.locator("#h-journal .health-text")).to_have_text("3")
    # Every pictogram in the top bar and the status has a word beside it.
    for item in page.locator("#health .health").all():
        assert item.locator(".health-name").inner_text().strip(), item.get_attribute("id")
        assert item.locator(".health-text").inner_text().strip(), item.get_attribute("id")


def test_the_last_event_is_in_the_site_time_zone_not_the_browsers(
    browser: Browser, server: KioskServer, station: FakeStation
) -> None:
    station.reset()
    busy(station)
    context = browser.new_context(viewport=SCREEN, timezone_id="America/New_York")
    try:
        page = context.new_page()
        page.goto(server.url)
        # 09:41:07 UTC is 10:41:07 in Amsterdam in November (04:41:07 in New York).
        expect(page.locator("#last-text")).to_contain_text("10:41:07", timeout=5000)
    finally:
        context.close()
