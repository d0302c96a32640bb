"""End-to-end ingest through NATS (issue 18), beside Mosquitto in the same run: the same events, the same station
publishers (one `mosquitto_pub` a station, QoS 1), the same `sortcentre hub` processes.

* Mosquitto, one hub (MQTT subscription);
* a three-node NATS cluster on this machine (``$MQTT_msgs`` on three replicas: the configuration for no loss,
  docs/broker.md), one hub pulling from the JetStream consumer, then two hubs sharing it.

Each figure: first publish until the last event is readable in InfluxDB. Also the CPU seconds per 1,000 events of
the hubs and of the broker processes (user + system time from /proc), the inputs of docs/capacity.md.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ingest import StoredCount, publish_as_stations, start_hub
from bench.processes import cpu_seconds, tree_cpu_seconds
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import Address, HubProcess, fleet_payloads
from local_servers.nats import NatsCluster

EVENTS = int(os.environ.get("SORTCENTRE_BENCH_NATS_EVENTS", "60000"))
STATIONS = 50


@dataclass(frozen=True)
class Run:
    name: str
    rate: float  # events/s, first publish to last readable
    hub_cpu_ms: float  # hub CPU per 1,000 events, all hubs together
    broker_cpu_ms: float  # broker CPU per 1,000 events, all nodes together


def measure(
    name: str,
    folder: Path,
    endpoints: list[Address],
    broker_pids: list[int],
    influx: InfluxServer,
    payloads: list[tuple[str, bytes]],
    settings: dict[str, Any] | None,
    hubs: int,
) -> Run:
    database = f"bench_{uuid.uuid4().hex[:6]}"
    started: list[HubProcess] = []
    count = StoredCount(influx, database)
    try:
        for i in range(hubs):
            started.append(start_hub(folder / f"hub-{i}", endpoints[i % len(endpoints)], influx, database, settings))
        hub_pids = [hub.proc.pid for hub in started if hub.proc is not None]
        hub_cpu = [tree_cpu_seconds(pid) for pid in hub_pids]
        broker_cpu = [cpu_seconds(pid) for pid in broker_pids]
        first = publish_as_stations(endpoints[0], payloads)
        deadline = time.monotonic() + 900
        while (stored := count()) < len(payloads) and time.monotonic() < deadline:
            time.sleep(0.5 if stored < 0.95 * len(payloads) else 0.02)
        readable = time.perf_counter()
        hub_used = sum(tree_cpu_seconds(pid) for pid in hub_pids) - sum(hub_cpu)
        broker_used = sum(cpu_seconds(pid) for pid in broker_pids) - sum(broker_cpu)
    finally:
        for hub in started:
            hub.stop()
        count.close()
    if stored != len(payloads):
        raise RuntimeError(f"{name}: stored {stored} of {len(payloads)}")
    per_thousand = 1000 / len(payloads)
    return Run(name, stored / (readable - first), hub_used * per_thousand * 1000, broker_used * per_thousand * 1000)


def run(folder: Path, influx: InfluxServer) -> list[str]:
    payloads = fleet_payloads(EVENTS, STATIONS, site="natsbench", spacing_s=1)
    runs: list[Run] = []
    with MosquittoServer(folder / "mosquitto") as broker:
        runs.append(
            measure(
                "Mosquitto, 1 hub (MQTT subscription)",
                folder / "mosquitto-hub",
                [Address(broker.host, broker.port)],
                [pid for pid in (broker.pid,) if pid is not None],
                influx,
                payloads,
                None,
                1,
            )
        )
    for hubs in (1, 2):
        with NatsCluster(folder / f"nats-{hubs}") as cluster:
            endpoints = [Address(node.host, node.mqtt_port) for node in cluster]
            settings = {"ingest": {"source": "jetstream", "jetstream": {"servers": cluster.urls}}}
            runs.append(
                measure(
                    f"NATS, 3 nodes (R3), {hubs} hub{'s' if hubs > 1 else ''} (JetStream consumer)",
                    folder / f"nats-{hubs}-hubs",
                    endpoints,
                    [node.pid for node in cluster if node.pid is not None],
                    influx,
                    payloads,
                    settings,
                    hubs,
                )
            )
    base = runs[0].rate
    return [
        "## Hub ingest through NATS",
        "",
        f"{EVENTS:,} events from {STATIONS} stations, QoS 1, each station a `mosquitto_pub` process of its own (100 in",
        "flight), as in the section above; timed from the first publish until the last is readable in InfluxDB.",
        "Mosquitto: one broker, one `sortcentre hub`. NATS: three nats-server nodes on this machine with",
        "`$MQTT_msgs` on three replicas (a PUBACK means stored on two of three; docs/broker.md), the stations all",
        'on the first node, each hub pulling from the one durable consumer (`ingest.source = "jetstream"`).',
        "Every process shares the machine's two cores: publishers, brokers, InfluxDB and hubs, so a second hub",
        "here shows the cost of sharing the consumer, not the gain of a second machine. CPU: user + system time",
        "from /proc over the run, per 1,000 events (hubs with their worker processes; broker: all its nodes).",
        "",
        "| path | events/s | ratio to Mosquitto | hub CPU ms / 1,000 events | broker CPU ms / 1,000 events |",
        "|---|---|---|---|---|",
        *(
            f"| {r.name} | {r.rate:,.0f} | {r.rate / base:.2f} | {r.hub_cpu_ms:,.0f} | {r.broker_cpu_ms:,.0f} |"
            for r in runs
        ),
        "",
    ]
