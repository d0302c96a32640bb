"""Starts the broker (Mosquitto, or with ``--broker nats`` three NATS nodes), InfluxDB, the hub (two on NATS), and
per station a hardware rig (sim) plus the station agent.

Everything lives under ``var/``: broker persistence (the NATS nodes' JetStream stores), InfluxDB files, station
journals, generated configs and one log file per child. A second run finds the earlier data there. Ctrl-C (or
``--duration``) stops the children in dependency order: sorters first, then stations (which drain their
journals), then the hubs once they have stored every event the stations report as sent, then InfluxDB and the
broker.

The jobs are modules of their own: configs.py (the files under var/), accounts.py (broker accounts and
dashboard users), servers.py (the broker and InfluxDB), children.py (the child processes) and status.py (the
live table); this one ties them together in that order.
"""

from __future__ import annotations

import shlex
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from config.ingest import JetStreamSettings
from local_servers import ServerError
from local_servers.process import log_tail
from sortcentre.demo.accounts import demo_logins
from sortcentre.demo.children import Child, Children
from sortcentre.demo.configs import (
    DEMO_ACK_WAIT_S,
    HubFile,
    StationFile,
    configs_dir,
    ports_file,
    write_hub_configs,
    write_station_configs,
)
from sortcentre.demo.ports import DemoPorts
from sortcentre.demo.servers import BrokerKind, NatsBroker, make_servers, start_servers, taken_ports
from sortcentre.demo.status import Status, console

REPORT_EVERY_S = 10.0
# How long the hub may take to answer its health check, and the stopped stations' events to reach InfluxDB.
HUB_START_S = 60.0
DRAIN_S = 30.0
# On NATS: a node that stopped (someone tried `kill`) is started again this long after, so the stations on it
# can be seen to wait with their journals and then catch up.
NODE_RESTART_S = 20.0


@dataclass
class DemoSettings:
    var: Path
    http_port: int = 8080
    mqtt_port: int | None = None
    influx_port: int | None = None
    duration_s: float = 0.0
    log_level: str = "info"
    learning: bool = False  # capture consent on, cameras showing each item's category (docs/demo.md)
    broker: BrokerKind = "mosquitto"  # or "nats": three NATS nodes and two hubs (docs/demo.md, "On NATS")


class Demo:
    def __init__(self, settings: DemoSettings) -> None:
        self.s = settings
        self.var = settings.var
        # The broker's, InfluxDB's and the kiosks' ports of the last run, where they are free (ports.py).
        self.ports = DemoPorts(ports_file(self.var))
        self.broker, self.influx = make_servers(
            self.var, settings.broker, self.ports, settings.mqtt_port, settings.influx_port
        )
        self.nats = self.broker if isinstance(self.broker, NatsBroker) else None
        # On NATS a second hub, on the next port, shares the work (docs/demo.md).
        self.hub_ports = [settings.http_port] + ([settings.http_port + 1] if self.nats else [])
        self.hub_urls = [f"http://127.0.0.1:{port}" for port in self.hub_ports]
        self.hub_url = self.hub_urls[0]
        self.logins = demo_logins(self.var)
        self.children = Children(self.var / "logs", settings.log_level)
        # The demo reads its own hub's API for the counts it prints, logged in as the admin.
        self.status = Status(
            self.hub_urls,
            self.influx,
            configs_dir(self.var) / "summary.json",
            broker=self.broker,
            durable=JetStreamSettings().durable,
        )
        self._stop = threading.Event()
        self._hubs: dict[str, HubFile] = {}
        self._gone: set[str] = set()  # hubs whose exit was reported (on NATS the other one goes on)
        self._down: dict[str, float] = {}  # NATS nodes found stopped, and when
        self._given_up: set[str] = set()  # NATS nodes that did not start again
        self._files: list[StationFile] = []

    def run(self) -> int:
        self.var.mkdir(parents=True, exist_ok=True)
        taken = taken_ports(self.hub_ports, self.broker, self.influx)
        for message in taken:
            console.print(message)
        if taken:
            return 2
        problem = start_servers(self.broker, self.influx)
        if problem is not None:
            console.print(f"[red]{problem}[/]")
            return 2
        signal.signal(signal.SIGINT, lambda *_: self._stop.set())
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        try:
            return self._run_children()
        finally:
            self.status.close()
            self.children.terminate_all()
            self.influx.stop()
            self.broker.stop()

    def _start_hubs(self) -> dict[str, tuple[Child, int]]:
        """Each hub as a child, with where this run's part of its log begins."""
        hubs = write_hub_configs(
            self.var, self.s.http_port, self.broker.mqtt_ports, self.influx, self.broker.jetstream_servers
        )
        started = {}
        for hub in hubs:
            log = self.var / "logs" / f"{hub.name}.log"
            log_start = log.stat().st_size if log.exists() else 0
            started[hub.name] = (self.children.spawn(hub.name, "hub", "--config", str(hub.path)), log_start)
            self._hubs[hub.name] = hub
        return started

    def _wait_for_hubs(self, started: dict[str, tuple[Child, int]]) -> bool:
        for name, (child, log_start) in started.items():
            problem = self.status.wait_for_hub(child, self._hubs[name].url, HUB_START_S, self._stop)
            if problem is not None:
                console.print(f"[red]{name} did not come up: {problem}[/]\nsee {child.log}; its last lines:")
                console.print(log_tail(child.log, log_start), markup=False, highlight=False)
                return False
        return True

    def _run_children(self) -> int:
        started = self._start_hubs()
        if self.nats is not None:
            # The stations start once the hubs' shared consumer exists: NATS drops what no consumer wants.
            if not self._wait_for_hubs(started):
                return 1
            if not self.status.wait_for_consumer(HUB_START_S, self._stop):
                console.print(
                    f"[red]no hub made the JetStream consumer {self.status.durable} on $MQTT_msgs within "
                    f"{HUB_START_S:.0f} s: the stations' events would be acknowledged and dropped; see "
                    f"{self.var / 'logs'}/hub-*.log[/]"
                )
                return 1
        files = write_station_configs(self.var, self.broker.mqtt_ports, self.s.learning, self.ports)
        self._files = files
        self.ports.save()
        learning = ["--learning"] if self.s.learning else []
        for file in files:
            self.children.spawn(f"sim-{file.station}", "sim", "--config", str(file.path), *learning)
            self.children.spawn(f"station-{file.station}", "station", "--config", str(file.path))
        stations = [file.station for file in files]
        if self.nats is None and not self._wait_for_hubs(started):
            return 1
        if not self.status.log_in(self.logins[0]):
            console.print(f"[red]the demo could not log in to its hub; see {started[next(iter(started))][0].log}[/]")
            return 1
        self._welcome([f"{file.station}: {file.kiosk}" for file in files], [child for child, _ in started.values()])
        begun = time.monotonic()
        next_report = begun + REPORT_EVERY_S
        while not self._stop.wait(0.5):
            if not self._children_alive():
                return 1
            self._watch_nodes()
            if self.s.duration_s and time.monotonic() - begun >= self.s.duration_s:
                break
            if time.monotonic() >= next_report:
                self.status.report(stations, final=False)
                next_report += REPORT_EVERY_S
        return self._finish(stations)

    def _children_alive(self) -> bool:
        """False when a child the demo cannot go on without has exited. On NATS one hub may stop (someone tried
        `kill`): the other one gets the events it had not acknowledged, and the demo reads the other one."""
        for child in self.children.exited():
            if child.name in self._gone:
                continue
            others = [name for name in self._hubs if name != child.name and name not in self._gone]
            if self.nats is not None and child.name in self._hubs and others:
                self._gone.add(child.name)
                self.status.hub_lost(self._hubs[child.name].url)
                console.print(
                    f"[yellow]{child.name} exited ({child.proc.returncode}); {', '.join(others)} goes on: NATS hands "
                    f"it the events {child.name} had not acknowledged after {DEMO_ACK_WAIT_S:.0f} s. See {child.log}[/]"
                )
                continue
            console.print(f"[red]{child.name} exited ({child.proc.returncode}); see {child.log}[/]")
            return False
        return True

    def _watch_nodes(self) -> None:
        """On NATS: say when a node stopped, and start it again after NODE_RESTART_S."""
        if self.nats is None:
            return
        for node in self.nats.nodes:
            name = node.server_name
            if node.running or name in self._given_up:
                continue
            since = self._down.get(name)
            if since is None:
                self._down[name] = time.monotonic()
                on_it = [f.station for f in self._files if f.mqtt_port == node.mqtt_port]
                console.print(
                    f"[yellow]NATS node {name} stopped: the other two keep the streams (a quorum) and their stations "
                    f"go on; the stations on {name} ({', '.join(on_it) or 'none'}) keep their events in their "
                    f"journals; starting {name} again in {NODE_RESTART_S:.0f} s[/]"
                )
            elif time.monotonic() - since >= NODE_RESTART_S:
                del self._down[name]
                try:
                    node.start()
                except ServerError as exc:
                    self._given_up.add(name)
                    console.print(f"[red]NATS node {name} did not start again: {exc}[/]")
                else:
                    console.print(f"NATS node {name} started again (pid {node.pid})")

    def _welcome(self, kiosks: list[str], hubs: list[Child]) -> None:
        admin = self.logins[0]
        on = " on NATS" if self.nats else ""
        also = f" (hub-1; hub-2: {self.hub_urls[1]}/)" if self.nats else ""
        console.print(f"\n[bold]Sortcentre demo running{on}.[/] Dashboard: [bold cyan]{self.hub_url}/[/]{also}")
        console.print(f"  log in as [bold]{admin.username}[/] with password [bold]{admin.password}[/]")
        console.print(
            f"  supervisors, one per site ({', '.join(login.username for login in self.logins[1:])}): "
            f"passwords in {self.var / 'hub' / 'secrets'}/"
        )
        console.print(
            f"  API: {self.hub_url}/api/v1/throughput   {self.broker.describe()}   "
            f"InfluxDB: {self.influx.url}   logs: {self.var / 'logs'}"
        )
        console.print(f"  sorters' screens: {'   '.join(kiosks)}")
        console.print(f"  count stored events: {shlex.join(self.status.influx_cli())}")
        if self.nats is not None:
            console.print("  hubs: " + "   ".join(f"{h.name} pid {h.proc.pid} {self._hubs[h.name].url}/" for h in hubs))
            console.print(
                "  try: kill one NATS node's pid (shown under each table) or one hub's pid; the demo goes on "
                '(docs/demo.md, "On NATS")'
            )
        console.print("  Ctrl-C stops everything; the data stays in var/ for the next run.\n")

    def _finish(self, stations: list[str]) -> int:
        console.print(
            "stopping: stations (each drains its journal), simulated hardware, then the hub"
            + ("s" if self.nats else "")
        )
        self.children.terminate([f"station-{s}" for s in stations])
        self.children.terminate([f"sim-{s}" for s in stations])
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline and not self.status.all_stored(stations):
            time.sleep(0.5)
        ok = self.status.report(stations, final=True)
        self.children.terminate(list(self._hubs))
        return 0 if ok else 1
