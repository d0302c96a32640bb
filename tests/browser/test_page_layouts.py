"""Issue 17's layout acceptance for the admins' pages and the reports: the login page, the fleet page and a
station's config page served by a real hub (real Mosquitto and InfluxDB, uvicorn, a login through the page), and
the printable report pages, each at every size of layout.SCREENS and in Dutch and English. No text may overflow
its box and no number may break inside itself; every page's screenshot is kept in build/test-artifacts.

The content is what an admin meets on a busy day: stations with long ids at several sites, online with their
versions, one whose config was refused with a long reason, an open rollout, and a config with every category of
both streams."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect

from core.contract import DeviceHealth, Heartbeat, StationState, StationStatus, TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from hub.api.app import create_app
from hub.auth.principal import Role
from hub.reference import load_reference
from hub.reports.build import build
from hub.reports.meta import Meta, describe_scope, month_status
from hub.reports.render import to_html
from hub.reports.table import ReportKind
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer, free_port
from tests.browser.layout import SCREENS, assert_layout_holds
from tests.browser.test_report_pages import MONTHS
from tests.conftest import wait_until
from tests.integration.conftest import forget_sessions, hub_settings

LANGUAGES = ("nl", "en")
LOCALES = {"nl": "nl-NL", "en": "en-GB"}

# Long ids, as sites name their stations: up to the 40 characters a slug may have.
SUFFIX = uuid.uuid4().hex[:4]
STATIONS = {
    f"zwolle-kunststof-voorsorteerband-{SUFFIX}": ("zwolle", "plastic"),
    f"zwolle-plastic-2-{SUFFIX}": ("zwolle", "plastic"),
    f"zwartewaterland-textiel-achterhal-{SUFFIX}": ("zwartewaterland", "textile"),
    f"staphorst-textiel-1-{SUFFIX}": ("staphorst", "textile"),
    f"dalfsen-plastic-menglijn-kringloop-{SUFFIX}": ("dalfsen", "plastic"),
    f"ommen-textile-1-{SUFFIX}": ("ommen", "textile"),
}
REFUSING = f"zwartewaterland-textiel-achterhal-{SUFFIX}"
REFUSAL = (
    "settings.vision.grading.rules.0.min_confidence: Input should be less than or equal to 1; "
    "settings.categories.7.key: category keys repeat: ['1', '2', '3', '4', '5', '6', '7', '7']"
)

# Every category of both streams, with the Dutch and English names the kiosk shows: the longest config an
# admin edits (keys are the button board's).
CATEGORIES = [
    {"id": cid, "nl": nl, "en": en, "pictogram": cid, "key": key}
    for key, (cid, nl, en) in zip(
        "1234567890AB",
        [
            ("pet", "PET-flessen en -schalen", "PET bottles and trays"),
            ("hdpe", "HDPE-flacons", "HDPE containers"),
            ("pvc", "PVC", "PVC"),
            ("ldpe", "LDPE-folie", "LDPE film"),
            ("pp", "PP-bakjes en -deksels", "PP tubs and lids"),
            ("ps", "PS (piepschuim, bekers)", "PS (foam, cups)"),
            ("other", "Overige kunststoffen", "Other plastics"),
            ("creme", "Crème (hergebruik in Nederland)", "Crème (reuse in the Netherlands)"),
            ("export", "Export (hergebruik buitenland)", "Export (reuse abroad)"),
            ("recycling", "Recycling (vezels)", "Recycling (fibres)"),
            ("wipers", "Poetslappen", "Wipers"),
            ("residual", "Restafval", "Residual waste"),
        ],
        strict=False,
    )
]


@dataclass
class Site:
    """The hub's web app on a real port, and an admin who can log in to it."""

    url: str
    hub: Hub
    username: str
    password: str


@pytest.fixture(scope="module")
def site(mosquitto: MosquittoServer, influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("layout-hub")
    settings = hub_settings(mosquitto, influx)
    settings.learning.rollouts_file = folder / "rollouts.sqlite"
    settings.learning.models_folder = folder / "models"
    hub = Hub(settings)
    hub.start()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(hub.state), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: server.started, 15)
        username, password = f"beheerder-{secrets.token_hex(3)}", secrets.token_urlsafe(12)
        assert hub.logins is not None
        hub.logins.users.add(username, password, Role.ADMIN, ())
        found = Site(f"http://127.0.0.1:{port}", hub, username, password)
        fill(found, mosquitto)
        yield found
    finally:
        server.should_exit = True
        thread.join(15)
        hub.stop()
        forget_sessions(hub)


def fill(site: Site, mosquitto: MosquittoServer) -> None:
    """The registry, live heartbeats with versions, an open rollout and a config with every category."""
    assert site.hub.registry is not None
    for station, (where, stream) in STATIONS.items():
        site.hub.registry.add(station, where, stream)
    client = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), f"layout-{secrets.token_hex(3)}")
    client.start()
    assert client.wait_connected(10)
    try:
        for station, (where, _stream) in STATIONS.items():
            now = datetime.now(UTC)
            status = StationStatus(
                site=where, station=station, state=StationState.ONLINE, since=now, software_version="0.6.0"
            )
            # Not retained: later tests' hubs must not inherit these stations.
            client.publish(topic(where, station, TopicKind.STATUS), status.to_json(), qos=1)
            beat = Heartbeat(
                site=where,
                station=station,
                boot_id=uuid.uuid4(),
                station_time=now,
                uptime_s=86_400.0,
                scale=DeviceHealth.OK,
                camera=DeviceHealth.OK,
                model_version=f"{where}-{_stream}@20261204T101500",
                journal_depth=0,
                oldest_unsent_age_s=None,
                clock_synced=True,
                events_made=123_456,
                events_sent=123_456,
                warnings=[],
                software_version="0.6.0+g4e7af35",
                config_version=f"{station}-12",
                config_error=REFUSAL if station == REFUSING else None,
            )
            client.publish(topic(where, station, TopicKind.HEARTBEAT), beat.to_json(), qos=1)
        assert wait_until(lambda: len({v.key for v in site.hub.state.live.stations()} & keys()) == len(STATIONS), 20)
    finally:
        client.stop()
    first, second = list(STATIONS)[:2]
    site.hub.learning.rollouts.start(
        site="zwolle",
        stream="plastic",
        new_version="zwolle-plastic@20261204T101500",
        previous_version="zwolle-plastic@20261101T080000",
        canary=[first],
        others=[second],
        items_needed=50,
    )
    # A browser names its origin on every change; the hub refuses a change with a session that does not.
    with httpx.Client(base_url=site.url, headers={"Origin": site.url}, timeout=10) as api:
        answer = api.post("/api/v1/login", json={"username": site.username, "password": site.password})
        assert answer.status_code == 200, answer.text
        settings: dict[str, Any] = {
            "categories": CATEGORIES,
            "vision": {"thresholds": {"plastic": 0.85, "textile": 0.9}, "default_threshold": 0.9},
            "blind_share": 0.05,
        }
        for _ in range(3):  # a history of a few versions
            answer = api.put(f"/api/v1/stations/{REFUSING}/config", json={"settings": settings})
            assert answer.status_code == 200, answer.text


def keys() -> set[tuple[str, str]]:
    return {(where, station) for station, (where, _stream) in STATIONS.items()}


def logged_in(browser: Browser, site: Site, size: str, lang: str) -> BrowserContext:
    """A browser context at this size, logged in as the admin, with the pages' language chosen."""
    context = browser.new_context(viewport=SCREENS[size], locale=LOCALES[lang])
    answer = context.request.post(
        f"{site.url}/api/v1/login",
        data={"username": site.username, "password": site.password},
        headers={"Origin": site.url},
    )
    assert answer.ok, answer.text()
    return context


def choose_language(page: Page, lang: str) -> None:
    page.locator(f'#lang button[data-lang="{lang}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", list(SCREENS))
def test_the_login_page_fits(browser: Browser, site: Site, size: str, lang: str) -> None:
    context = browser.new_context(viewport=SCREENS[size], locale=LOCALES[lang])
    try:
        page = context.new_page()
        page.goto(f"{site.url}/")
        page.wait_for_url("**/login**")
        # A name of its own per test: five failures for one name lock it out (hub.auth.ratelimit).
        page.fill("#username", f"typo-{size}-{lang}")
        page.fill("#password", "not the password")
        page.click("#submit")  # the longest text the page shows: the refusal in both languages
        expect(page.locator("#message")).to_contain_text("Wrong user name or password")
        assert_layout_holds(page, f"login-{size}-{lang}")
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", list(SCREENS))
def test_the_fleet_page_fits(browser: Browser, site: Site, size: str, lang: str) -> None:
    context = logged_in(browser, site, size, lang)
    try:
        page = context.new_page()
        page.goto(f"{site.url}/static/fleet.html")
        choose_language(page, lang)
        expect(page.locator("#fleet tbody tr")).to_have_count(len(STATIONS), timeout=10_000)
        expect(page.locator("#rollouts tbody tr")).to_have_count(1, timeout=10_000)
        assert_layout_holds(page, f"fleet-{size}-{lang}")
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", list(SCREENS))
def test_the_station_config_page_fits(browser: Browser, site: Site, size: str, lang: str) -> None:
    context = logged_in(browser, site, size, lang)
    try:
        page = context.new_page()
        page.goto(f"{site.url}/stations/{REFUSING}/config")
        choose_language(page, lang)
        expect(page.locator("#cfg-held")).to_have_text(f"{REFUSING}-3")
        expect(page.locator("#cfg-site")).to_have_text("Zwartewaterland")  # the place's name, not its slug
        expect(page.locator("#cfg-error")).to_contain_text("min_confidence")
        expect(page.locator("#cfg-history li")).to_have_count(3)
        assert_layout_holds(page, f"station-config-{size}-{lang}")
    finally:
        context.close()


REFERENCE = load_reference()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", list(SCREENS))
@pytest.mark.parametrize("kind", list(ReportKind))
def test_the_report_pages_fit(browser: Browser, kind: ReportKind, size: str, lang: str) -> None:
    """On screen, as a person opens a report before printing it (printing itself: test_report_pages.py)."""
    report = build(kind, MONTHS, REFERENCE)
    meta = Meta(
        first=date(2026, 10, 1),
        last=date(2026, 11, 30),
        scope=describe_scope(REFERENCE.sites | {"kampen"}, REFERENCE),
        reference_version=REFERENCE.version,
        generated="2026-12-01 09:00 CET",
        months=month_status(MONTHS),
    )
    context = browser.new_context(viewport=SCREENS[size], locale=LOCALES[lang])
    try:
        page = context.new_page()
        page.set_content(to_html(report, meta))
        assert_layout_holds(page, f"reports-{kind.value}-{size}-{lang}")
    finally:
        context.close()
