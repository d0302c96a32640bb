"""DiniArgeoScale against the Dini Argeo mock on a real pty: every status, OK/ERRxx, addressing, noise."""

from __future__ import annotations

import pytest

from edge.stations.scales.base import ReadingStatus, ScaleError
from edge.stations.scales.dini_argeo import DiniArgeoScale
from firmware_mocks.scales.dini_argeo import DiniArgeoScaleMock
from firmware_mocks.scales.load import SimulatedLoad
from tests.unit.edge.scales.conftest import TIMEOUT_S, TOLERANCE_KG, Bench


def start(
    bench: Bench, load: SimulatedLoad, *, address: int | None = 1, max_garbage: int = 5, **options: object
) -> tuple[DiniArgeoScaleMock, DiniArgeoScale]:
    mock = bench.mock(DiniArgeoScaleMock(load, seed=3, address=address, **options))  # type: ignore[arg-type]
    scale = DiniArgeoScale(mock.path, timeout_s=TIMEOUT_S, address=address, max_garbage=max_garbage)
    return mock, bench.scale(scale)


@pytest.mark.parametrize("unit", ["g", "kg", "lb"])
def test_stable_weight_st(bench: Bench, load: SimulatedLoad, unit: str) -> None:
    load.place(1.234)
    _, scale = start(bench, load, unit=unit)
    reading = scale.read()
    assert reading.stable
    assert reading.status is ReadingStatus.OK
    assert reading.weight_kg == pytest.approx(1.234, abs=TOLERANCE_KG[unit])


def test_unstable_weight_us(bench: Bench, restless: SimulatedLoad) -> None:
    restless.place(2.0)
    _, scale = start(bench, restless)
    reading = scale.read()
    assert not reading.stable
    assert reading.usable
    assert reading.weight_kg == pytest.approx(2.0, abs=0.61)


@pytest.mark.parametrize(
    ("line", "kg"), [("ST,GS,  -1.250,kg", -1.25), ("ST,NT,-  1.250,kg", -1.25), ("ST,GS,  1250.0, g", 1.25)]
)
def test_weight_field_forms(bench: Bench, load: SimulatedLoad, line: str, kg: float) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [line]
    assert scale.read().weight_kg == pytest.approx(kg)


def test_overload_ol(bench: Bench, load: SimulatedLoad) -> None:
    load.place(61.0)
    _, scale = start(bench, load)
    reading = scale.read()
    assert reading.status is ReadingStatus.OVERLOAD
    assert not reading.usable


def test_underload_ul(bench: Bench, load: SimulatedLoad) -> None:
    load.place(-2.0)
    _, scale = start(bench, load)
    assert scale.read().status is ReadingStatus.UNDERLOAD


def test_err03_is_busy(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = ["ERR03"]
    assert scale.read().status is ReadingStatus.BUSY


@pytest.mark.parametrize(("reply", "meaning"), [("ERR01", "stray"), ("ERR02", "wrong"), ("ERR04", "no such")])
def test_errors_raise(bench: Bench, load: SimulatedLoad, reply: str, meaning: str) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [reply]
    with pytest.raises(ScaleError, match=meaning):
        scale.read()


def test_net_after_tare(bench: Bench, load: SimulatedLoad) -> None:
    load.place(0.3)
    mock, scale = start(bench, load)
    assert scale.tare() is True
    assert mock.net
    load.place(1.0)
    assert scale.read().weight_kg == pytest.approx(1.0)


def test_zero_ok(bench: Bench, load: SimulatedLoad) -> None:
    load.place(0.8)
    _, scale = start(bench, load)
    assert scale.zero() is True
    assert scale.read().weight_kg == pytest.approx(0.0)


def test_zero_refused_err03(bench: Bench, restless: SimulatedLoad) -> None:
    restless.place(0.8)
    _, scale = start(bench, restless)
    assert scale.zero() is False


def test_tare_refused_err03(bench: Bench, restless: SimulatedLoad) -> None:
    restless.place(0.3)
    _, scale = start(bench, restless)
    assert scale.tare() is False


def test_tare_refused_over_capacity(bench: Bench, load: SimulatedLoad) -> None:
    load.place(61.0)
    _, scale = start(bench, load)
    assert scale.tare() is False


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


def test_a_late_reply_does_not_answer_the_next_command(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.port.write(b"01ST,GS,  99.000,kg\r\n")  # left over from a read that timed out
    assert scale.read().weight_kg == pytest.approx(1.0)


def test_ten_thousand_noise_lines(bench: Bench, load: SimulatedLoad) -> None:
    """100 lines of random bytes, written in one go, before each of 100 replies."""
    mock, scale = start(bench, load, garbage_rate=1.0, garbage_burst=100, max_garbage=1000)
    for i in range(100):
        load.place(0.01)
        assert scale.read().weight_kg == pytest.approx(0.01 * (i + 1)), i
    assert mock.garbage_sent == 10_000
    assert scale.garbage_lines >= 10_000
