"""What the demo shows while it runs: whether its hubs are up, and a timestamped table per station of the events it
reports as sent, the events stored in InfluxDB (and how many of them are undos), the share of this run's items
that got a suggestion, its kg, and the hub's alerts; on NATS also the nodes and the hubs' shared consumer. All of
it is also written to var/demo/summary.json."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from local_servers import InfluxServer
from sortcentre.demo.accounts import DemoLogin
from sortcentre.demo.children import Child
from sortcentre.demo.servers import DemoBroker, NatsBroker

logger = logging.getLogger(__name__)
console = Console(stderr=False, highlight=False)

COUNT_QUERY = 'SELECT count("weight_g") FROM "sorting_event" GROUP BY "station"'
UNDO_QUERY = 'SELECT count("weight_g") FROM "sorting_event" WHERE "type" = \'undo\' GROUP BY "station"'
# Sorted items of this run, and those of them with a suggestion (``confidence`` is stored only with one).
SUGGESTED_QUERY = (
    'SELECT count("weight_g"), count("confidence") FROM "sorting_event" WHERE "type" = \'sorted\' '
    "AND time >= '{since}' GROUP BY \"station\""
)
# Why the two counts can differ while the demo runs, said under the table when they do.
STORED_AHEAD = (
    "stored ahead of sent: 'sent' is what the station's last heartbeat said (every 2 s), 'stored' is counted in "
    "InfluxDB now, so events stored since that heartbeat are in 'stored' only; the next heartbeat catches up. An "
    "undo (a sorter's correction) is an event of its own in both counts, not a removed one."
)
READ_TIMEOUT_S = 5.0  # each read of the hub's API
# The first login waits longer than the other reads: the hub checks the password with argon2id (64 MiB), while the
# stations and their simulators start beside it. On a loaded 2-core machine it once took over 5 s, and the demo
# stopped with "could not log in to its hub" though the hub was fine.
LOGIN_TIMEOUT_S = 30.0


class Status:
    """The demo's own view of its hubs (read through a hub's API, logged in as the admin) and of InfluxDB.

    With two hubs (NATS) it reads the first, and the other once the first stops answering: they share the users'
    file, so the admin's session is good at both."""

    def __init__(
        self,
        hub_urls: list[str],
        influx: InfluxServer,
        summary: Path,
        broker: DemoBroker | None = None,
        durable: str = "hub-ingest",
    ) -> None:
        self.hub_urls = hub_urls
        self.hub_url = hub_urls[0]
        self.influx = influx
        self.summary = summary
        self.broker = broker
        self.durable = durable  # the hubs' JetStream consumer, on NATS
        self.api = httpx.Client(base_url=self.hub_url, timeout=READ_TIMEOUT_S)
        self.started = datetime.now(UTC)
        self.alerts_seen: dict[str, dict[str, str]] = {}  # every alert the hub raised during the run, by id
        self._explained = False  # whether the table's note on stored ahead of sent was printed

    def close(self) -> None:
        self.api.close()

    def wait_for_hub(self, hub: Child, url: str, timeout: float, stop: threading.Event) -> str | None:
        """None once the hub's health check answers 200 (a 503 means a part of it is down); else why not."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline and not stop.is_set():
            if hub.proc.poll() is not None:
                return f"it exited with {hub.proc.returncode}"
            try:
                answer = httpx.get(f"{url}/api/v1/health", timeout=1)
            except httpx.HTTPError as err:
                last = f"{url}/api/v1/health: {err!r}"
            else:
                if answer.status_code == 200:
                    return None
                last = f"{url}/api/v1/health answered {answer.status_code}: {answer.text[:300]}"
            time.sleep(0.3)
        return "stopped while waiting" if stop.is_set() else f"not healthy after {timeout:.0f} s ({last})"

    def wait_for_consumer(self, timeout: float, stop: threading.Event) -> bool:
        """On NATS: whether the hubs' shared consumer exists on ``$MQTT_msgs`` within ``timeout``. Until it does,
        NATS acknowledges a station's event and drops it (the stream keeps only what a consumer wants:
        docs/broker.md), so the stations start after it."""
        if not isinstance(self.broker, NatsBroker):
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not stop.is_set():
            if self.broker.has_consumer(self.durable):
                return True
            time.sleep(0.3)
        return False

    def hub_lost(self, url: str) -> None:
        """A hub stopped: read another one from now on."""
        alive = [u for u in self.hub_urls if u != url]
        if url == self.hub_url and alive:
            self.hub_url = alive[0]
            self.api.base_url = httpx.URL(self.hub_url)
        self.hub_urls = alive or self.hub_urls

    def log_in(self, login: DemoLogin) -> bool:
        try:
            answer = self.api.post(
                "/api/v1/login",
                json={"username": login.username, "password": login.password},
                timeout=LOGIN_TIMEOUT_S,
            )
        except httpx.HTTPError as exc:
            logger.warning("logging in to the hub failed: %s", exc)
            return False
        return answer.status_code == 200

    def influx_cli(self) -> list[str]:
        """InfluxDB's own command-line client counting the stored events, for the user to run."""
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

    def _influx(self, query: str) -> dict[str, list[object]]:
        """The first row of each station's series of ``query``; empty when InfluxDB cannot answer."""
        try:
            response = httpx.get(f"{self.influx.url}/query", params={"db": self.influx.database, "q": query})
            series = response.json()["results"][0].get("series", [])
        except (httpx.HTTPError, ValueError, KeyError, IndexError) as exc:
            logger.warning("InfluxDB did not answer the demo's count: %s", exc)
            return {}
        return {s["tags"]["station"]: s["values"][0][1:] for s in series}

    def counts(self, stations: list[str]) -> tuple[dict[str, int | None], dict[str, int]]:
        """(events each station reports as sent, events stored in InfluxDB per station).

        With two hubs, "sent" is the higher of their two views: each hub's live view hears the heartbeats through
        one NATS node, and while that node is down its view stands still."""
        sent: dict[str, int | None] = dict.fromkeys(stations)
        for url in self.hub_urls:
            try:
                views = self.api.get(f"{url}/api/v1/stations").json()
            except (httpx.HTTPError, ValueError):
                continue
            for view in views:
                if view["station"] in sent and view["health"]:
                    known = sent[view["station"]]
                    sent[view["station"]] = max(known or 0, view["health"]["events_sent"])
        stored = {station: int(row[0]) for station, row in self._influx(COUNT_QUERY).items()}  # type: ignore[call-overload]
        return sent, stored

    def suggested_share(self) -> dict[str, float | None]:
        """Per station, the share of this run's sorted items that got a suggestion (None before the first item)."""
        since = self.started.isoformat().replace("+00:00", "Z")
        found: dict[str, float | None] = {}
        for station, (items, suggested) in self._influx(SUGGESTED_QUERY.format(since=since)).items():
            found[station] = int(suggested or 0) / int(items) if items else None  # type: ignore[call-overload]
        return found

    def alerts(self) -> list[dict[str, str]]:
        """The hub's current alerts (remembered in ``alerts_seen``); empty when the hub cannot answer."""
        try:
            current = self.api.get("/api/v1/alerts").json()["alerts"]
        except (httpx.HTTPError, ValueError, KeyError):
            return []
        for alert in current:
            self.alerts_seen.setdefault(
                alert["id"], {"id": alert["id"], "kind": alert["kind"], "severity": alert["severity"]}
            )
        return list(current)

    def all_stored(self, stations: list[str]) -> bool:
        """Every station has reported what it sent, and InfluxDB holds exactly that many of its events."""
        sent, stored = self.counts(stations)
        return bool(sent) and all(sent.get(s) is not None and sent[s] == stored.get(s, 0) for s in stations)

    def report(self, stations: list[str], final: bool) -> bool:
        """Prints the table and writes summary.json; True when every station's sent and stored events agree."""
        sent, stored = self.counts(stations)
        undos = {station: int(row[0]) for station, row in self._influx(UNDO_QUERY).items()}  # type: ignore[call-overload]
        shares = self.suggested_share()
        try:
            rows = self.api.get("/api/v1/throughput").json()["stations"]
        except (httpx.HTTPError, ValueError, KeyError):
            rows = []
        kg = {r["station"]: r["kg"] for r in rows}
        at = datetime.now().astimezone().strftime("%H:%M:%S")
        table = Table(title=f"{'final counts' if final else 'counts'} at {at}", show_edge=False)
        columns = ("station", "sent (station)", "stored (InfluxDB)", "of which undos", "suggested", "kg last 24 h")
        for column in columns:
            table.add_column(column, justify="left" if column == "station" else "right")
        for station in stations:
            share = shares.get(station)
            table.add_row(
                station,
                str(sent.get(station)),
                str(stored.get(station, 0)),
                str(undos.get(station, 0)),
                "–" if share is None else f"{share:.0%}",
                f"{kg.get(station, 0):.3f}",
            )
        console.print(table)
        if any((sent.get(s) or 0) < stored.get(s, 0) for s in stations) and not self._explained:
            self._explained = True  # once a run: the reason does not change
            console.print(f"  [dim]{STORED_AHEAD}[/]")
        current = self.alerts()
        serious = [a for a in current if a["severity"] != "notice"]
        if current:
            for alert in current:
                console.print(f"  alert ({alert['severity']}): {alert['station']}: {alert['kind']}: {alert['detail']}")
        elif not final:
            console.print("  alerts: none")
        nats = self.nats_lines()
        for line in nats:
            console.print(f"  {line}", markup=False)
        ok = all(sent.get(s) == stored.get(s, 0) for s in stations)
        summary = {
            s: {
                "sent": sent.get(s),
                "stored": stored.get(s, 0),
                "undos": undos.get(s, 0),
                "suggested_share": shares.get(s),
                "kg_24h": kg.get(s, 0.0),
            }
            for s in stations
        }
        self.summary.write_text(
            json.dumps(
                {
                    "final": final,
                    "at": datetime.now(UTC).isoformat(),
                    "stations": summary,
                    "alerts_seen": list(self.alerts_seen.values()),
                    "warnings_now": len(serious),
                    "hub_read": self.hub_url,
                    **({"nats": self.nats_summary()} if isinstance(self.broker, NatsBroker) else {}),
                },
                indent=2,
            )
        )
        if final:
            console.print(f"InfluxDB's own client says:\n{self._influx_cli_count()}")
            console.print(
                "[green]every event the stations sent is stored, once[/]" if ok else "[red]sent and stored differ[/]"
            )
        return ok

    def nats_summary(self) -> dict[str, object]:
        """The NATS nodes (pid, or None when down) and the hubs' consumer's figures (None before a hub made it)."""
        assert isinstance(self.broker, NatsBroker)
        nodes = {
            node.server_name: {"pid": node.pid if node.running else None, "mqtt_port": node.mqtt_port, "url": node.url}
            for node in self.broker.nodes
        }
        return {"nodes": nodes, "consumer": self.broker.consumer(self.durable)}

    def nats_lines(self) -> list[str]:
        """Under the table on NATS: each node, up (with its pid, for a `kill` to try) or down, and how far the hubs'
        shared consumer got."""
        if not isinstance(self.broker, NatsBroker):
            return []
        nodes = "   ".join(
            f"{node.server_name} " + (f"pid {node.pid}" if node.running else "DOWN") + f" (MQTT {node.mqtt_port})"
            for node in self.broker.nodes
        )
        found = self.broker.consumer(self.durable)
        if found is None:
            consumer = f"consumer {self.durable}: no figures now (no node leads it, or no hub made it yet)"
        else:
            consumer = (
                f"consumer {self.durable} on $MQTT_msgs: {found.get('delivered', {}).get('consumer_seq', 0)} "
                f"deliveries to the hubs, {found.get('num_ack_pending', 0)} waiting for a hub's ack "
                f"({found.get('num_redelivered', 0)} of them delivered again), "
                f"{found.get('num_pending', 0)} not yet delivered"
            )
        return [f"NATS nodes: {nodes}", consumer]
