"""MtSicsScale against the MT-SICS mock on a real pty: every reply type, units, line noise."""

from __future__ import annotations

import pytest

from edge.stations.scales.base import ReadingStatus, ScaleError
from edge.stations.scales.mt_sics import MtSicsScale
from firmware_mocks.scales.load import SimulatedLoad
from firmware_mocks.scales.mt_sics import MtSicsScaleMock
from tests.unit.edge.scales.conftest import TIMEOUT_S, TOLERANCE_KG, Bench, make_load


def start(bench: Bench, load: SimulatedLoad, **options: object) -> tuple[MtSicsScaleMock, MtSicsScale]:
    mock = bench.mock(MtSicsScaleMock(load, seed=3, **options))  # type: ignore[arg-type]
    return mock, bench.scale(MtSicsScale(mock.path, timeout_s=TIMEOUT_S))


@pytest.mark.parametrize("unit", ["g", "kg"])
def test_stable_weight_s_s(bench: Bench, load: SimulatedLoad, unit: str) -> None:
    load.place(1.234)
    _, scale = start(bench, load, unit=unit)
    reading = scale.read()
    assert reading.stable
    assert reading.status is ReadingStatus.OK
    assert reading.weight_kg == pytest.approx(1.234, abs=TOLERANCE_KG[unit])


def test_pounds_from_the_wire_are_converted(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = ["S S      2.500 lb"]
    assert scale.read().weight_kg == pytest.approx(2.5 * 0.45359237)


def test_dynamic_weight_s_d(bench: Bench, restless: SimulatedLoad) -> None:
    restless.place(2.0)
    _, scale = start(bench, restless)
    reading = scale.read()
    assert not reading.stable
    assert reading.usable
    assert reading.weight_kg == pytest.approx(2.0, abs=0.61)


def test_cannot_execute_s_i_is_busy(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = ["S I"]
    assert scale.read().status is ReadingStatus.BUSY


def test_overload_s_plus(bench: Bench, load: SimulatedLoad) -> None:
    load.place(61.0)
    _, scale = start(bench, load)
    reading = scale.read()
    assert reading.status is ReadingStatus.OVERLOAD
    assert not reading.usable


def test_underload_s_minus(bench: Bench, load: SimulatedLoad) -> None:
    load.place(-2.0)
    _, scale = start(bench, load)
    assert scale.read().status is ReadingStatus.UNDERLOAD


@pytest.mark.parametrize(("reply", "meaning"), [("ES", "syntax"), ("ET", "transmission"), ("EL", "logical")])
def test_error_replies_raise(bench: Bench, load: SimulatedLoad, reply: str, meaning: str) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [reply]
    with pytest.raises(ScaleError, match=meaning):
        scale.read()


def test_read_stable_waits_for_the_load_to_settle(bench: Bench) -> None:
    settling = make_load(settle_s=0.15)
    settling.place(1.5)
    _, scale = start(bench, settling)
    reading = scale.read_stable()
    assert reading.stable
    assert reading.weight_kg == pytest.approx(1.5)


def test_zero_z_a(bench: Bench, load: SimulatedLoad) -> None:
    load.place(0.8)
    _, scale = start(bench, load)
    assert scale.zero() is True
    assert scale.read().weight_kg == pytest.approx(0.0)


def test_zero_refused_z_i(bench: Bench, restless: SimulatedLoad) -> None:
    restless.place(0.8)
    _, scale = start(bench, restless)
    assert scale.zero() is False


def test_tare_t_s(bench: Bench, load: SimulatedLoad) -> None:
    load.place(0.3)
    _, scale = start(bench, load)
    assert scale.tare() is True
    load.place(1.0)
    assert scale.read().weight_kg == pytest.approx(1.0)


def test_tare_refused_t_i(bench: Bench, restless: SimulatedLoad) -> None:
    restless.place(0.3)
    _, scale = start(bench, restless)
    assert scale.tare() is False


def test_noise_that_starts_like_a_reply_is_skipped(bench: Bench, load: SimulatedLoad) -> None:
    """Regression: "S" or "S x" from noise was taken for the reply, and the real one answered the next read."""
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.force_reply = ["S\r\nS \x1fx\r\nS S      1.000 kg"]
    assert scale.read().weight_kg == pytest.approx(1.0)
    assert scale.garbage_lines == 2
    load.place(1.0)
    assert scale.read().weight_kg == pytest.approx(2.0)


def test_a_late_reply_does_not_answer_the_next_command(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.port.write(b"S S     99.000 kg\r\n")  # left over from a read that timed out
    assert scale.read().weight_kg == pytest.approx(1.0)


def test_ten_thousand_noise_lines(bench: Bench, load: SimulatedLoad) -> None:
    """One line of random bytes before every reply (the mock's garbage_rate=1.0), 10,000 replies."""
    _, scale = start(bench, load, garbage_rate=1.0)
    for i in range(10_000):
        if i % 100 == 0:
            load.place(0.001)
        assert scale.read().weight_kg == pytest.approx(0.001 * (i // 100 + 1)), i
    assert scale.garbage_lines >= 10_000
