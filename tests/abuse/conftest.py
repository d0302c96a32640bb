"""The abuse suite's hub: `sortcentre hub` as its own process (local_servers/fleet.py's HubProcess) on a
Mosquitto of its own per test (a retained poison or a queued session must not reach any other test) and the
session's InfluxDB (a database per hub), observed only from outside: the HTTP API as an admin, /metrics,
and InfluxDB's own query API. Messages go in with independent clients: mosquitto_pub and raw sockets."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import HubProcess
from tests.abuse.corpus import SITE, Corpus, dumps, topic
from tests.conftest import unique, wait_until

ADMIN = "abuse-admin"
PASSWORD = "abuse-admin-password-13"
ADD_ADMIN = [sys.executable, "-m", "sortcentre", "users", "add", ADMIN, "--role", "admin", "--password-stdin"]
ACK_WITHIN_S = 2.0  # the bound: a valid event after any poison is stored within this


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoServer]:
    with MosquittoServer(tmp_path / "mosquitto") as server:
        yield server


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One users file with an admin, made once with `sortcentre users add` and copied for each hub."""
    folder = tmp_path_factory.mktemp("abuse-users")
    config = folder / "hub.toml"
    config.write_text(f'[auth]\nusers_file = "{folder / "users.sqlite"}"\n')
    subprocess.run(
        [*ADD_ADMIN, "--config", str(config)],
        input=f"{PASSWORD}\n".encode(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    return folder / "users.sqlite"


class AbuseHub:
    """A hub process and an admin's view of it."""

    def __init__(self, folder: Path, broker: MosquittoServer, influx: InfluxServer, users: Path) -> None:
        self.database = unique("abuse").replace("-", "_")
        self.process = HubProcess(folder, broker, influx, self.database)
        shutil.copy(users, folder / "users.sqlite")
        self.broker = broker
        self.influx = influx
        self.base = f"http://127.0.0.1:{self.process.http_port}"
        self.http = httpx.Client(base_url=self.base, timeout=10, headers={"Origin": self.base})
        self.starts = 0

    # -- the process ------------------------------------------------------------------------------------
    def start(self) -> None:
        self.process.start()
        self.starts += 1
        client_id = self.process.client_id
        assert wait_until(
            lambda: (
                self._log().count(f"as {client_id}-ingest") >= self.starts
                and self._log().count(f"as {client_id}-live") >= self.starts
            ),
            30,
            0.05,
        ), f"hub did not connect to the broker:\n{self._log()[-3000:]}"
        assert wait_until(self.healthy, 30, 0.05), f"hub not healthy:\n{self._log()[-3000:]}"
        if not self.http.cookies:
            answer = self.http.post("/api/v1/login", json={"username": ADMIN, "password": PASSWORD})
            assert answer.status_code == 200, answer.text

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, as systemd stops it; SIGKILL if it does not end in time (a hub stuck on a poison)."""
        proc = self.process.proc
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            return None

    def kill(self) -> None:
        self.process.kill()

    def close(self) -> None:
        self.stop(10)
        self.http.close()

    def _log(self) -> str:
        return self.process.log.read_text(errors="replace") if self.process.log.exists() else ""

    def log_tail(self, chars: int = 4000) -> str:
        return self._log()[-chars:]

    # -- what an admin and Prometheus see ---------------------------------------------------------------
    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def dead_letter_counts(self) -> dict[str, int]:
        answer = self.http.get("/api/v1/admin/dead-letters", params={"limit": 1})
        assert answer.status_code == 200, answer.text
        counts: dict[str, int] = answer.json()["counts"]
        return {reason: n for reason, n in counts.items() if n}

    def dead_letters(self, limit: int = 1000) -> list[dict[str, object]]:
        answer = self.http.get("/api/v1/admin/dead-letters", params={"limit": limit})
        assert answer.status_code == 200, answer.text
        latest: list[dict[str, object]] = answer.json()["latest"]
        return latest

    def metrics(self) -> str:
        answer = self.http.get("/metrics")
        assert answer.status_code == 200, answer.text
        return answer.text

    def rejected_metrics(self) -> dict[str, int]:
        found = re.findall(
            r'^sortcentre_messages_rejected_total\{reason="([a-z_]+)"\} ([0-9.e+]+)$', self.metrics(), re.M
        )
        return {reason: int(float(n)) for reason, n in found if float(n)}

    def events_acked(self) -> int:
        """``sortcentre_events_stored_total``: counted when a stored batch is acknowledged to the broker."""
        found = re.search(r"^sortcentre_events_stored_total ([0-9.e+]+)$", self.metrics(), re.M)
        return int(float(found.group(1))) if found else 0

    def queue_depth(self) -> float:
        found = re.search(r"^sortcentre_ingest_queue_depth ([0-9.e+]+)$", self.metrics(), re.M)
        assert found, "no sortcentre_ingest_queue_depth in /metrics"
        return float(found.group(1))

    # -- what InfluxDB holds ----------------------------------------------------------------------------
    def query(self, q: str) -> list[list[object]]:
        answer = httpx.get(f"{self.influx.url}/query", params={"db": self.database, "q": q}, timeout=30)
        answer.raise_for_status()
        series = answer.json()["results"][0].get("series", [])
        return [row for s in series for row in s["values"]]

    def stored_count(self) -> int:
        rows = self.query('SELECT count("weight_g") FROM "sorting_event"')
        return int(rows[0][1]) if rows else 0  # type: ignore[call-overload]

    def stored_ids(self) -> list[str]:
        return [str(row[1]) for row in self.query('SELECT "event_id" FROM "sorting_event"')]

    def is_stored(self, event_id: str) -> bool:
        return bool(self.query(f'SELECT "weight_g" FROM "sorting_event" WHERE "event_id" = \'{event_id}\''))


@pytest.fixture
def abuse_hub(tmp_path: Path, broker: MosquittoServer, influx: InfluxServer, users_file: Path) -> Iterator[AbuseHub]:
    """A hub process, not yet started (a test may prepare the broker first)."""
    hub = AbuseHub(tmp_path / "hub", broker, influx, users_file)
    yield hub
    hub.close()


def mosquitto_pub(broker: MosquittoServer, where: str, payload: bytes, *, retain: bool = False, qos: int = 1) -> None:
    """Debian's mosquitto_pub, the payload read whole from standard input (binary-safe)."""
    command = ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-t", where, "-q", str(qos), "-s"]
    subprocess.run([*command, *(["-r"] if retain else [])], input=payload, check=True, capture_output=True, timeout=30)


class Valid:
    """Valid events of one station, made by the corpus's builder (not the contract's models)."""

    def __init__(self, station: str = "probe-1", seed: int = 7) -> None:
        self.corpus = Corpus(seed, datetime.now(UTC))
        self.station = station
        self.seq = 0
        self.topic = topic(SITE, station, "event")

    def next(self) -> tuple[str, bytes]:
        """(event_id, payload) of the next event, stamped now."""
        self.seq += 1
        self.corpus.now = datetime.now(UTC)
        pairs = self.corpus.event(self.station, self.seq)
        return str(dict(pairs)["event_id"]), dumps(pairs).encode()


def publish_and_time(hub: AbuseHub, valid: Valid) -> float:
    """Publish the next valid event with mosquitto_pub; seconds from the broker's PUBACK (mosquitto_pub exits
    after it) until the event is in InfluxDB, inf when not within 10 s. Starting a process is not the hub's
    time: on a loaded test machine it alone took a few hundred milliseconds."""
    event_id, payload = valid.next()
    mosquitto_pub(hub.broker, valid.topic, payload)
    started = time.monotonic()
    if not wait_until(lambda: hub.is_stored(event_id), 10, 0.02):
        return float("inf")
    return time.monotonic() - started
