"""Publish to browser: how long after a station publishes an event a logged-in supervisor's dashboard shows it.

Everything real: Mosquitto and InfluxDB started by the benchmark, `sortcentre hub` as its own process with
its default settings, an admin made with `sortcentre users add`, and Debian's Chromium (driven by
Playwright) logged in through the login page. A MutationObserver installed before the page loads notes the
browser's clock the first time each (station, sequence number) appears as a tile's last event; the bench
notes its own clock right before each publish. Both clocks are this machine's wall clock.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from bench.ingest import start_hub
from bench.stats import percentile
from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from local_servers import InfluxServer, MosquittoServer
from local_servers.chromium import CHROMIUM, CHROMIUM_ARGS
from local_servers.fleet import HubProcess, make_event

SITE = "bench"
STATIONS = 50
SECONDS = 60
# After the last publish: the hub batches for up to 200 ms and the page gets at most four updates a second,
# so 5 s is far beyond any event still on its way; one not shown by then counts as missing.
GRACE_S = 5
# The tile shows only a station's latest event; at one event a second per station and an update every 250 ms
# each should be shown. A few superseded ones are reported; more than this share means something is broken.
MISSING_LIMIT = 0.01
USER = "bench-admin"
PASSWORD = "bench-dashboard-" + uuid.uuid4().hex[:12]

# Runs in the page before its own scripts. Tiles are replaced whole on each update, so watch added subtrees
# as well as data-seq attribute changes; note each (station, seq) once, when it is first in the document.
OBSERVER = """
(() => {
  window.__benchSeen = [];
  const noted = new Set();
  const note = (node, now) => {
    if (node.nodeType !== Node.ELEMENT_NODE || !node.isConnected) return;
    const selector = '[data-field="last_event"][data-seq]';
    const found = node.matches(selector) ? [node] : node.querySelectorAll(selector);
    for (const last of found) {
      const tile = last.closest("[data-station]");
      if (!tile) continue;
      const key = `${tile.dataset.station} ${last.dataset.seq}`;
      if (noted.has(key)) continue;
      noted.add(key);
      window.__benchSeen.push([tile.dataset.station, Number(last.dataset.seq), now]);
    }
  };
  new MutationObserver((records) => {
    const now = Date.now();
    for (const record of records) {
      if (record.type === "attributes") note(record.target, now);
      else for (const node of record.addedNodes) note(node, now);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-seq"] });
})();
"""


def station_id(index: int) -> str:
    return f"{SITE}-station-{index}"


def add_admin(hub: HubProcess) -> None:
    command = [sys.executable, "-m", "sortcentre", "users", "add", USER, "--role", "admin", "--password-stdin"]
    subprocess.run(
        [*command, "--config", str(hub.config)],
        input=f"{PASSWORD}\n".encode(),
        check=True,
        capture_output=True,
        timeout=60,
    )


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{base}/", timeout=15_000)
    page.wait_for_selector('body[data-conn="live"]', state="attached", timeout=15_000)


def publish_one(client: MqttClient, index: int, seq: int) -> float:
    """One event stamped now; returns time.time() right before it was handed to the client."""
    station = station_id(index)
    payload = make_event(seq, station=station, site=SITE, when=datetime.now(UTC)).to_json()
    where = topic(SITE, station, TopicKind.EVENT)
    published = time.time()
    while client.publish(where, payload, qos=1) is None:
        time.sleep(0.001)
    return published


def sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def stream(client: MqttClient) -> dict[tuple[str, int], float]:
    """Each station one event a second (seq 2 onward), the 50 stations spread evenly over each second."""
    published: dict[tuple[str, int], float] = {}
    start = time.monotonic() + 0.5
    for second in range(SECONDS):
        for index in range(STATIONS):
            sleep_until(start + second + index / STATIONS)
            seq = second + 2
            published[(f"{SITE}/{station_id(index)}", seq)] = publish_one(client, index, seq)
    return published


def measure(folder: Path, broker: MosquittoServer, influx: InfluxServer) -> tuple[list[float], int]:
    """Latencies in seconds of the events the page showed, and how many it never showed."""
    hub = start_hub(folder, broker, influx, f"dash_{uuid.uuid4().hex[:6]}")
    client = MqttClient(MqttSettings(host=broker.host, port=broker.port), f"bench-dash-{uuid.uuid4().hex[:6]}")
    try:
        add_admin(hub)
        client.start()
        if not client.wait_connected(10):
            raise RuntimeError("bench publisher did not connect to Mosquitto")
        base = f"http://127.0.0.1:{hub.http_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.add_init_script(OBSERVER)
                log_in(page, base)
                # Warm-up, not measured: one event per station so that all 50 tiles exist.
                for index in range(STATIONS):
                    publish_one(client, index, 1)
                page.wait_for_function(
                    "([site, count]) => document.querySelectorAll("
                    "`[data-station^='${site}/'] [data-field='last_event'][data-seq='1']`).length === count",
                    arg=[SITE, STATIONS],
                    timeout=30_000,
                )
                published = stream(client)
                time.sleep(GRACE_S)
                seen: list[list[str | int | float]] = page.evaluate("window.__benchSeen")
            finally:
                browser.close()
    finally:
        client.stop()
        hub.stop()
    shown = {(str(key), int(seq)): float(ms) / 1000 for key, seq, ms in seen}
    latencies = [shown[event] - at for event, at in published.items() if event in shown]
    return latencies, len(published) - len(latencies)


def run(folder: Path, broker: MosquittoServer, influx: InfluxServer) -> list[str]:
    total = STATIONS * SECONDS
    latencies, missing = measure(folder, broker, influx)
    if missing > MISSING_LIMIT * total:
        raise RuntimeError(f"the page never showed {missing} of {total} events (limit {MISSING_LIMIT:.0%})")
    ms = [v * 1000 for v in latencies]
    return [
        "## Dashboard: publish to browser",
        "",
        f"{STATIONS} stations each publish one event a second for {SECONDS} s ({total:,} events, QoS 1, the",
        "stations spread evenly over each second, one paho client in the bench process), after one warm-up event",
        "per station that is not counted. Measured from right before each publish to the moment the event is in",
        "a logged-in admin's dashboard as that station's last event: station publish -> Mosquitto -> hub ingest",
        "(batch, InfluxDB write, rollup refresh, ack) -> live state -> server-sent events (coalesced to 4",
        "updates/s) -> Chromium renders the tile. The hub is `sortcentre hub` in its own process with its default",
        "settings; the browser is Debian's Chromium (headless, driven by Playwright) logged in through `/login`;",
        "a MutationObserver in the page notes when each (station, sequence number) first appears in the tile",
        "(the paint follows within a frame). Everything shares the machine's cores.",
        "",
        f"Shown: {len(ms):,} of {total:,} ({missing} superseded before shown). Latency: p50"
        f" {percentile(ms, 50):.0f} ms, p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms.",
        "",
    ]
