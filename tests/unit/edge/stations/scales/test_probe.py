"""probe() tells the four protocols apart on real ptys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from edge.stations.scales.base import ScaleError
from edge.stations.scales.probe import probe
from firmware_mocks.pty_port import PtyPort
from firmware_mocks.scales.and_fx import AndScaleMock
from firmware_mocks.scales.cas import CasScaleMock
from firmware_mocks.scales.dini_argeo import DiniArgeoScaleMock
from firmware_mocks.scales.load import SimulatedLoad
from firmware_mocks.scales.mt_sics import MtSicsScaleMock
from tests.unit.edge.stations.conftest import Bench

PROBE_S = 0.2


MOCKS: dict[str, Callable[[SimulatedLoad], Any]] = {
    "mt-sics": MtSicsScaleMock,
    "and": AndScaleMock,
    "dini-argeo": DiniArgeoScaleMock,
    "cas": CasScaleMock,
}


@pytest.mark.parametrize("name", list(MOCKS))
def test_probe_finds_each_protocol(bench: Bench, load: SimulatedLoad, name: str) -> None:
    mock = bench.mock(MOCKS[name](load))
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
