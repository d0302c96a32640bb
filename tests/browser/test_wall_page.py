"""The wall screen (/wall?site=..., hub/web/static/wall.*) in a real browser (Debian's Chromium via Playwright).

The page is served as shipped by a small FastAPI app that stands in for the hub's wall API (the shapes of
/api/v1/wall/..., which are the dashboard's own: tests/unit/hub/api/test_wall.py checks the real routes and the
token's reach). Checked here: pairing from the link's fragment, 4 to 16 stations on one 1920x1080 screen without
scrolling, no text overflowing and no number broken at every screen size in Dutch and English, the stream colours
shared with the dashboard, and a revoked screen sent to "not paired".
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sse_starlette import EventSourceResponse, ServerSentEvent

from tests.browser.layout import SCREENS, assert_layout_holds
from tests.browser.test_dashboard_page import PICTOGRAMS, STATIC, Server, ago, event, history, tile

SITE = "zwolle"
TOKEN = "scw_abcdefgh_" + "t" * 43
COOKIE = "sortcentre_screen"
STREAMS = ["plastic", "textile", "cd_dvd", "duvets"]
CATEGORIES = {"plastic": "pp", "textile": "wipers", "cd_dvd": "cd", "duvets": "down"}


def station_tiles(count: int, site: str = SITE) -> list[dict[str, Any]]:
    """`count` stations of one site: long names, four streams, large figures, and one of each state."""
    tiles = []
    for i in range(count):
        stream = STREAMS[i % len(STREAMS)]
        name = f"{site}-{stream.replace('_', '-')}-{i + 1}" if i % 3 else f"zwartewaterland-{stream}-sorteer-{i + 1}"
        changes: dict[str, Any] = {
            "last_15min": {"kg_per_h": 105.3 + i * 11.1, "items_per_h": 1234.0 + i},
            "today": {
                "kg": 12345.6 + i,
                "items": 12345,
                "by_category": [{"stream": stream, "category": CATEGORIES[stream], "kg": 12345.6 + i, "items": 12345}],
            },
            "last_event": event(stream, CATEGORIES[stream], 0.25, 60),
        }
        if i == 1:
            changes.update(state="offline", state_since=ago(900))
        if i == 2:
            changes.update(state="unknown", state_since=None, heartbeat_received=None)
        tiles.append(tile(site, name, stream, **changes))
    return tiles


def wall_alerts(count: int) -> list[dict[str, Any]]:
    kinds = ["offline", "scale_fault", "journal_backlog", "camera_fault", "sequence_gap", "clock_skew"]
    return [
        {
            "id": f"{kind}:{SITE}/{SITE}-plastic-{i}",
            "kind": kind,
            "site": SITE,
            "station": f"{SITE}-plastic-{i}",
            "since": ago(600 + i),
            "detail": kind,
            "severity": "critical" if kind == "offline" else "warning",
        }
        for i, kind in enumerate(kinds[:count])
    ]


@dataclass
class FakeWall:
    stations: list[dict[str, Any]] = field(default_factory=lambda: station_tiles(8))
    alerts: list[dict[str, Any]] = field(default_factory=lambda: wall_alerts(2))
    revoked: bool = False
    requests: list[str] = field(default_factory=list)
    streams: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str | None]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, text: str | None) -> None:
        """Sends an update to every open stream (None: ends them)."""
        with self.lock:
            streams = list(self.streams)
        for loop, queue in streams:
            loop.call_soon_threadsafe(queue.put_nowait, text)

    def board(self) -> dict[str, Any]:
        return {
            "generated": ago(0),
            "sites": [SITE],
            "stations": [{k: v for k, v in s.items() if not k.startswith("_")} for s in self.stations],
            "alerts": self.alerts,
        }


def create_app(fake: FakeWall) -> FastAPI:
    app = FastAPI()
    app.mount("/static/pictograms", StaticFiles(directory=PICTOGRAMS), name="pictograms")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def refusal(request: Request, site: str | None) -> JSONResponse | None:
        with fake.lock:
            fake.requests.append(f"{request.method} {request.url.path}?{request.url.query}")
        if request.cookies.get(COOKIE) != TOKEN or fake.revoked:
            return JSONResponse({"detail": "not paired"}, status_code=401)
        if site not in (None, SITE):
            return JSONResponse({"detail": "another site"}, status_code=403)
        return None

    @app.get("/wall")
    def page() -> FileResponse:
        return FileResponse(STATIC / "wall.html", headers={"Cache-Control": "no-store"})

    @app.get("/login")
    def login() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>login</title><h1 id='login'>login</h1>")

    @app.post("/api/v1/wall/pair", response_model=None)
    async def pair(request: Request) -> Response:
        body = await request.json()
        if body.get("token") != TOKEN or fake.revoked:
            return JSONResponse({"detail": "revoked"}, status_code=401)
        response = JSONResponse({"screen": "abcdefgh", "site": SITE})
        response.set_cookie(COOKIE, TOKEN, httponly=True, samesite="strict", path="/api/v1/wall")
        return response

    @app.get("/api/v1/wall/dashboard", response_model=None)
    def dashboard(request: Request, site: str | None = None) -> JSONResponse:
        return refusal(request, site) or JSONResponse(fake.board())

    @app.get("/api/v1/wall/today", response_model=None)
    def today(request: Request, site: str | None = None) -> JSONResponse:
        return refusal(request, site) or JSONResponse(history("day", "stream"))

    @app.get("/api/v1/wall/live", response_model=None)
    async def live(request: Request, site: str | None = None) -> JSONResponse | EventSourceResponse:
        if (answer := refusal(request, site)) is not None:
            return answer
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        stream = (asyncio.get_running_loop(), queue)

        async def events() -> AsyncIterator[ServerSentEvent]:
            with fake.lock:
                fake.streams.append(stream)
            try:
                yield ServerSentEvent(event="snapshot", data=json.dumps(fake.board()), retry=300)
                while (item := await queue.get()) is not None:
                    yield ServerSentEvent(event="update", data=item)
            finally:
                with fake.lock:
                    fake.streams.remove(stream)

        return EventSourceResponse(events(), ping=15)

    return app


@pytest.fixture(scope="module")
def fake() -> FakeWall:
    return FakeWall()


@pytest.fixture(scope="module")
def server(fake: FakeWall) -> Iterator[Server]:
    running = Server(create_app(fake))
    running.start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def reset(fake: FakeWall) -> None:
    fresh = FakeWall()
    for name in ("stations", "alerts", "revoked"):
        setattr(fake, name, getattr(fresh, name))
    with fake.lock:
        fake.requests.clear()


@contextmanager
def wall_page(
    browser: Browser, server: Server, viewport: ViewportSize = SCREENS["1920x1080"], locale: str = "nl-NL"
) -> Iterator[Page]:
    """A fresh screen, paired through the link an admin is given (/wall?site=...#pair=TOKEN), showing the wall."""
    context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Europe/Amsterdam")
    errors: list[str] = []
    missing: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: errors.append(msg.text) if msg.type == "error" and "resource" not in msg.text else None,
        )
        page.on(
            "response",
            lambda r: missing.append(r.url) if r.status == 404 and not r.url.endswith("/favicon.ico") else None,
        )
        page.goto(f"{server.url}/wall?site={SITE}#pair={TOKEN}")
        page.wait_for_selector('body[data-conn="live"] #wall-tiles .wtile', state="attached", timeout=5000)
        expect(page.locator("#wall-chart .uplot canvas")).to_have_count(1)
        yield page
    finally:
        context.close()
    assert not missing, f"files the page asked for and did not get: {missing}"
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_every_wall_string_exists_in_both_languages(browser: Browser, server: Server) -> None:
    with wall_page(browser, server) as page:
        keys = page.evaluate(
            "Object.fromEntries(Object.entries(WALL_TEXT).map(([k, v]) => [k, Object.keys(v).sort()]))"
        )
        assert keys["nl"] == keys["en"] and len(keys["nl"]) > 20


def test_pairing_link_sets_the_cookie_and_leaves_no_token_in_the_address(browser: Browser, server: Server) -> None:
    with wall_page(browser, server) as page:
        assert page.url == f"{server.url}/wall?site={SITE}"
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies[COOKIE]["httpOnly"] is True
        assert page.evaluate("document.cookie") == ""  # no script on the page can read the token
        expect(page.locator("#wall-site")).to_have_text("Zwolle")
        # A restart of the screen's browser: the cookie is enough, no link needed.
        page.goto(f"{server.url}/wall?site={SITE}")
        expect(page.locator(".wtile")).to_have_count(8)


@pytest.mark.parametrize("count", [4, 9, 16])
def test_up_to_16_stations_fit_one_1920x1080_screen_without_scrolling(
    browser: Browser, server: Server, fake: FakeWall, count: int
) -> None:
    fake.stations = station_tiles(count)
    with wall_page(browser, server) as page:
        expect(page.locator(".wtile")).to_have_count(count)
        fits = page.evaluate(
            """() => ({
                scroll: document.documentElement.scrollHeight, client: document.documentElement.clientHeight,
                wide: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
                chart: document.querySelector('#wall-chart canvas').getBoundingClientRect().bottom,
                streams: document.querySelector('#stream-totals').getBoundingClientRect().bottom,
                big: parseFloat(getComputedStyle(document.querySelector('.wbig')).fontSize),
            })"""
        )
        assert fits["scroll"] <= fits["client"] and fits["wide"] <= fits["width"], fits
        assert fits["chart"] <= 1080 and fits["streams"] <= 1080, fits
        # Read from across the hall: the smallest kg/h figure (16 stations) is still over 40 px.
        assert fits["big"] >= 40, fits
        expect(page.locator("#stream-totals li")).to_have_count(min(count, len(STREAMS)))
        assert_layout_holds(page, f"wall-{count}-stations-1920x1080-nl")


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("size", list(SCREENS))
def test_layout_holds_at_every_size_in_both_languages(
    browser: Browser, server: Server, fake: FakeWall, size: str, lang: str
) -> None:
    fake.stations = station_tiles(12)
    fake.alerts = wall_alerts(6)
    with wall_page(browser, server, SCREENS[size], locale="en-US" if lang == "en" else "nl-NL") as page:
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator(".walert").first).to_be_visible()
        if SCREENS[size]["width"] >= 1200 and SCREENS[size]["height"] >= 680:
            sizes = page.evaluate("[document.documentElement.scrollHeight, document.documentElement.clientHeight]")
            assert sizes[0] <= sizes[1], f"{size}: the wall scrolls {sizes}"
        assert_layout_holds(page, f"wall-{size}-{lang}")


def test_figures_texts_and_stream_colours(browser: Browser, server: Server, fake: FakeWall) -> None:
    with wall_page(browser, server) as page:
        first = page.locator('.wtile[data-station="zwartewaterland-plastic-sorteer-1"]')
        expect(first.locator('[data-field="kg_per_h"]')).to_have_text("105,3")
        expect(first.locator('[data-field="kg_today"]')).to_have_text("12.345,6 kg")
        expect(page.locator(".wtile[data-state=offline]")).to_have_count(1)
        expect(page.locator(".wtile[data-state=offline]")).to_contain_text("offline")
        # The long name is cut with an ellipsis and shown whole in its title.
        name = page.locator(".wname").first
        assert name.get_attribute("title") == name.inner_text()
        # Every stream's swatch, its tiles' top edge and its chart line share the dashboard's colour (shared.js).
        for stream in STREAMS:
            colours = page.evaluate(
                """(stream) => {
                    const rgb = (hex) => { const div = document.createElement('div'); div.style.color = hex;
                        document.body.append(div); const c = getComputedStyle(div).color; div.remove(); return c; };
                    const style = (selector) => getComputedStyle(document.querySelector(selector));
                    return {
                        expected: rgb(SHARED.streamStyle(stream).colour),
                        swatch: style(`.swatch[data-stream="${stream}"]`).backgroundColor,
                        tile: style(`.wtile[data-stream="${stream}"]`).borderTopColor,
                    };
                }""",
                stream,
            )
            assert colours["swatch"] == colours["expected"] == colours["tile"], (stream, colours)
        total = page.locator("#wall-today-kg")
        expect(total).to_have_text("98.792,8")  # 8 x 12.345,6 + 0..7
        band = page.locator("#alert-band .walert")
        expect(band.first).to_have_attribute("data-severity", "critical")
        expect(band.first).to_contain_text("Station offline")


def test_the_alert_band_stays_one_line_and_counts_the_rest(browser: Browser, server: Server, fake: FakeWall) -> None:
    fake.alerts = wall_alerts(6)
    with wall_page(browser, server, SCREENS["1366x768"]) as page:
        band = page.locator("#alert-band ul")
        tops = page.evaluate("[...document.querySelectorAll('#alert-band .walert')].map(e => e.offsetTop)")
        assert len(set(tops)) == 1, tops
        shown = page.locator("#alert-band .walert:not(.more)").count()
        if shown < 6:
            expect(band.locator(".more")).to_have_text(f"+ {6 - shown} meldingen")


def test_an_update_changes_a_tile_without_a_reload(browser: Browser, server: Server, fake: FakeWall) -> None:
    with wall_page(browser, server) as page:
        page.evaluate("window.notReloaded = true")
        changed = {k: v for k, v in fake.stations[0].items() if not k.startswith("_")}
        changed["last_15min"] = {"kg_per_h": 7.5, "items_per_h": 30.0}
        text = json.dumps({"generated": ago(0), "stations": [changed], "alerts": []})
        fake.push(text)
        first = page.locator(f'.wtile[data-station="{changed["station"]}"]')
        expect(first.locator('[data-field="kg_per_h"]')).to_have_text("7,5", timeout=2000)
        expect(page.locator(".all-fine")).to_contain_text("Alle stations in orde")
        assert page.evaluate("window.notReloaded") is True


def test_a_revoked_screen_shows_not_paired_with_a_way_to_log_in(
    browser: Browser, server: Server, fake: FakeWall
) -> None:
    with wall_page(browser, server) as page:
        fake.revoked = True
        fake.push(None)  # the stream ends; the page asks again and is refused
        expect(page.locator("#wall-unpaired")).to_be_visible(timeout=5000)
        expect(page.locator("#wall-unpaired")).to_contain_text("ingetrokken")
        assert page.locator("#wall-login").get_attribute("href") == "/login?next=%2Fwall%3Fsite%3Dzwolle"
        expect(page.locator("#wall-main")).to_be_hidden()
        assert_layout_holds(page, "wall-revoked-1920x1080-nl")
