"""DiniArgeoScale specifics on a real pty (the common behaviour is in test_conformance.py): OK/ERRxx, addressing."""

from __future__ import annotations

import pytest

from edge.stations.scales.base import ScaleError
from edge.stations.scales.dini_argeo import DiniArgeoScale
from firmware_mocks.scales.dini_argeo import DiniArgeoScaleMock
from firmware_mocks.scales.load import SimulatedLoad
from tests.unit.edge.stations.conftest import TIMEOUT_S, Bench


def start(
    bench: Bench, load: SimulatedLoad, *, address: int | None = 1, max_garbage: int = 5, **options: object
) -> tuple[DiniArgeoScaleMock, DiniArgeoScale]:
    mock = bench.mock(DiniArgeoScaleMock(load, seed=3, address=address, **options))  # type: ignore[arg-type]
    scale = DiniArgeoScale(mock.path, timeout_s=TIMEOUT_S, address=address, max_garbage=max_garbage)
    return mock, bench.scale(scale)


@pytest.mark.parametrize(
    ("line", "kg"), [("ST,GS,  -1.250,kg", -1.25), ("ST,NT,-  1.250,kg", -1.25), ("ST,GS,  1250.0, g", 1.25)]
)
def test_weight_field_forms(bench: Bench, load: SimulatedLoad, line: str, kg: float) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [line]
    assert scale.read().weight_kg == pytest.approx(kg)


def test_net_after_tare(bench: Bench, load: SimulatedLoad) -> None:
    load.place(0.3)
    mock, scale = start(bench, load)
    assert scale.tare() is True
    assert mock.net
    load.place(1.0)
    assert scale.read().weight_kg == pytest.approx(1.0)


@pytest.mark.parametrize("reply", ["ERR01", "ERR02", "ERR04"])
def test_zero_and_tare_errors_raise(bench: Bench, load: SimulatedLoad, reply: str) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [reply, reply]
    with pytest.raises(ScaleError, match=reply):
        scale.zero()
    with pytest.raises(ScaleError, match=reply):
        scale.tare()


def test_rs232_form_without_address(bench: Bench, load: SimulatedLoad) -> None:
    load.place(0.7)
    mock, scale = start(bench, load, address=None)
    assert scale.read().weight_kg == pytest.approx(0.7)
    assert scale.zero() is True
    assert mock.commands_seen == 2


def test_another_address_gets_no_answer(bench: Bench, load: SimulatedLoad) -> None:
    mock = bench.mock(DiniArgeoScaleMock(load, address=1))
    scale = bench.scale(DiniArgeoScale(mock.path, timeout_s=TIMEOUT_S, address=2))
    with pytest.raises(ScaleError, match="02READ"):
        scale.read()
    assert mock.commands_seen == 0
