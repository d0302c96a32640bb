"""The servers the tests and the demo start are real, they are ready only when they answer as themselves (an
MQTT CONNACK, InfluxDB's /ping), a taken port or a failed start is said plainly, and they never outlive whoever
started them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hub.broker_accounts import BrokerAccounts
from local_servers import InfluxServer, MosquittoServer, ServerError
from local_servers.mosquitto import mqtt_connack
from local_servers.process import ChildServer
from tests.conftest import wait_until


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has ended and waits only to be reaped


def test_servers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from local_servers import InfluxServer, MosquittoServer
        broker = MosquittoServer(Path({str(tmp_path / "m")!r})).start()
        influx = InfluxServer(Path({str(tmp_path / "i")!r})).start()
        print(broker.pid, influx.pid, flush=True)
        time.sleep(300)
    """)
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    parent.send_signal(signal.SIGKILL)  # no finally, no atexit: as when a CI job is cancelled
    parent.wait(10)
    assert wait_until(lambda: not any(alive(p) for p in pids), 15), "a server outlived its parent"


# -- readiness is real, and a taken port is said before anything starts ------------------------------------


@pytest.fixture
def plain_listener() -> Iterator[int]:
    """Another program holding a port: a TCP listener that is no MQTT broker and no InfluxDB."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_the_mosquitto_probe_is_not_fooled_by_a_plain_listener(tmp_path: Path, plain_listener: int) -> None:
    broker = MosquittoServer(tmp_path / "m", port=plain_listener)
    assert not broker.is_ready()
    assert broker.not_ready_reason is not None and "CONNACK" in broker.not_ready_reason
    assert mqtt_connack("127.0.0.1", plain_listener, timeout=0.3) == "no CONNACK within 0.3 s"


def test_the_mosquitto_probe_wants_the_answer_of_a_broker_configured_as_ours(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    """With accounts, an anonymous CONNECT must be refused (the accounts are in force); without, accepted."""
    accounts = BrokerAccounts(tmp_path / "accounts")
    accounts.add_hub()
    with MosquittoServer(tmp_path / "m", accounts=accounts) as broker:
        assert broker.is_ready()
        assert mqtt_connack(broker.host, broker.port) == 5  # not authorised (MQTT 3.1.1 §3.2.2.3)
        assert mqtt_connack(broker.host, broker.port, "hub", accounts.passwords["hub"]) == 0
        assert mqtt_connack(broker.host, broker.port, "hub", "wrong") == 5
        # One without accounts at that port would find a broker that is not configured as it is.
        stranger = MosquittoServer(tmp_path / "other", port=broker.port)
        assert not stranger.is_ready()
        assert stranger.not_ready_reason == "the broker refused CONNECT: not authorised"
    # And one with accounts at the tests' anonymous broker.
    stranger = MosquittoServer(tmp_path / "other", port=mosquitto.port, accounts=accounts)
    assert not stranger.is_ready()
    assert stranger.not_ready_reason == "the broker accepted an anonymous CONNECT: not ours, which has accounts"


def test_the_influxdb_probe_wants_influxdbs_own_ping(tmp_path: Path) -> None:
    class Ping(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    web = ThreadingHTTPServer(("127.0.0.1", 0), Ping)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        influx = InfluxServer(tmp_path / "i", port=web.server_address[1])
        assert not influx.is_ready()
        assert influx.not_ready_reason is not None and "not InfluxDB" in influx.not_ready_reason
    finally:
        web.shutdown()
        web.server_close()


def test_influxdb_is_ready_when_ping_answers(influx: InfluxServer) -> None:
    assert influx.is_ready()


def test_a_taken_port_is_reported_before_the_server_starts(tmp_path: Path, plain_listener: int) -> None:
    for server in (MosquittoServer(tmp_path / "m", port=plain_listener), InfluxServer(tmp_path / "i", plain_listener)):
        with pytest.raises(ServerError, match=f"port {plain_listener} on 127.0.0.1 is taken by another process"):
            server.start(timeout=5)
        assert server.pid is None, f"{server.name} was started although its port is taken"


class Failing(ChildServer):
    """A server whose binary exits during start-up, as one with a bad config does."""

    name = "failing"

    def command(self) -> list[str]:
        return ["sh", "-c", "echo starting; echo 'error: bad line 3 in the config' >&2; exit 3"]

    def is_ready(self) -> bool:
        return False


def test_a_server_that_exits_during_start_up_is_reported_with_its_code_and_its_last_lines(tmp_path: Path) -> None:
    server = Failing(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    server.log_path.write_text("an earlier run's line\n")  # the log is appended to across runs
    with pytest.raises(ServerError) as failed:
        server.start(timeout=10)
    message = str(failed.value)
    assert "failing exited with 3" in message
    assert message.endswith("starting\nerror: bad line 3 in the config"), message
    assert "earlier run" not in message
