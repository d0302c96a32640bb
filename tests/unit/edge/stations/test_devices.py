"""Device warnings: loud when a problem starts or changes, then at most once a minute while it lasts."""

import logging

import pytest

from edge.stations.devices import DeviceAlarms, DeviceProblem


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_problem_is_warned_when_it_starts_and_changes_and_once_a_minute_while_it_lasts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    alarms = DeviceAlarms(repeat_s=60, clock=clock)
    missing = DeviceProblem("absent", "button board /dev/ttyUSB1: [Errno 2] No such file or directory")
    with caplog.at_level(logging.INFO, logger="edge.stations.devices"):
        for _ in range(60):  # retried every second for a minute: one warning
            alarms.update("buttons", missing)
            clock.now += 1
        assert [r.levelno for r in caplog.records] == [logging.WARNING]
        assert "buttons missing: button board /dev/ttyUSB1" in caplog.text and "[buttons_absent]" in caplog.text
        alarms.update("buttons", missing)
        clock.now += 1
        assert len(caplog.records) == 2 and "still missing after 60 s" in caplog.records[-1].getMessage()
        assert alarms.codes() == ["buttons_absent"]
        alarms.update("buttons", DeviceProblem("fault", "button board /dev/ttyUSB1: lost: read failed"))
        assert len(caplog.records) == 3 and "buttons failing" in caplog.records[-1].getMessage()
        assert alarms.codes() == ["buttons_fault"]
        alarms.update("scale", DeviceProblem("absent", "scale /dev/ttyUSB0: cannot open"))
        assert alarms.codes() == ["scale_absent", "buttons_fault"]
        alarms.update("buttons", None)
        assert caplog.records[-1].levelno == logging.INFO and "buttons works again" in caplog.records[-1].getMessage()
        assert alarms.codes() == ["scale_absent"]
