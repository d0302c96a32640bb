"""The dashboard's acceptance test, from the scale to the screen: two station processes on simulated hardware
(pseudo-terminal scale and button board), at two sites, publish through the real Mosquitto to a hub with the
real InfluxDB, served by uvicorn; Debian's Chromium logs in through the login page and watches the tiles.

A sorted item must change its station's tile within 2 s of the button press, without a reload; a supervisor
of one site sees only that site's station (tests/integration/test_auth_api.py and test_dashboard_api.py
check the same through the API)."""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page

from config.station import StationConfig
from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from firmware_mocks.sorter import StationRig
from hub.api.app import create_app
from hub.auth.principal import Role
from hub.service import Hub
from local_servers import MosquittoServer, free_port
from tests.conftest import wait_until
from tests.integration.conftest import hub  # noqa: F401  (the fixture)
from tests.integration.test_station_process import StationProcess, write_config

SITES = ("zwolle", "ommen")


@pytest.fixture
def web(hub: Hub) -> Iterator[str]:  # noqa: F811
    """The hub's web app on a real port, as `sortcentre hub` serves it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(hub.state), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started, 15)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


@pytest.fixture
def stations(tmp_path: Path, mosquitto: MosquittoServer) -> Iterator[dict[str, tuple[StationRig, StationProcess]]]:
    running: dict[str, tuple[StationRig, StationProcess]] = {}
    try:
        for site in SITES:
            folder = tmp_path / site
            folder.mkdir()
            config = write_config(folder, mosquitto, site=site, kiosk=False)
            rig = StationRig(StationConfig.load(config)).start()
            process = StationProcess(config, folder / "station.log")
            process.start()
            running[site] = (rig, process)
        yield running
    finally:
        for rig, process in running.values():
            if process.proc and process.proc.poll() is None:
                process.signal(signal.SIGTERM)
            rig.stop()
        forget_retained_status(mosquitto, [(site, rig.config.station.id) for site, (rig, _) in running.items()])


def forget_retained_status(mosquitto: MosquittoServer, stations: list[tuple[str, str]]) -> None:
    """The broker keeps each station's last status for every later subscriber: clear it, so the hubs of
    later tests do not show these stations."""
    client = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), f"cleanup-{secrets.token_hex(3)}")
    client.start()
    assert client.wait_connected(10)
    for site, station in stations:
        client.publish(topic(site, station, TopicKind.STATUS), b"", qos=1, retain=True)  # empty: delete (MQTT 3.3.1.3)
    time.sleep(0.3)
    client.stop()


def log_in(page: Page, web: str, hub: Hub, role: Role, sites: tuple[str, ...] = ()) -> None:  # noqa: F811
    username, password = f"{role.value}-{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    assert hub.logins is not None
    hub.logins.users.add(username, password, role, sites)
    page.goto(f"{web}/")
    page.wait_for_url("**/login**")  # no session yet: the dashboard sends us to the login page
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(f"{web}/")


def tile(site: str, rig: StationRig) -> str:
    return f'[data-station="{site}/{rig.config.station.id}"]'


def test_a_sorted_item_reaches_its_tile_within_two_seconds(
    browser: Browser,
    hub: Hub,  # noqa: F811
    web: str,
    stations: dict[str, tuple[StationRig, StationProcess]],
    artifacts: Path,
) -> None:
    online = {rig.config.station.id for rig, _ in stations.values()}
    assert wait_until(lambda: {v["station"] for v in hub.live.as_dicts() if v["state"] == "online"} >= online, 30)

    page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="nl-NL")
    log_in(page, web, hub, Role.ADMIN)
    zwolle, _ = stations["zwolle"]
    ommen, _ = stations["ommen"]
    page.wait_for_selector(tile("zwolle", zwolle))
    page.wait_for_selector(tile("ommen", ommen))
    page.wait_for_selector(f'{tile("zwolle", zwolle)}[data-state="online"]')
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page

    kg = 0.777
    zwolle.load.place(kg)
    time.sleep(zwolle.load.settings.settle_s + zwolle.config.scale.stable_time_s + 0.3)  # the weight is stable
    pressed = time.monotonic()
    zwolle.buttons.press("1")  # the first category: pp
    page.wait_for_selector(f'{tile("zwolle", zwolle)} [data-field="last_event"][data-seq="1"]', timeout=2000)
    shown_after_s = time.monotonic() - pressed
    zwolle.load.clear()

    assert shown_after_s < 2.0
    last = page.inner_text(f'{tile("zwolle", zwolle)} [data-field="last_event"]')
    assert "0,78 kg" in last and "PP" in last, last  # Dutch number format (the tile shows 10 g), the category
    assert page.inner_text(f'{tile("zwolle", zwolle)} [data-field="items_today"]').strip() == "1"
    assert page.inner_text(f'{tile("ommen", ommen)} [data-field="items_today"]').strip() == "0"
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    page.screenshot(path=str(artifacts / "dashboard-live-end-to-end.png"), full_page=True)
    page.close()


def test_a_supervisor_sees_only_their_own_site(
    browser: Browser,
    hub: Hub,  # noqa: F811
    web: str,
    stations: dict[str, tuple[StationRig, StationProcess]],
) -> None:
    online = {rig.config.station.id for rig, _ in stations.values()}
    assert wait_until(lambda: {v["station"] for v in hub.live.as_dicts() if v["state"] == "online"} >= online, 30)
    zwolle, _ = stations["zwolle"]
    ommen, _ = stations["ommen"]

    page = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(page, web, hub, Role.SUPERVISOR, ("ommen",))
    page.wait_for_selector(tile("ommen", ommen))
    # Retained statuses of earlier tests' stations may add tiles, but only ever of this site.
    shown = page.eval_on_selector_all("[data-station]", "tiles => tiles.map(t => t.dataset.station)")
    assert shown and all(name.startswith("ommen/") for name in shown), shown
    assert page.locator(tile("zwolle", zwolle)).count() == 0
    assert zwolle.config.station.id not in page.content()
    # Nor through the API with the same session: another site's numbers are refused.
    refused = page.request.get(f"{web}/api/v1/dashboard?site=zwolle")
    assert refused.status == 403
    page.close()
