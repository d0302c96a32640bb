"""A broker connection that fails is loud: the hub and the stations log a warning with host, port, client id and
the reason, whatever paho's network thread swallows (a refused socket, an unknown host, a refused CONNACK, a
listener that is no broker, a broker that goes away), and say when the connection is back. Real sockets and a
real Mosquitto; the rules on a moved clock are in tests/unit/core/transport/test_mqtt_connection_log.py."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import tomli_w

from core.transport.mqtt import ConnectionLog, MqttClient
from core.transport.settings import MqttSettings
from hub.broker_accounts import BrokerAccounts
from local_servers import InfluxServer, MosquittoServer, free_port
from tests.conftest import unique, wait_until


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="core.transport.mqtt")
    return caplog


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A retry a second, so a test sees several failed attempts in a few seconds."""
    monkeypatch.setattr(MqttClient, "RECONNECT_DELAY_S", (1, 1))


def warnings(caplog: pytest.LogCaptureFixture, client_id: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and client_id in r.getMessage()]


@contextmanager
def started(settings: MqttSettings) -> Iterator[MqttClient]:
    client = MqttClient(settings, unique("loud"))
    client.start()
    try:
        yield client
    finally:
        client.stop()


def test_nothing_listening_on_the_port_is_a_warning_naming_host_and_port(
    records: pytest.LogCaptureFixture, quick_retries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    with started(MqttSettings(host="127.0.0.1", port=port)) as client:
        assert wait_until(lambda: warnings(records, client.client_id), 5), "no warning within 5 s"
        (line,) = warnings(records, client.client_id)
        assert f"127.0.0.1:{port}" in line and "connection refused" in line, line
        assert client.problem is not None and "connection refused" in client.problem
        # The same failure again within the minute: no second line, however often paho retries.
        assert wait_until(lambda: client.failed_attempts >= 3, 10)
        assert len(warnings(records, client.client_id)) == 1
        # Once the interval has passed, one reminder that counts the attempts in between.
        monkeypatch.setattr(ConnectionLog, "REPEAT_S", 0.0)  # read at each failure
        assert wait_until(lambda: len(warnings(records, client.client_id)) == 2, 5)
        assert "still cannot connect" in warnings(records, client.client_id)[1]
        assert "failed attempts since the last warning" in warnings(records, client.client_id)[1]


def test_a_host_that_does_not_resolve_is_a_warning_naming_it(records: pytest.LogCaptureFixture) -> None:
    with started(MqttSettings(host="nonexistent.invalid", port=1883)) as client:
        assert wait_until(lambda: warnings(records, client.client_id), 10), "no warning within 10 s"
        (line,) = warnings(records, client.client_id)
        assert "nonexistent.invalid:1883" in line and "cannot resolve host name 'nonexistent.invalid'" in line


def test_a_wrong_password_is_a_warning_with_the_brokers_refusal(
    tmp_path: Path, records: pytest.LogCaptureFixture
) -> None:
    accounts = BrokerAccounts(tmp_path / "accounts")
    accounts.add_station("zwolle-plastic-1", "zwolle", "the-right-one")
    with MosquittoServer(tmp_path / "broker", accounts=accounts) as broker:
        settings = MqttSettings(host=broker.host, port=broker.port, username="zwolle-plastic-1", password="wrong")
        with started(settings) as client:
            assert wait_until(lambda: warnings(records, client.client_id), 5), "no warning within 5 s"
            (line,) = warnings(records, client.client_id)
            assert f"{broker.host}:{broker.port}" in line
            assert "the broker refused the connection: Not authorized" in line, line
            assert not client.connected.is_set()


@contextmanager
def listener(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on a free port that treats every connection with ``answer``; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        done.set()
        thread.join()
        server.close()


def test_a_listener_that_is_no_broker_is_a_warning(records: pytest.LogCaptureFixture, quick_retries: None) -> None:
    """What the stations met when another program held the demo's MQTT port: it accepts and hangs up."""
    with listener(lambda conn: None) as port, started(MqttSettings(host="127.0.0.1", port=port)) as client:
        assert wait_until(lambda: warnings(records, client.client_id), 5), "no warning within 5 s"
        line = warnings(records, client.client_id)[0]
        assert f"127.0.0.1:{port}" in line and "no CONNACK" in line, line


def test_a_failed_tls_handshake_is_a_warning_with_the_tls_reason(records: pytest.LogCaptureFixture) -> None:
    def refuse_tls(conn: socket.socket) -> None:
        conn.recv(4096)  # the ClientHello
        conn.sendall(bytes.fromhex("15030300020228"))  # a TLS alert record: fatal, handshake_failure (RFC 5246 §7.2)

    with listener(refuse_tls) as port, started(MqttSettings(host="127.0.0.1", port=port, tls=True)) as client:
        assert wait_until(lambda: warnings(records, client.client_id), 5), "no warning within 5 s"
        line = warnings(records, client.client_id)[0]
        assert f"127.0.0.1:{port}" in line and "TLS handshake failed: SSLV3_ALERT_HANDSHAKE_FAILURE" in line, line


def test_a_lost_broker_is_a_warning_and_its_return_says_how_long_it_was_gone(
    tmp_path: Path, records: pytest.LogCaptureFixture, quick_retries: None
) -> None:
    broker = MosquittoServer(tmp_path / "broker").start()
    try:
        with started(MqttSettings(host=broker.host, port=broker.port)) as client:
            assert client.wait_connected(5)
            broker.kill()
            assert wait_until(lambda: warnings(records, client.client_id), 5), "no warning within 5 s"
            assert "lost its connection" in warnings(records, client.client_id)[0]
            assert client.problem is not None
            broker.start()
            assert client.wait_connected(10)
            back = [r for r in records.records if "without a connection" in r.getMessage()]
            assert len(back) == 1 and back[0].levelno == logging.INFO
            assert client.client_id in back[0].getMessage() and client.problem is None
    finally:
        broker.stop()


def test_a_hub_pointed_at_a_wrong_broker_port_says_so_at_the_default_level(
    tmp_path: Path, influx: InfluxServer
) -> None:
    """The finding as it was met: `sortcentre hub` at a port where no broker listens ran 20 s without one line."""
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "http_port": free_port(),
                "client_id": "wrong-port-hub",
                "mqtt": {"host": "127.0.0.1", "port": port},
                "influx": {"url": influx.url, "database": "wrong_port"},
                "auth": {"users_file": str(tmp_path / "users.sqlite")},
            }
        )
    )
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        hub = subprocess.Popen(
            [sys.executable, "-m", "sortcentre", "hub", "--config", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        expected = f"MQTT broker 127.0.0.1:{port}: wrong-port-hub-ingest cannot connect: connection refused"
        assert wait_until(lambda: expected in log.read_text(), 20), log.read_text()
        assert "WARNING" in next(line for line in log.read_text().splitlines() if expected in line)
    finally:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(15)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait()
