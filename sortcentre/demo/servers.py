"""The demo's servers: a broker with the demo's accounts (Mosquitto, or a three-node NATS cluster with
``--broker nats``) and InfluxDB, all under var/, started only when every port the demo will listen on is free."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from hub.broker_accounts import HUB_LIVE_USER
from hub.ingest.jetstream import MQTT_STREAM
from local_servers import InfluxServer, MosquittoServer, NatsCluster, ServerError
from local_servers.mosquitto import describe_connack, mqtt_connack
from local_servers.nats import NatsNode
from local_servers.process import port_free
from sortcentre.demo.accounts import demo_accounts
from sortcentre.demo.ports import DemoPorts

BrokerKind = Literal["mosquitto", "nats"]

# (the command-line option that sets the port, or None; what listens there; the port)
PortNeed = tuple[str | None, str, int]

NATS_NODES = 3  # the smallest cluster whose streams keep a quorum with one node down
# How long after the cluster is healthy an MQTT login may still be refused (docs/broker.md: NATS's MQTT streams
# are being made, or move their leaders, for some seconds).
FIRST_LOGIN_S = 30.0


class MosquittoBroker:
    """One Mosquitto with the demo's accounts (var/mosquitto/)."""

    kind: BrokerKind = "mosquitto"

    def __init__(self, var: Path, port: int) -> None:
        self.server = MosquittoServer(var / "mosquitto", port, accounts=demo_accounts(var))

    @property
    def mqtt_ports(self) -> list[int]:
        return [self.server.port]

    @property
    def jetstream_servers(self) -> list[str] | None:
        return None

    def needs(self) -> list[PortNeed]:
        return [("--mqtt-port", "Mosquitto", self.server.port)]

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def describe(self) -> str:
        return f"broker: 127.0.0.1:{self.server.port}"


class NatsBroker:
    """Three NATS nodes of one cluster (var/nats/n1..n3, each with its JetStream store), with the demo's accounts
    as NATS users (permissions mirroring Mosquitto's ACL: local_servers/nats.py); their ports are kept between runs
    in var/demo/ports.json like the others (``nats-n1-mqtt``, ...)."""

    kind: BrokerKind = "nats"

    def __init__(self, var: Path, ports: DemoPorts) -> None:
        self.accounts = demo_accounts(var)
        self.cluster = NatsCluster(
            var / "nats",
            NATS_NODES,
            accounts=self.accounts,
            port_for=lambda node, kind: ports.pick(f"nats-{node}-{kind}"),
        )

    @property
    def nodes(self) -> list[NatsNode]:
        return self.cluster.nodes

    @property
    def mqtt_ports(self) -> list[int]:
        return self.cluster.mqtt_ports

    @property
    def jetstream_servers(self) -> list[str] | None:
        return self.cluster.urls

    def needs(self) -> list[PortNeed]:
        wanted: list[PortNeed] = []
        for node in self.nodes:
            kinds = [("NATS", node.port), ("MQTT", node.mqtt_port), ("monitoring", node.http_port)]
            kinds += [("cluster route", node.route_port)] if node.route_port else []
            wanted += [(None, f"NATS node {node.server_name}'s {kind} port", port) for kind, port in kinds]
        return wanted

    def start(self) -> None:
        self.cluster.start()
        self._first_mqtt_login()

    def _first_mqtt_login(self) -> None:
        """NATS makes its stream ``$MQTT_msgs`` at the account's first MQTT login, and the hubs' shared consumer
        can only be made on it once it exists (docs/broker.md): one login with the hub's live account, before
        the hubs start, saves them a retry."""
        node = self.nodes[0]
        password = self.accounts.passwords[HUB_LIVE_USER]
        deadline = time.monotonic() + FIRST_LOGIN_S
        answer: int | str = "not tried"
        while time.monotonic() < deadline:
            answer = mqtt_connack(node.host, node.mqtt_port, HUB_LIVE_USER, password, timeout=5)
            if answer == 0:
                return
            time.sleep(0.5)
        self.cluster.stop()
        raise ServerError(
            f"NATS refused the hub's first MQTT login for {FIRST_LOGIN_S:.0f} s: {describe_connack(answer)}"
        )

    def stop(self) -> None:
        self.cluster.stop()

    def describe(self) -> str:
        return "NATS nodes: " + "   ".join(
            f"{node.server_name} {node.url} (MQTT 127.0.0.1:{node.mqtt_port})" for node in self.nodes
        )

    def consumer(self, durable: str) -> dict[str, Any] | None:
        """The hubs' shared consumer on ``$MQTT_msgs`` as the node that leads it reports it: the other replicas'
        figures lag (seen: a follower reporting 0 delivered while the leader had delivered 19). None before a hub
        made it, and while no node leads it (a node stopped, a new leader being chosen)."""
        for node in self.nodes:
            found = node.consumer(MQTT_STREAM, durable) if node.running else None
            if found is not None and (found.get("cluster") or {}).get("leader") == node.server_name:
                return found
        return None

    def has_consumer(self, durable: str) -> bool:
        """Whether any node knows the consumer (a hub made it)."""
        return any(node.running and node.consumer(MQTT_STREAM, durable) is not None for node in self.nodes)


DemoBroker = MosquittoBroker | NatsBroker


def make_servers(
    var: Path, broker: BrokerKind, ports: DemoPorts, mqtt_port: int | None, influx_port: int | None
) -> tuple[DemoBroker, InfluxServer]:
    """Not started yet; a port None takes the last run's, or a free one (ports.py)."""
    chosen: DemoBroker = (
        NatsBroker(var, ports) if broker == "nats" else MosquittoBroker(var, ports.pick("mqtt", mqtt_port))
    )
    return chosen, InfluxServer(var / "influxdb", ports.pick("influx", influx_port))


def taken_ports(hubs: list[int], broker: DemoBroker, influx: InfluxServer) -> list[str]:
    """What to tell the user about each port the demo needs that another process holds, checked before anything
    starts: a server that cannot listen exits, or the stations end up talking to whatever holds the port.
    ``hubs``: the hubs' web ports (the second hub, with NATS, on the port after ``--http-port``)."""
    names = ["the hub's web page", "the second hub's web page"]
    wanted: list[PortNeed] = [("--http-port", names[min(i, 1)], port) for i, port in enumerate(hubs)]
    wanted += [*broker.needs(), ("--influx-port", "InfluxDB", influx.port)]
    return [
        f"[red]port {port} (for {what}) is taken by another process[/]: stop that process"
        + ("" if option is None else f", or pass {option} with another port")
        + ("" if option in (None, "--http-port") else " (0: a free one)")
        for option, what, port in wanted
        if not port_free("127.0.0.1", port)
    ]


def start_servers(broker: DemoBroker, influx: InfluxServer) -> str | None:
    """None once both run; else why not (and the broker is stopped again)."""
    try:
        broker.start()
        influx.start()
    except ServerError as exc:
        broker.stop()
        return str(exc)
    return None
