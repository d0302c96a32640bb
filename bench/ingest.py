"""End-to-end ingest rate: events published to Mosquitto until readable in InfluxDB, beside the rate at
which a bare paho subscriber receives the same stream in the same run (the broker's own ceiling here)."""

from __future__ import annotations

import threading
import time
import uuid

import httpx

from hub.ingest.pipeline import IngestSettings
from hub.service import Hub
from hub.settings import HubSettings
from hub.storage.influx_v1 import InfluxSettings
from sortcentre.infra import InfluxServer, MosquittoServer
from sortcentre.mqtt import InboundMessage, MqttClient, MqttSettings
from sortcentre.wire import TopicKind, subscription
from tests.integration.fleet import fleet_payloads, publish_all

EVENTS = 20_000
STATIONS = 10


def bare_subscriber_rate(broker: MosquittoServer, payloads: list[tuple[str, bytes]]) -> float:
    received = 0
    done = threading.Event()

    def on_message(_m: InboundMessage) -> None:
        nonlocal received
        received += 1
        if received == len(payloads):
            done.set()

    subscriber = MqttClient(MqttSettings(host=broker.host, port=broker.port), "bench-bare")
    subscriber.subscribe(subscription(TopicKind.EVENT), on_message)
    subscriber.start()
    subscriber.wait_connected(10)
    time.sleep(0.3)
    started = publish_all(broker, payloads)
    done.wait(120)
    elapsed = time.perf_counter() - started
    subscriber.stop()
    return received / elapsed


def hub_rate(broker: MosquittoServer, influx: InfluxServer, payloads: list[tuple[str, bytes]]) -> float:
    database = f"bench_{uuid.uuid4().hex[:6]}"
    hub = Hub(
        HubSettings(
            client_id=f"bench-hub-{uuid.uuid4().hex[:6]}",
            mqtt=MqttSettings(host=broker.host, port=broker.port),
            influx=InfluxSettings(url=influx.url, database=database),
            ingest=IngestSettings(),
        )
    )
    hub.start()
    hub._ingest_mqtt.wait_connected(10)
    time.sleep(0.3)
    started = publish_all(broker, payloads)
    deadline = time.monotonic() + 300
    stored = 0
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{influx.url}/query", params={"db": database, "q": 'SELECT count("weight_g") FROM "sorting_event"'}
        )
        series = response.json()["results"][0].get("series")
        stored = series[0]["values"][0][1] if series else 0
        if stored >= len(payloads):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    hub.stop()
    if stored != len(payloads):
        raise RuntimeError(f"hub stored {stored} of {len(payloads)}")
    return stored / elapsed


def run(broker: MosquittoServer, influx: InfluxServer) -> list[str]:
    payloads = fleet_payloads(EVENTS, STATIONS, site="bench")
    bare = bare_subscriber_rate(broker, payloads)
    stored = hub_rate(broker, influx, payloads)
    return [
        "## Hub ingest, end to end",
        "",
        f"{EVENTS:,} events from {STATIONS} stations, QoS 1, published as fast as the broker acknowledges",
        "(1,000 in flight); timed from the first publish until the last is readable in InfluxDB, counted with",
        "`SELECT count(...)`.",
        "",
        "| path | events/s | ratio |",
        "|---|---|---|",
        f"| bare paho subscriber (receive only, same run) | {bare:,.0f} | 1.00 |",
        f"| hub: validate, batch, write to InfluxDB, then PUBACK | {stored:,.0f} | {stored / bare:.2f} |",
        "",
    ]
