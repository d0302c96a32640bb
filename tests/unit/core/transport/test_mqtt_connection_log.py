"""The connection log's rules, on a clock the test moves: a warning per change, one a minute while a failure
lasts (with the attempts in between), and an info line with the time down once the connection is back. The
same rules against real sockets and a real Mosquitto: tests/integration/test_mqtt_logging.py."""

from __future__ import annotations

import logging

import pytest

from core.transport.mqtt import ConnectionLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log(clock: Clock, caplog: pytest.LogCaptureFixture) -> ConnectionLog:
    caplog.set_level(logging.INFO, logger="core.transport.mqtt")
    return ConnectionLog("broker.example", 8883, "station-7", clock=clock)


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "core.transport.mqtt"]


def test_a_lasting_failure_is_logged_once_then_once_a_minute(
    log: ConnectionLog, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    log.failed("connection refused")
    for _ in range(5):  # paho retries every few seconds: no line each time
        clock.now += 10
        log.failed("connection refused")
    assert lines(caplog) == [
        (
            logging.WARNING,
            "MQTT broker broker.example:8883: station-7 cannot connect: connection refused; retrying in the background",
        )
    ]
    assert log.problem == "connection refused" and log.failed_attempts == 6
    clock.now += 10  # a minute after the first line
    log.failed("connection refused")
    assert lines(caplog)[-1] == (
        logging.WARNING,
        "MQTT broker broker.example:8883: station-7 still cannot connect after 60 s: connection refused "
        "(6 failed attempts since the last warning)",
    )
    clock.now += 5
    log.failed("connection refused")
    assert len(lines(caplog)) == 2


def test_each_change_is_logged_and_the_return_says_how_long_it_was_down(
    log: ConnectionLog, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    log.connected()
    assert lines(caplog) == [(logging.INFO, "connected to MQTT broker broker.example:8883 as station-7")]
    clock.now += 100
    log.lost("the connection was closed (by the broker or the network)")
    assert log.problem == "connection lost: the connection was closed (by the broker or the network)"
    clock.now += 1
    log.failed("connection refused")
    clock.now += 2
    log.failed("the broker refused the connection: Not authorized")  # another reason: a line at once
    clock.now += 4
    log.failed("the broker refused the connection: Not authorized")
    clock.now += 5
    log.connected()
    assert log.problem is None and log.failed_attempts == 0
    assert [level for level, _ in lines(caplog)] == [
        logging.INFO,
        logging.WARNING,
        logging.WARNING,
        logging.WARNING,
        logging.INFO,
    ]
    messages = [message for _, message in lines(caplog)]
    assert "station-7 lost its connection: the connection was closed" in messages[1]
    assert messages[2].endswith("cannot connect: connection refused; retrying in the background")
    assert "cannot connect: the broker refused the connection: Not authorized" in messages[3]
    assert messages[4] == (
        "connected to MQTT broker broker.example:8883 as station-7 "
        "after 12.0 s without a connection (3 failed attempts)"
    )
    # The next outage starts its own count and its own first warning.
    log.failed("connection refused")
    assert lines(caplog)[-1][0] == logging.WARNING and len(lines(caplog)) == 6
