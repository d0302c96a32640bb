"""Starts Mosquitto, InfluxDB, the hub, and per station a hardware rig (sim) plus the station agent.

Everything lives under ``var/``: broker persistence, InfluxDB files, station journals, generated configs and
one log file per child. A second run finds the earlier data there. Ctrl-C (or ``--duration``) stops the
children in dependency order: sorters first, then stations (which drain their journals), then the hub once
it has stored every event the stations report as sent, then InfluxDB and Mosquitto.

The jobs are modules of their own: configs.py (the files under var/), accounts.py (broker accounts and
dashboard users), servers.py (Mosquitto and InfluxDB), children.py (the child processes) and status.py (the
live table); this one ties them together in that order.
"""

from __future__ import annotations

import shlex
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from local_servers.process import log_tail
from sortcentre.demo.accounts import demo_logins
from sortcentre.demo.children import Children
from sortcentre.demo.configs import configs_dir, ports_file, write_hub_config, write_station_configs
from sortcentre.demo.ports import DemoPorts
from sortcentre.demo.servers import make_servers, start_servers, taken_ports
from sortcentre.demo.status import Status, console

REPORT_EVERY_S = 10.0
# How long the hub may take to answer its health check, and the stopped stations' events to reach InfluxDB.
HUB_START_S = 60.0
DRAIN_S = 30.0


@dataclass
class DemoSettings:
    var: Path
    http_port: int = 8080
    mqtt_port: int | None = None
    influx_port: int | None = None
    duration_s: float = 0.0
    log_level: str = "info"
    learning: bool = False  # capture consent on, cameras showing each item's category (docs/demo.md)


class Demo:
    def __init__(self, settings: DemoSettings) -> None:
        self.s = settings
        self.var = settings.var
        # The broker's, InfluxDB's and the kiosks' ports of the last run, where they are free (ports.py).
        self.ports = DemoPorts(ports_file(self.var))
        self.mosquitto, self.influx = make_servers(
            self.var, self.ports.pick("mqtt", settings.mqtt_port), self.ports.pick("influx", settings.influx_port)
        )
        self.hub_url = f"http://127.0.0.1:{settings.http_port}"
        self.logins = demo_logins(self.var)
        self.children = Children(self.var / "logs", settings.log_level)
        # The demo reads its own hub's API for the counts it prints, logged in as the admin.
        self.status = Status(self.hub_url, self.influx, configs_dir(self.var) / "summary.json")
        self._stop = threading.Event()

    def run(self) -> int:
        self.var.mkdir(parents=True, exist_ok=True)
        taken = taken_ports(self.s.http_port, self.mosquitto, self.influx)
        for message in taken:
            console.print(message)
        if taken:
            return 2
        problem = start_servers(self.mosquitto, self.influx)
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
            self.mosquitto.stop()

    def _run_children(self) -> int:
        hub_config = write_hub_config(self.var, self.s.http_port, self.mosquitto.port, self.influx)
        hub_log = self.var / "logs" / "hub.log"
        hub_log_start = hub_log.stat().st_size if hub_log.exists() else 0
        hub = self.children.spawn("hub", "hub", "--config", str(hub_config))
        files = write_station_configs(self.var, self.mosquitto.port, self.s.learning, self.ports)
        self.ports.save()
        learning = ["--learning"] if self.s.learning else []
        for file in files:
            self.children.spawn(f"sim-{file.station}", "sim", "--config", str(file.path), *learning)
            self.children.spawn(f"station-{file.station}", "station", "--config", str(file.path))
        stations = [file.station for file in files]
        problem = self.status.wait_for_hub(hub, HUB_START_S, self._stop)
        if problem is not None:
            console.print(f"[red]the hub did not come up: {problem}[/]\nsee {hub.log}; its last lines:")
            console.print(log_tail(hub.log, hub_log_start), markup=False, highlight=False)
            return 1
        if not self.status.log_in(self.logins[0]):
            console.print(f"[red]the demo could not log in to its hub; see {hub_log}[/]")
            return 1
        self._welcome([f"{file.station}: {file.kiosk}" for file in files])
        started = time.monotonic()
        next_report = started + REPORT_EVERY_S
        while not self._stop.wait(0.5):
            dead = self.children.dead()
            if dead is not None:
                console.print(f"[red]{dead.name} exited ({dead.proc.returncode}); see {dead.log}[/]")
                return 1
            if self.s.duration_s and time.monotonic() - started >= self.s.duration_s:
                break
            if time.monotonic() >= next_report:
                self.status.report(stations, final=False)
                next_report += REPORT_EVERY_S
        return self._finish(stations)

    def _welcome(self, kiosks: list[str]) -> None:
        admin = self.logins[0]
        console.print(f"\n[bold]Sortcentre demo running.[/] Dashboard: [bold cyan]{self.hub_url}/[/]")
        console.print(f"  log in as [bold]{admin.username}[/] with password [bold]{admin.password}[/]")
        console.print(
            f"  supervisors, one per site ({', '.join(login.username for login in self.logins[1:])}): "
            f"passwords in {self.var / 'hub' / 'secrets'}/"
        )
        console.print(
            f"  API: {self.hub_url}/api/v1/throughput   broker: 127.0.0.1:{self.mosquitto.port}   "
            f"InfluxDB: {self.influx.url}   logs: {self.var / 'logs'}"
        )
        console.print(f"  sorters' screens: {'   '.join(kiosks)}")
        console.print(f"  count stored events: {shlex.join(self.status.influx_cli())}")
        console.print("  Ctrl-C stops everything; the data stays in var/ for the next run.\n")

    def _finish(self, stations: list[str]) -> int:
        console.print("stopping: stations (each drains its journal), simulated hardware, then the hub")
        self.children.terminate([f"station-{s}" for s in stations])
        self.children.terminate([f"sim-{s}" for s in stations])
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline and not self.status.all_stored(stations):
            time.sleep(0.5)
        ok = self.status.report(stations, final=True)
        self.children.terminate(["hub"])
        return 0 if ok else 1
