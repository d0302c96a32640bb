"""Drive the system as a fleet of stations and a hub process would (for the tests and the benchmarks): sorting
events as a station makes them, published from several processes, and ``sortcentre hub`` as a child process to
kill and restart."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import tomli_w

from core.contract import EventType, SortingEvent, Suggestion, TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from local_servers import InfluxServer, MosquittoServer, free_port


def make_event(
    seq: int,
    *,
    station: str = "zwolle-plastic-1",
    site: str = "zwolle",
    stream: str = "plastic",
    category: str = "pp",
    weight_kg: float = 0.25,
    when: datetime | None = None,
    boot_id: uuid.UUID | None = None,
    suggestion: Suggestion | None = None,
    accepted: bool | None = None,
    undoes: uuid.UUID | None = None,
) -> SortingEvent:
    """One sorting event as a station makes it, with a plausible value for every field not given."""
    return SortingEvent(
        type=EventType.UNDO if undoes else EventType.SORTED,
        event_id=uuid.uuid4(),
        site=site,
        station=station,
        stream=stream,
        category=category,
        weight_kg=weight_kg,
        suggestion=suggestion,
        accepted=accepted,
        seq=seq,
        boot_id=boot_id or uuid.UUID(int=1),
        station_time=when or datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1),
        undoes=undoes,
    )


def fleet_payloads(count: int, stations: int, site: str = "fleet", spacing_s: float = 0) -> list[tuple[str, bytes]]:
    """``count`` events spread round-robin over ``stations`` stations, each station's in sequence order.

    ``spacing_s`` > 0: each station's events are that far apart in station time, ending now, as a backlog
    replayed after an outage would be (a sorter weighs at most about one item a second); 0: all events
    carry (about) the current time."""
    out = []
    per_station = -(-count // stations)
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=spacing_s * per_station)
    for i in range(count):
        station = f"{site}-station-{i % stations}"
        seq = i // stations + 1
        when = first + timedelta(seconds=spacing_s * seq) if spacing_s else None
        event = make_event(seq, station=station, site=site, when=when)
        out.append((topic(site, station, TopicKind.EVENT), event.to_json()))
    return out


class Address(NamedTuple):
    host: str
    port: int


def publish_all(
    broker: MosquittoServer | Address,
    payloads: list[tuple[str, bytes]],
    in_flight: int = 1000,
    pace_per_s: float = 0,
    stamps: list[float] | None = None,
) -> float:
    """Publish with QoS 1, at most ``in_flight`` unacknowledged; returns perf_counter() at the first publish.
    Returns once the broker acknowledged every message. ``pace_per_s`` > 0 spaces the publishes evenly.
    ``stamps`` gets the perf_counter() of each publish."""
    publisher = MqttClient(
        MqttSettings(host=broker.host, port=broker.port), f"fleet-{uuid.uuid4().hex[:6]}", max_inflight=in_flight
    )
    acked = threading.Semaphore(0)
    publisher.add_published_listener(lambda _mid: acked.release())
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
        if stamps is not None:
            stamps.append(time.perf_counter())
        if i >= in_flight:
            acked.acquire()
    for _ in range(min(in_flight, len(payloads))):
        acked.acquire()
    publisher.stop()
    return started


class HubProcess:
    """`sortcentre hub` as its own process, to be killed and restarted like the real thing. ``settings``: more of
    the hub's TOML (tables are merged into the defaults here, key by key)."""

    def __init__(
        self,
        folder: Path,
        broker: MosquittoServer | Address,
        influx: InfluxServer,
        database: str,
        settings: dict[str, Any] | None = None,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.http_port = free_port()
        self.client_id = f"hub-{uuid.uuid4().hex[:8]}"
        self.config = folder / "hub.toml"
        config: dict[str, Any] = {
            "http_port": self.http_port,
            "client_id": self.client_id,
            "mqtt": {"host": broker.host, "port": broker.port},
            "influx": {"url": influx.url, "database": database},
            "auth": {"users_file": str(folder / "users.sqlite")},
            "remote_config": {"config_file": str(folder / "configs.sqlite")},
        }
        for key, value in (settings or {}).items():
            config[key] = config[key] | value if isinstance(value, dict) and key in config else value
        self.config.write_text(tomli_w.dumps(config))
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


@dataclass(frozen=True, slots=True)
class PublishRun:
    first: float  # perf_counter() of the first publish (CLOCK_MONOTONIC: comparable across processes)
    last_acked: float  # when the broker had acknowledged the last message
    published_at: list[float]  # every publish, in time order


def _publish_share(args: tuple[str, int, list[tuple[str, bytes]], float]) -> list[float]:
    host, port, payloads, pace_per_s = args
    stamps: list[float] = []
    publish_all(Address(host, port), payloads, pace_per_s=pace_per_s, stamps=stamps)
    stamps.append(time.perf_counter())  # the last entry: all acknowledged
    return stamps


def publish_parallel(
    broker: MosquittoServer, payloads: list[tuple[str, bytes]], processes: int = 4, pace_per_s: float = 0
) -> PublishRun:
    """Publish from ``processes`` processes, as a fleet does: each process takes whole stations (so each
    station's events leave in sequence order). ``pace_per_s`` is the total rate, 0 for as fast as acked."""
    shares: dict[int, list[tuple[str, bytes]]] = {i: [] for i in range(processes)}
    owner: dict[str, int] = {}
    for where, payload in payloads:
        shares[owner.setdefault(where, len(owner) % processes)].append((where, payload))
    context = multiprocessing.get_context("spawn")
    jobs = [(broker.host, broker.port, share, pace_per_s / processes) for share in shares.values() if share]
    with context.Pool(len(jobs)) as pool:
        results = pool.map(_publish_share, jobs)
    published = sorted(t for stamps in results for t in stamps[:-1])
    return PublishRun(published[0], max(stamps[-1] for stamps in results), published)
