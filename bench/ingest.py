"""End-to-end ingest: 50 stations' events from several publisher processes through Mosquitto into InfluxDB.

Three figures, each against real servers started by the benchmark:
* the rate of a bare paho subscriber that only receives (the broker and client library's ceiling here);
* the hub's end-to-end rate: first publish until the last event is readable in InfluxDB (`SELECT count`),
  with `sortcentre hub` running as its own process with its default ingest workers;
* the publish-to-readable latency at a steady 1,000 events/s: every publish is time-stamped, the stored
  count is sampled every 20 ms, and the k-th event counts as readable when the count first reaches k.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from bench.stats import percentile
from core.contract import TopicKind, subscription
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import Address, HubProcess, fleet_payloads, publish_parallel

EVENTS = int(os.environ.get("SORTCENTRE_BENCH_INGEST_EVENTS", "200000"))
STATIONS = 50
PUBLISHERS = 4
STEADY_RATE = 1000
STEADY_SECONDS = 30
SAMPLE_EVERY_S = 0.02


def publish_as_stations(broker: MosquittoServer | Address, payloads: list[tuple[str, bytes]]) -> float:
    """One `mosquitto_pub` process per station topic, QoS 1, each reading its events as lines on stdin.

    A C client keeps the load generator from eating the cores the hub is measured on (four Python paho
    publishers took about as much CPU as the hub itself). Returns perf_counter() at the start."""
    by_topic: dict[str, list[bytes]] = {}
    for where, payload in payloads:
        by_topic.setdefault(where, []).append(payload)
    started = time.perf_counter()
    stations = []
    for where, lines in by_topic.items():
        command = ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-q", "1", "-M", "100"]
        process = subprocess.Popen(
            [*command, "-i", f"bench-{where.split('/')[3]}", "-t", where, "-l"], stdin=subprocess.PIPE
        )
        stations.append((process, b"\n".join(lines) + b"\n"))
    feeders = [threading.Thread(target=process.communicate, args=(data,)) for process, data in stations]
    for feeder in feeders:
        feeder.start()
    for feeder in feeders:
        feeder.join(600)
    failed = [p.returncode for p, _ in stations if p.returncode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} mosquitto_pub processes failed: {failed[:5]}")
    return started


def bare_subscriber_rate(broker: MosquittoServer, payloads: list[tuple[str, bytes]], *, plain_paho: bool) -> float:
    """Receive only (QoS 1, acknowledged by the client library as each arrives): plain paho-mqtt as it comes,
    or the project's MqttClient (paho with its own socket buffering and PUBLISH reader, the hub's receive path)."""
    received = 0
    done = threading.Event()
    last = 0.0

    def count() -> None:
        nonlocal received, last
        received += 1
        if received == len(payloads):
            last = time.perf_counter()
            done.set()

    filter_ = subscription(TopicKind.EVENT)
    if plain_paho:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-plain-paho", protocol=paho.MQTTv311)
        client.on_connect = lambda c, *_: c.subscribe(filter_, 1)
        client.on_message = lambda *_: count()
        client.connect(broker.host, broker.port)
        client.loop_start()
        time.sleep(0.5)
    else:
        subscriber = MqttClient(MqttSettings(host=broker.host, port=broker.port), "bench-bare")
        subscriber.subscribe(filter_, lambda _m: count())
        subscriber.start()
        subscriber.wait_connected(10)
        time.sleep(0.3)
    first = publish_as_stations(broker, payloads)
    done.wait(300)
    if plain_paho:
        client.disconnect()
        client.loop_stop()
    else:
        subscriber.stop()
    if received != len(payloads):
        raise RuntimeError(f"bare subscriber got {received} of {len(payloads)}")
    return received / (last - first)


class StoredCount:
    def __init__(self, influx: InfluxServer, database: str) -> None:
        self._http = httpx.Client(base_url=influx.url, timeout=10)
        self._params = {"db": database, "q": 'SELECT count("weight_g") FROM "sorting_event"'}

    def __call__(self) -> int:
        response = self._http.get("/query", params=self._params)
        response.raise_for_status()
        series = response.json()["results"][0].get("series")
        return int(series[0]["values"][0][1]) if series else 0

    def close(self) -> None:
        self._http.close()


def start_hub(
    folder: Path,
    broker: MosquittoServer | Address,
    influx: InfluxServer,
    database: str,
    settings: dict[str, Any] | None = None,
) -> HubProcess:
    """``sortcentre hub`` as a child process, returned once its API answers (the dashboard benchmark's too)."""
    hub = HubProcess(folder, broker, influx, database, settings)
    hub.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # ready when its API answers (workers started, MQTT subscribed)
        try:
            if httpx.get(f"http://127.0.0.1:{hub.http_port}/api/v1/health", timeout=1).status_code == 200:
                time.sleep(1)
                return hub
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"hub did not start; see {hub.log}")


def hub_rate(folder: Path, broker: MosquittoServer, influx: InfluxServer, payloads: list[tuple[str, bytes]]) -> float:
    database = f"bench_{uuid.uuid4().hex[:6]}"
    hub = start_hub(folder, broker, influx, database)
    count = StoredCount(influx, database)
    try:
        first = publish_as_stations(broker, payloads)
        deadline = time.monotonic() + 600
        while (stored := count()) < len(payloads) and time.monotonic() < deadline:
            # Each count scans every stored point: poll coarsely until the end is near, so the measuring
            # does not take the CPU it measures.
            time.sleep(0.5 if stored < 0.95 * len(payloads) else 0.02)
        readable = time.perf_counter()
    finally:
        hub.stop()
        count.close()
    if stored != len(payloads):
        raise RuntimeError(f"hub stored {stored} of {len(payloads)}")
    return stored / (readable - first)


def steady_latencies(folder: Path, broker: MosquittoServer, influx: InfluxServer) -> list[float]:
    total = STEADY_RATE * STEADY_SECONDS
    payloads = fleet_payloads(total, STATIONS, site="steady", spacing_s=1)
    database = f"steady_{uuid.uuid4().hex[:6]}"
    hub = start_hub(folder, broker, influx, database)
    count = StoredCount(influx, database)
    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.perf_counter(), count()))
            if samples[-1][1] >= total:
                return
            time.sleep(SAMPLE_EVERY_S)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run = publish_parallel(broker, payloads, PUBLISHERS, pace_per_s=STEADY_RATE)
        sampler.join(120)
    finally:
        stop.set()
        hub.stop()
        count.close()
    latencies = []
    position = 0
    for k, published in enumerate(run.published_at, start=1):
        while position < len(samples) and samples[position][1] < k:
            position += 1
        if position == len(samples):
            raise RuntimeError(f"only {samples[-1][1]} of {total} events became readable")
        latencies.append(samples[position][0] - published)
    return latencies


def run(folder: Path, broker: MosquittoServer, influx: InfluxServer) -> list[str]:
    payloads = fleet_payloads(EVENTS, STATIONS, site="bench", spacing_s=1)
    plain = bare_subscriber_rate(broker, payloads, plain_paho=True)
    bare = bare_subscriber_rate(broker, payloads, plain_paho=False)
    stored = hub_rate(folder / "rate", broker, influx, payloads)
    latencies = steady_latencies(folder / "steady", broker, influx)
    ms = [v * 1000 for v in latencies]
    return [
        "## Hub ingest, end to end",
        "",
        f"{EVENTS:,} events from {STATIONS} stations, QoS 1, each station a `mosquitto_pub` process of its own (100",
        "in flight) publishing as fast as the broker acknowledges. Each station's events are one second apart in",
        "station time: a backlog replayed after an outage. Timed from the first publish until the",
        "last is readable in InfluxDB (`SELECT count`). The hub is `sortcentre hub` in its own process with its",
        "default settings (2 ingest worker processes, batches of up to 5,000 or 200 ms, rollups refreshed before",
        "each acknowledgement). Everything shares the machine's cores: publishers, Mosquitto, InfluxDB and hub.",
        "The project's MQTT client is paho-mqtt with its own socket buffering (64 KiB reads) and its own reader",
        'for MQTT 3.1.1 PUBLISH packets of QoS 0 and 1 (`core/transport/packet_reader.py`, docs/mqtt.md "Client");',
        "the hub receives through it.",
        "",
        "| path | events/s | ratio to plain paho |",
        "|---|---|---|",
        f"| bare subscriber, plain paho-mqtt (receive only) | {plain:,.0f} | 1.00 |",
        f"| bare subscriber, the project's MQTT client (receive only) | {bare:,.0f} | {bare / plain:.2f} |",
        f"| hub: validate, batch, write, rollups, then PUBACK | {stored:,.0f} | {stored / plain:.2f} |",
        "",
        f"Publish-to-readable latency at a steady {STEADY_RATE:,} events/s ({STEADY_SECONDS} s, {len(ms):,} events",
        f"from {STATIONS} stations, paced by {PUBLISHERS} paho publisher processes that time-stamp every publish,",
        f"readability sampled every {SAMPLE_EVERY_S * 1000:.0f} ms): p50 {percentile(ms, 50):.0f} ms,",
        f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms.",
        "",
    ]
