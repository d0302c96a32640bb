"""Helpers that drive the system as a fleet of stations and a hub process would (for tests and benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import tomli_w

from sortcentre.infra import InfluxServer, MosquittoServer, free_port
from sortcentre.mqtt import MqttClient, MqttSettings
from sortcentre.wire import TopicKind, topic
from tests.conftest import make_event


def fleet_payloads(count: int, stations: int, site: str = "fleet") -> list[tuple[str, bytes]]:
    """``count`` events spread round-robin over ``stations`` stations, each station's in sequence order."""
    out = []
    for i in range(count):
        station = f"{site}-station-{i % stations}"
        event = make_event(i // stations + 1, station=station, site=site)
        out.append((topic(site, station, TopicKind.EVENT), event.to_json()))
    return out


def publish_all(
    broker: MosquittoServer, payloads: list[tuple[str, bytes]], in_flight: int = 1000, pace_per_s: float = 0
) -> float:
    """Publish with QoS 1, at most ``in_flight`` unacknowledged; returns perf_counter() at the first publish.
    Returns once the broker acknowledged every message. ``pace_per_s`` > 0 spaces the publishes evenly."""
    publisher = MqttClient(
        MqttSettings(host=broker.host, port=broker.port), f"fleet-{uuid.uuid4().hex[:6]}", max_inflight=in_flight
    )
    acked = threading.Semaphore(0)
    publisher.on_published = lambda _mid: acked.release()
    publisher.start()
    publisher.wait_connected(10)
    started = time.perf_counter()
    for i, (where, payload) in enumerate(payloads):
        if pace_per_s:
            delay = started + i / pace_per_s - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        while publisher.publish(where, payload, qos=1) is None:
            time.sleep(0.001)
        if i >= in_flight:
            acked.acquire()
    for _ in range(min(in_flight, len(payloads))):
        acked.acquire()
    publisher.stop()
    return started


class HubProcess:
    """`sortcentre hub` as its own process, to be killed and restarted like the real thing."""

    def __init__(self, folder: Path, broker: MosquittoServer, influx: InfluxServer, database: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.http_port = free_port()
        self.client_id = f"hub-{uuid.uuid4().hex[:8]}"
        self.config = folder / "hub.toml"
        self.config.write_text(
            tomli_w.dumps(
                {
                    "http_port": self.http_port,
                    "client_id": self.client_id,
                    "mqtt": {"host": broker.host, "port": broker.port},
                    "influx": {"url": influx.url, "database": database},
                }
            )
        )
        self.log = folder / "hub.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sortcentre", "hub", "--config", str(self.config)],
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
