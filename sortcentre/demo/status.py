"""What the demo shows while it runs: whether its hub is up, and a table per station of the events it reports
as sent, the events stored in InfluxDB and its kg, also written to var/demo/summary.json."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from local_servers import InfluxServer
from sortcentre.demo.accounts import DemoLogin
from sortcentre.demo.children import Child

logger = logging.getLogger(__name__)
console = Console(stderr=False, highlight=False)

COUNT_QUERY = 'SELECT count("weight_g") FROM "sorting_event" GROUP BY "station"'


class Status:
    """The demo's own view of its hub (read through the hub's API, logged in as the admin) and of InfluxDB."""

    def __init__(self, hub_url: str, influx: InfluxServer, summary: Path) -> None:
        self.hub_url = hub_url
        self.influx = influx
        self.summary = summary
        self.api = httpx.Client(base_url=hub_url, timeout=5)

    def close(self) -> None:
        self.api.close()

    def wait_for_hub(self, hub: Child, timeout: float, stop: threading.Event) -> str | None:
        """None once the hub's health check answers 200 (a 503 means a part of it is down); else why not."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline and not stop.is_set():
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
        return "stopped while waiting" if stop.is_set() else f"not healthy after {timeout:.0f} s ({last})"

    def log_in(self, login: DemoLogin) -> bool:
        try:
            answer = self.api.post("/api/v1/login", json={"username": login.username, "password": login.password})
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

    def counts(self, stations: list[str]) -> tuple[dict[str, int | None], dict[str, int]]:
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

    def all_stored(self, stations: list[str]) -> bool:
        """Every station has reported what it sent, and InfluxDB holds exactly that many of its events."""
        sent, stored = self.counts(stations)
        return bool(sent) and all(sent.get(s) is not None and sent[s] == stored.get(s, 0) for s in stations)

    def report(self, stations: list[str], final: bool) -> bool:
        """Prints the table and writes summary.json; True when every station's sent and stored events agree."""
        sent, stored = self.counts(stations)
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
        self.summary.write_text(json.dumps({"final": final, "stations": summary}, indent=2))
        if final:
            console.print(f"InfluxDB's own client says:\n{self._influx_cli_count()}")
            console.print(
                "[green]every event the stations sent is stored, once[/]" if ok else "[red]sent and stored differ[/]"
            )
        return ok
