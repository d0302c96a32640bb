"""The dashboard's layout in a real browser (Debian's Chromium via Playwright), at the screens people use and in both
languages: no text overflowing its box and no number broken (tests/browser/layout.py), tiles that fill the width,
category lines that add up to the tile's total, the charts in view on a 1080p screen, and one colour per stream in
the tiles and the charts, with and without a site filter.

The page is served as shipped by the stand-in hub of test_dashboard_page.py, with a history that answers per site
(a site filter changes which streams a chart has, so a colour that followed a stream's position would change)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from playwright.sync_api import Browser, Page, expect

from tests.browser.layout import SCREENS, assert_layout_holds
from tests.browser.test_dashboard_page import FakeHub, Server, history, open_page, stations, tile
from tests.browser.test_dashboard_page import create_app as create_fake_hub

# One station with many categories: the tile lists the top three and "+ 3 more" with the rest's kg.
MANY = [
    {"stream": "plastic", "category": "pp", "kg": 4000.5, "items": 4000},
    {"stream": "plastic", "category": "pet", "kg": 3000.25, "items": 3000},
    {"stream": "plastic", "category": "hdpe", "kg": 2000.0, "items": 2000},
    {"stream": "plastic", "category": "ldpe", "kg": 1000.0, "items": 1000},
    {"stream": "plastic", "category": "ps", "kg": 300.0, "items": 300},
    {"stream": "plastic", "category": "residual", "kg": 45.35, "items": 45},
]


def busy_stations() -> list[dict[str, Any]]:
    """The dashboard test's eight stations, one of them busy: a kg/h of 105,3 and six categories."""
    found = stations()
    found[1] = tile(
        "zwolle",
        "zwolle-plastic-2",
        "plastic",
        last_15min={"kg_per_h": 105.3, "items_per_h": 1234.0},
        today={"kg": sum(c["kg"] for c in MANY), "items": sum(c["items"] for c in MANY), "by_category": MANY},
    )
    return found


def site_history(period: str, group: str, site: str | None) -> dict[str, Any]:
    """All sites: plastic, textile, cd_dvd; Zwolle alone: textile first, then plastic."""
    data = history(period, group)
    if site == "zwolle" and group == "stream":
        series = {s["key"]: s for s in data["series"]}
        data["series"] = [series["textile"], series["plastic"]]
        data["table"] = [row for row in data["table"] if row["key"] in ("textile", "plastic")]
    return data


@pytest.fixture(scope="module")
def fake() -> FakeHub:
    return FakeHub()


@pytest.fixture(scope="module")
def server(fake: FakeHub) -> Iterator[Server]:
    app = FastAPI()

    @app.get("/api/v1/history", response_model=None)
    def by_site(period: str, group: str, site: str | None = None) -> JSONResponse:
        return JSONResponse(site_history(period, group, site))

    app.router.routes.extend(create_fake_hub(fake).routes)  # the rest of the stand-in hub, after ours
    running = Server(app)
    running.start()
    yield running
    fake.push("", None)
    running.stop()


@pytest.fixture(autouse=True)
def reset(fake: FakeHub) -> None:
    fake.push("", None)
    fresh = FakeHub()
    for name in ("me", "sites", "alerts", "logged_in", "refuse_streams"):
        setattr(fake, name, getattr(fresh, name))
    fake.stations = busy_stations()


def charts_drawn(page: Page) -> None:
    for chart in ("#chart-today", "#chart-week"):
        expect(page.locator(f"{chart} .uplot canvas")).to_have_count(1)


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("size", list(SCREENS))
def test_layout_holds_at_every_size_in_both_languages(browser: Browser, server: Server, size: str, lang: str) -> None:
    locale = "en-US" if lang == "en" else "nl-NL"
    with open_page(browser, server.url + "/", viewport=SCREENS[size], locale=locale) as page:
        expect(page.locator("html")).to_have_attribute("lang", lang)
        charts_drawn(page)
        assert_layout_holds(page, f"dashboard-{size}-{lang}")


def test_the_kg_per_hour_figure_is_one_line_in_an_narrow_tile(browser: Browser, server: Server) -> None:
    with open_page(browser, server.url + "/", viewport=SCREENS["1920x1080"]) as page:
        figure = page.locator('.tile[data-station="zwolle/zwolle-plastic-2"] [data-field="kg_per_h"]')
        expect(figure).to_have_text("105,3")
        lines = figure.evaluate("(el) => new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size")
        assert lines == 1


def test_tiles_fill_the_width(browser: Browser, server: Server, fake: FakeHub) -> None:
    fake.stations = busy_stations()[:3]
    with open_page(browser, server.url + "/", viewport=SCREENS["1920x1080"]) as page:
        expect(page.locator(".tile")).to_have_count(3)
        edges = page.evaluate(
            """() => ({
                box: document.getElementById('tiles').getBoundingClientRect().right,
                last: Math.max(...[...document.querySelectorAll('.tile')].map((t) => t.getBoundingClientRect().right)),
            })"""
        )
        assert abs(edges["box"] - edges["last"]) <= 2, edges


def test_a_tiles_category_lines_add_up_to_its_total(page: Page) -> None:
    busy = page.locator('.tile[data-station="zwolle/zwolle-plastic-2"]')
    lines = busy.locator('[data-field="by_category"] li')
    expect(lines).to_have_count(4)
    expect(lines.nth(0)).to_contain_text("PP")
    more = busy.locator('[data-field="more_categories"]')
    expect(more).to_contain_text("+ 3 meer")
    expect(more).to_contain_text("1.345,4 kg")  # LDPE, PS and residual: 1000 + 300 + 45,35
    expect(busy.locator('[data-field="kg_today"]')).to_have_text("10.346,1")
    shown = [
        float(text.replace(" kg", "").replace(".", "").replace(",", "."))
        for text in lines.locator(".num").all_inner_texts()
    ]
    # Each line is rounded to 0,1 kg on its own: together they are the total within half a tenth per line.
    assert abs(sum(shown) - 10346.1) <= 0.05 * len(shown), shown


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    with open_page(browser, server.url + "/") as dashboard:
        yield dashboard


def test_the_charts_are_in_view_on_a_1080p_screen(page: Page) -> None:
    charts_drawn(page)
    bottoms = page.evaluate(
        "['#chart-today', '#chart-week'].map((c) => document.querySelector(c).getBoundingClientRect().bottom)"
    )
    assert max(bottoms) <= 1080, bottoms


COLOURS_JS = """(stream) => {
    const tile = document.querySelector(`#tiles .cats li[data-stream="${stream}"]`);
    const marker = (chart) => document.querySelector(`${chart} .u-series[data-key="${stream}"] .u-marker`);
    return {
        tile: tile && getComputedStyle(tile).borderLeftColor,
        today: marker('#chart-today') && getComputedStyle(marker('#chart-today')).borderTopColor,
        week: marker('#chart-week') && getComputedStyle(marker('#chart-week')).borderTopColor,
    };
}"""


def test_a_stream_has_one_colour_in_tiles_and_charts_with_and_without_a_site_filter(page: Page) -> None:
    charts_drawn(page)
    everywhere = page.evaluate(COLOURS_JS, "plastic")
    assert everywhere["tile"] == everywhere["today"] == everywhere["week"] == "rgb(0, 96, 168)", everywhere
    textile = page.evaluate(COLOURS_JS, "textile")
    assert textile["tile"] == textile["today"] == textile["week"] != everywhere["tile"], textile

    page.locator("#site").select_option("zwolle")
    expect(page.locator(".tile")).to_have_count(2)
    # Zwolle's charts have textile first and plastic second: plastic keeps its colour all the same.
    expect(page.locator('#chart-today .u-series[data-key="plastic"]')).to_have_count(1)
    expect(page.locator("#chart-today .u-series").nth(0)).to_have_attribute("data-key", "textile")
    assert page.evaluate(COLOURS_JS, "plastic") == everywhere


def test_the_wall_screen_of_the_site_in_view_is_one_click_away(page: Page) -> None:
    link = page.locator("#wall-link")
    expect(link).to_be_hidden()  # every site: no one wall
    page.locator("#site").select_option("zwolle")
    expect(link).to_be_visible()
    expect(link).to_have_text("Wandscherm")
    assert link.get_attribute("href") == "/wall?site=zwolle&lang=nl"
