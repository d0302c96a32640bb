"""Starts Mosquitto, InfluxDB, the hub, and per station a hardware rig (sim) plus the station agent.

Everything lives under ``var/``: broker persistence, InfluxDB files, station journals, generated configs and
one log file per child. A second run finds the earlier data there. Ctrl-C (or ``--duration``) stops the
children in dependency order: sorters first, then stations (which drain their journals), then the hub once
it has stored every event the stations report as sent, then InfluxDB and Mosquitto.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import tomli_w
from rich.console import Console
from rich.table import Table

from core.processes import die_with_parent
from firmware_mocks.camera import make_frames_folder
from hub.broker_accounts import HUB_LIVE_USER, HUB_USER, HUB_USERS, BrokerAccounts
from local_servers import InfluxServer, MosquittoServer, ServerError
from local_servers.process import free_port, log_tail, port_free

logger = logging.getLogger(__name__)
console = Console(stderr=False, highlight=False)

REPORT_EVERY_S = 10.0
COUNT_QUERY = 'SELECT count("weight_g") FROM "sorting_event" GROUP BY "station"'


@dataclass
class DemoSettings:
    var: Path
    http_port: int = 8080
    mqtt_port: int | None = None
    influx_port: int | None = None
    duration_s: float = 0.0
    log_level: str = "info"


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path


def _spec() -> dict[str, Any]:
    return tomllib.loads(resources.files("sortcentre.demo").joinpath("stations.toml").read_text())


def demo_accounts(var: Path) -> BrokerAccounts:
    """A broker account per station (its topics under its own site) and the hub's two (ingest and live status).
    Passwords are made once and kept in var/broker/secrets/ (one file each, readable by the owner only), so a
    second run uses the same ones."""
    accounts = BrokerAccounts(var / "broker")
    secrets_dir = var / "broker" / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)

    def kept(user: str) -> str | None:
        secret = secrets_dir / user
        return secret.read_text().strip() if secret.exists() else None

    made = {user: accounts.add_hub(user, kept(user)) for user in HUB_USERS}
    for entry in _spec()["station"]:
        made[entry["id"]] = accounts.add_station(entry["id"], entry["site"], kept(entry["id"]))
    for user, password in made.items():
        secret = secrets_dir / user
        if not secret.exists():
            secret.write_text(password)
            secret.chmod(0o600)
    return accounts


DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    sites: tuple[str, ...]  # empty: the admin, every site


def demo_logins(var: Path) -> list[DemoLogin]:
    """The dashboard's demo users: ``admin`` and one supervisor per demo site (``supervisor-zwolle``, ...).

    Made once, like the broker accounts: passwords are kept in var/hub/secrets/ (one file each, readable by the
    owner only) and the users in var/hub/users.sqlite, the file the demo's hub reads."""
    from hub.auth.principal import Role
    from hub.auth.store import UserStore

    store = UserStore(users_file(var))
    secrets_dir = var / "hub" / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    sites = sorted({entry["site"] for entry in _spec()["station"]})
    wanted = [(DEMO_ADMIN, Role.ADMIN, ()), *((f"supervisor-{site}", Role.SUPERVISOR, (site,)) for site in sites)]
    logins = []
    for username, role, user_sites in wanted:
        secret = secrets_dir / username
        if not secret.exists():
            secret.write_text(secrets.token_urlsafe(12))
            secret.chmod(0o600)
        password = secret.read_text().strip()
        if store.get(username) is None:
            store.add(username, password, role, user_sites)
        elif store.authenticate(username, password) is None:  # the file was replaced or edited: it wins
            store.set_password(username, password)
            store.set_disabled(username, False)
        logins.append(DemoLogin(username, password, user_sites))
    return logins


def users_file(var: Path) -> Path:
    return var / "hub" / "users.sqlite"


def station_configs(var: Path, mqtt_port: int) -> list[dict[str, Any]]:
    """The demo's station configs, with this run's ports and paths filled in."""
    spec = _spec()
    configs = []
    for entry in spec["station"]:
        home = var / "stations" / entry["id"]
        configs.append(
            {
                "station": {"id": entry["id"], "site": entry["site"], "stream": entry["stream"]},
                "categories": spec["categories"][entry["categories"]],
                "scale": {"driver": "mt-sics", "port": str(home / "scale")},
                "buttons": {"driver": "serial-board", "port": str(home / "buttons")},
                "mqtt": {
                    "host": "127.0.0.1",
                    "port": mqtt_port,
                    "username": entry["id"],
                    "password_file": str(var / "broker" / "secrets" / entry["id"]),
                },
                "journal": {"path": str(home / "journal.sqlite")},
                "kiosk": {"port": free_port()},
                "camera": {"source": str(home / "camera"), "crop": [120, 60, 400, 360]},
                "heartbeat_s": 2.0,
            }
        )
    return configs


class Demo:
    def __init__(self, settings: DemoSettings) -> None:
        self.s = settings
        self.var = settings.var
        self.children: list[Child] = []
        self.mosquitto = MosquittoServer(self.var / "mosquitto", settings.mqtt_port, accounts=demo_accounts(self.var))
        self.influx = InfluxServer(self.var / "influxdb", settings.influx_port)
        self.hub_url = f"http://127.0.0.1:{settings.http_port}"
        self.logins = demo_logins(self.var)
        # The demo reads its own hub's API for the counts it prints, logged in as the admin.
        self.api = httpx.Client(base_url=self.hub_url, timeout=5)
        self._stop = threading.Event()

    # -- children --------------------------------------------------------------------------------------
    def _spawn(self, name: str, *args: str) -> Child:
        log = self.var / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as handle:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sortcentre", "--log-level", self.s.log_level, *args],
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - it only calls prctl before exec
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
            )
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def _terminate(self, names: list[str], timeout: float = 15.0) -> None:
        chosen = [c for c in self.children if c.name in names and c.proc.poll() is None]
        for child in chosen:
            child.proc.send_signal(signal.SIGTERM)
        for child in chosen:
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop; killing it", child.name)
                child.proc.kill()
                child.proc.wait()

    # -- run -------------------------------------------------------------------------------------------
    def run(self) -> int:
        self.var.mkdir(parents=True, exist_ok=True)
        if not self._ports_free():
            return 2
        try:
            self.mosquitto.start()
            self.influx.start()
        except ServerError as exc:
            console.print(f"[red]{exc}[/]")
            self.mosquitto.stop()
            return 2
        signal.signal(signal.SIGINT, lambda *_: self._stop.set())
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        try:
            return self._run_children()
        finally:
            self.api.close()
            self._terminate([c.name for c in self.children])
            self.influx.stop()
            self.mosquitto.stop()

    def _ports_free(self) -> bool:
        """Every port the demo will listen on is free, checked before anything starts: a server that cannot
        listen exits, or the stations end up talking to whatever holds the port."""
        wanted = [
            ("--http-port", "the hub's web page", self.s.http_port),
            ("--mqtt-port", "Mosquitto", self.mosquitto.port),
            ("--influx-port", "InfluxDB", self.influx.port),
        ]
        taken = [(option, what, port) for option, what, port in wanted if not port_free("127.0.0.1", port)]
        for option, what, port in taken:
            console.print(
                f"[red]port {port} (for {what}) is taken by another process[/]: stop that process, or pass "
                f"{option} with another port" + ("" if option == "--http-port" else " (0: a free one)")
            )
        return not taken

    def _run_children(self) -> int:
        configs_dir = self.var / "demo"
        configs_dir.mkdir(parents=True, exist_ok=True)
        hub_config = configs_dir / "hub.toml"
        hub_config.write_text(
            tomli_w.dumps(
                {
                    "http_port": self.s.http_port,
                    "mqtt": {
                        "host": "127.0.0.1",
                        "port": self.mosquitto.port,
                        "username": HUB_USER,
                        "password_file": str(self.var / "broker" / "secrets" / HUB_USER),
                    },
                    # The broker binds client ids to accounts: the live-status client needs its own.
                    "live_mqtt": {
                        "username": HUB_LIVE_USER,
                        "password_file": str(self.var / "broker" / "secrets" / HUB_LIVE_USER),
                    },
                    "influx": {"url": self.influx.url, "database": self.influx.database},
                    "auth": {"users_file": str(users_file(self.var))},
                }
            )
        )
        hub_log = self.var / "logs" / "hub.log"
        hub_log_start = hub_log.stat().st_size if hub_log.exists() else 0
        hub = self._spawn("hub", "hub", "--config", str(hub_config))
        stations: list[str] = []
        kiosks = []
        for config in station_configs(self.var, self.mosquitto.port):
            camera = Path(config["camera"]["source"])
            if not camera.exists():  # a stand-in camera: a folder of generated frames
                make_frames_folder(camera, 20, seed=len(stations))
            kiosks.append(f"{config['station']['id']}: http://127.0.0.1:{config['kiosk']['port']}/")
            path = configs_dir / f"{config['station']['id']}.toml"
            path.write_text(tomli_w.dumps(config))
            stations.append(config["station"]["id"])
            self._spawn(f"sim-{config['station']['id']}", "sim", "--config", str(path))
            self._spawn(f"station-{config['station']['id']}", "station", "--config", str(path))
        problem = self._wait_for_hub(hub, 60)
        if problem is not None:
            console.print(f"[red]the hub did not come up: {problem}[/]\nsee {hub.log}; its last lines:")
            console.print(log_tail(hub.log, hub_log_start), markup=False, highlight=False)
            return 1
        if not self._log_in():
            console.print(f"[red]the demo could not log in to its hub; see {self.var / 'logs' / 'hub.log'}[/]")
            return 1
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
        console.print(f"  count stored events: {shlex.join(self.influx_cli())}")
        console.print("  Ctrl-C stops everything; the data stays in var/ for the next run.\n")
        started = time.monotonic()
        next_report = started + REPORT_EVERY_S
        while not self._stop.wait(0.5):
            dead = [c for c in self.children if c.proc.poll() is not None]
            if dead:
                console.print(f"[red]{dead[0].name} exited ({dead[0].proc.returncode}); see {dead[0].log}[/]")
                return 1
            if self.s.duration_s and time.monotonic() - started >= self.s.duration_s:
                break
            if time.monotonic() >= next_report:
                self._report(stations, final=False)
                next_report += REPORT_EVERY_S
        return self._finish(stations)

    def _finish(self, stations: list[str]) -> int:
        console.print("stopping: stations (each drains its journal), simulated hardware, then the hub")
        self._terminate([f"station-{s}" for s in stations])
        self._terminate([f"sim-{s}" for s in stations])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            sent, stored = self._counts(stations)
            if sent and all(sent.get(s) is not None and sent[s] == stored.get(s, 0) for s in stations):
                break
            time.sleep(0.5)
        ok = self._report(stations, final=True)
        self._terminate(["hub"])
        return 0 if ok else 1

    def influx_cli(self) -> list[str]:
        return [
            "influx",
            "-host",
            "127.0.0.1",
            "-port",
            str(self.influx.port),
            "-database",
            self.influx.database,
            "-execute",
            COUNT_QUERY,
        ]

    def _influx_cli_count(self) -> str:
        try:
            done = subprocess.run(self.influx_cli(), capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"(could not run influx: {exc})"
        return done.stdout.strip() or done.stderr.strip()

    # -- figures ---------------------------------------------------------------------------------------
    def _wait_for_hub(self, hub: Child, timeout: float) -> str | None:
        """None once the hub's health check answers 200 (a 503 means a part of it is down); else why not."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline and not self._stop.is_set():
            if hub.proc.poll() is not None:
                return f"it exited with {hub.proc.returncode}"
            try:
                answer = httpx.get(f"{self.hub_url}/api/v1/health", timeout=1)
            except httpx.HTTPError as err:
                last = f"{self.hub_url}/api/v1/health: {err!r}"
            else:
                if answer.status_code == 200:
                    return None
                last = f"{self.hub_url}/api/v1/health answered {answer.status_code}: {answer.text[:300]}"
            time.sleep(0.3)
        return "stopped while waiting" if self._stop.is_set() else f"not healthy after {timeout:.0f} s ({last})"

    def _log_in(self) -> bool:
        admin = self.logins[0]
        try:
            answer = self.api.post("/api/v1/login", json={"username": admin.username, "password": admin.password})
        except httpx.HTTPError as exc:
            logger.warning("logging in to the hub failed: %s", exc)
            return False
        return answer.status_code == 200

    def _counts(self, stations: list[str]) -> tuple[dict[str, int | None], dict[str, int]]:
        """(events each station reports as sent, events stored in InfluxDB per station)."""
        sent: dict[str, int | None] = dict.fromkeys(stations)
        try:
            for view in self.api.get("/api/v1/stations").json():
                if view["station"] in sent and view["health"]:
                    sent[view["station"]] = view["health"]["events_sent"]
        except (httpx.HTTPError, ValueError):
            pass
        stored: dict[str, int] = {}
        response = httpx.get(
            f"{self.influx.url}/query",
            params={
                "db": self.influx.database,
                "q": COUNT_QUERY,
            },
        )
        for series in response.json()["results"][0].get("series", []):
            stored[series["tags"]["station"]] = series["values"][0][1]
        return sent, stored

    def _report(self, stations: list[str], final: bool) -> bool:
        sent, stored = self._counts(stations)
        try:
            rows = self.api.get("/api/v1/throughput").json()["stations"]
        except (httpx.HTTPError, ValueError, KeyError):
            rows = []
        kg = {r["station"]: r["kg"] for r in rows}
        table = Table(title="final counts" if final else None, show_edge=False)
        for column in ("station", "sent (station)", "stored (InfluxDB)", "kg last 24 h"):
            table.add_column(column, justify="left" if column == "station" else "right")
        for station in stations:
            table.add_row(station, str(sent.get(station)), str(stored.get(station, 0)), f"{kg.get(station, 0):.3f}")
        console.print(table)
        ok = all(sent.get(s) == stored.get(s, 0) for s in stations)
        summary = {s: {"sent": sent.get(s), "stored": stored.get(s, 0), "kg_24h": kg.get(s, 0.0)} for s in stations}
        (self.var / "demo" / "summary.json").write_text(json.dumps({"final": final, "stations": summary}, indent=2))
        if final:
            console.print(f"InfluxDB's own client says:\n{self._influx_cli_count()}")
            console.print(
                "[green]every event the stations sent is stored, once[/]" if ok else "[red]sent and stored differ[/]"
            )
        return ok
