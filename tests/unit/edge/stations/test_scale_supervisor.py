"""Scale supervision: opening (again), reading, the stable weight, health and the problem the warnings name."""

import logging
from pathlib import Path

import pytest

from core.contract import DeviceHealth
from edge.stations.scale_supervisor import ScaleSupervisor
from edge.stations.scales import Reading, ScaleError
from firmware_mocks.in_process import ScriptedScale
from tests.unit.edge.stations.configs import station_config


class FlakyScale(ScriptedScale):
    """A scripted scale whose reads fail while ``failing`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False
        self.closed = 0

    def read(self) -> Reading:
        if self.failing:
            raise ScaleError("timeout")
        return super().read()

    def close(self) -> None:
        self.closed += 1


class Opener:
    """Opens the one scale, or fails like a port that is not there."""

    def __init__(self, scale: FlakyScale) -> None:
        self.scale = scale
        self.missing = False
        self.opened = 0

    def __call__(self) -> FlakyScale:
        if self.missing:
            raise ScaleError("no such port")
        self.opened += 1
        return self.scale


@pytest.fixture
def opener() -> Opener:
    return Opener(FlakyScale())


def supervisor(tmp_path: Path, opener: Opener, **scale: object) -> ScaleSupervisor:
    # stable_time_s = 0: a reading the scale calls stable is stable at once (no waiting in a unit test).
    return ScaleSupervisor(station_config(tmp_path, scale={"stable_time_s": 0.0} | scale), opener)


def test_a_scale_that_does_not_open_is_a_fault_named_absent_until_it_opens(tmp_path: Path, opener: Opener) -> None:
    scales = supervisor(tmp_path, opener)
    assert scales.health is DeviceHealth.ABSENT and not scales.is_open  # nothing known before the first poll
    opener.missing = True
    assert scales.poll() is None
    assert scales.health is DeviceHealth.FAULT  # configured: never "absent" on the wire
    assert scales.problem is not None and scales.problem.kind == "absent"
    assert "no such port" in scales.problem.reason and "/dev/serial/by-id/usb-mettler-scale" in scales.problem.reason
    opener.missing = False
    opener.scale.reading = Reading(0.25, True)
    weight = scales.poll()
    assert weight is not None and (weight.weight_kg, weight.stable, weight.loaded) == (0.25, True, True)
    assert (scales.health, scales.problem, scales.is_open) == (DeviceHealth.OK, None, True)


def test_a_scale_that_stops_answering_is_closed_and_opened_again(tmp_path: Path, opener: Opener) -> None:
    scales = supervisor(tmp_path, opener)
    assert scales.poll() is not None
    opener.scale.failing = True
    assert scales.poll() is None
    assert scales.problem is not None and scales.problem.kind == "fault" and not scales.is_open
    assert opener.scale.closed == 1
    opener.scale.failing = False
    assert scales.poll() is not None and opener.opened == 2


def test_zero_on_start_only_with_a_nearly_empty_steady_plate(tmp_path: Path, opener: Opener) -> None:
    opener.scale.reading = Reading(0.012, True)  # drift: under 4 x the 5 g minimum
    supervisor(tmp_path, opener).poll()
    assert opener.scale.zeroed == 1
    left_on = Opener(FlakyScale())
    left_on.scale.reading = Reading(0.5, True)  # the sorter's item, still on the plate after a restart
    supervisor(tmp_path, left_on).poll()
    assert left_on.scale.zeroed == 0
    off = Opener(FlakyScale())
    supervisor(tmp_path, off, zero_on_start=False).poll()
    assert off.scale.zeroed == 0


def test_tare_and_zero_go_to_the_open_scale(tmp_path: Path, opener: Opener, caplog: pytest.LogCaptureFixture) -> None:
    scales = supervisor(tmp_path, opener, zero_on_start=False)
    with caplog.at_level(logging.INFO, logger="edge.stations.scale_supervisor"):
        scales.command("zero")  # not open yet: nothing to send it to
        assert opener.scale.zeroed == 0 and "zero refused: no scale" in caplog.text
        scales.poll()
        scales.command("zero")
        scales.command("tare")
    assert opener.scale.zeroed == 1
    assert "zero done" in caplog.text and "tare done" in caplog.text
    scales.close()
    assert not scales.is_open and opener.scale.closed == 1
