"""probe() tells the four protocols apart on real ptys; open_scale() opens each driver by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from edge.stations.scales.and_fx import AndScale
from edge.stations.scales.base import ScaleError
from edge.stations.scales.cas import CasScale
from edge.stations.scales.dini_argeo import DiniArgeoScale
from edge.stations.scales.mt_sics import MtSicsScale
from edge.stations.scales.probe import probe
from edge.stations.scales.registry import DRIVERS, open_scale
from firmware_mocks.pty_port import PtyPort
from firmware_mocks.scales.and_fx import AndScaleMock
from firmware_mocks.scales.cas import CasScaleMock
from firmware_mocks.scales.dini_argeo import DiniArgeoScaleMock
from firmware_mocks.scales.load import SimulatedLoad
from firmware_mocks.scales.mt_sics import MtSicsScaleMock
from tests.unit.edge.scales.conftest import TIMEOUT_S, Bench

PROBE_S = 0.2


MOCKS: dict[str, tuple[Callable[[SimulatedLoad], Any], type]] = {
    "mt-sics": (MtSicsScaleMock, MtSicsScale),
    "and": (AndScaleMock, AndScale),
    "dini-argeo": (DiniArgeoScaleMock, DiniArgeoScale),
    "cas": (CasScaleMock, CasScale),
}


def test_driver_names() -> None:
    assert DRIVERS == ("mt-sics", "and", "dini-argeo", "cas", "auto")


@pytest.mark.parametrize("name", list(MOCKS))
def test_probe_finds_each_protocol(bench: Bench, load: SimulatedLoad, name: str) -> None:
    make_mock, _ = MOCKS[name]
    mock = bench.mock(make_mock(load))
    assert probe(mock.path, 9600, timeout_s=PROBE_S) == name


def test_probe_finds_a_dini_on_another_address(bench: Bench, load: SimulatedLoad) -> None:
    mock = bench.mock(DiniArgeoScaleMock(load, address=7))
    assert probe(mock.path, 9600, timeout_s=PROBE_S, dini_address=7) == "dini-argeo"


def test_probe_finds_an_and_balance_that_is_busy(bench: Bench, load: SimulatedLoad) -> None:
    mock = bench.mock(AndScaleMock(load))
    mock.force_reply = ["EC,E02", "EC,E02"]  # to SI (not mistaken for MT-SICS), then to Q
    assert probe(mock.path, 9600, timeout_s=PROBE_S) == "and"


def test_probe_raises_when_nothing_answers() -> None:
    silent = PtyPort()
    try:
        with pytest.raises(ScaleError, match="no scale protocol answered"):
            probe(silent.path, 9600, timeout_s=0.05)
    finally:
        silent.close()


def test_probe_raises_for_a_missing_port() -> None:
    with pytest.raises(ScaleError, match="cannot open"):
        probe("/dev/does-not-exist-scale", 9600)


@pytest.mark.parametrize("name", list(MOCKS))
def test_open_scale_by_name(bench: Bench, load: SimulatedLoad, name: str) -> None:
    make_mock, driver_class = MOCKS[name]
    load.place(1.5)
    mock = bench.mock(make_mock(load))
    scale = bench.scale(open_scale(name, mock.path, 9600, timeout_s=TIMEOUT_S))
    assert isinstance(scale, driver_class)
    assert scale.read().weight_kg == pytest.approx(1.5)


@pytest.mark.parametrize("name", list(MOCKS))
def test_open_scale_auto(bench: Bench, load: SimulatedLoad, name: str) -> None:
    make_mock, driver_class = MOCKS[name]
    load.place(0.75)
    mock = bench.mock(make_mock(load))
    # "address" only applies to the Dini driver; the others must not be handed it.
    scale = bench.scale(open_scale("auto", mock.path, 9600, timeout_s=TIMEOUT_S, address=1))
    assert isinstance(scale, driver_class)
    assert scale.read().weight_kg == pytest.approx(0.75)


def test_open_scale_passes_driver_options(bench: Bench, load: SimulatedLoad) -> None:
    load.place(0.5)
    mock = bench.mock(DiniArgeoScaleMock(load, address=12))
    scale = bench.scale(open_scale("dini-argeo", mock.path, 9600, timeout_s=TIMEOUT_S, address=12))
    assert scale.read().weight_kg == pytest.approx(0.5)


def test_open_scale_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown scale driver"):
        open_scale("sartorius", "/dev/null", 9600)


@pytest.mark.parametrize("name", list(MOCKS))
def test_a_port_that_went_away_raises_scale_error(bench: Bench, load: SimulatedLoad, name: str) -> None:
    """The station treats ScaleError as "scale fault" and reopens; any other error would escape it."""
    make_mock, _ = MOCKS[name]
    mock = make_mock(load)
    mock.start()
    scale = bench.scale(open_scale(name, mock.path, 9600, timeout_s=TIMEOUT_S))
    scale.read()
    mock.stop()  # the pty closes, as when the USB adapter is pulled
    with pytest.raises(ScaleError):
        scale.read()
