"""AndScale specifics on a real pty (the common behaviour is in test_conformance.py): frames, AK, stream mode."""

from __future__ import annotations

import time

import pytest

from edge.stations.scales.and_fx import AndScale, parse_frame
from edge.stations.scales.base import ReadingStatus, ScaleError
from firmware_mocks.scales.and_fx import AndScaleMock
from firmware_mocks.scales.load import SimulatedLoad
from tests.conftest import wait_until
from tests.unit.edge.stations.conftest import TIMEOUT_S, Bench


def start(
    bench: Bench,
    load: SimulatedLoad,
    *,
    continuous: bool = False,
    max_garbage: int = 5,
    settle_timeout_s: float = 1.0,
    **options: object,
) -> tuple[AndScaleMock, AndScale]:
    mock = bench.mock(AndScaleMock(load, seed=3, settle_wait_s=0.05, continuous=continuous, **options))  # type: ignore[arg-type]
    scale = AndScale(
        mock.path,
        timeout_s=TIMEOUT_S,
        settle_timeout_s=settle_timeout_s,
        continuous=continuous,
        max_garbage=max_garbage,
    )
    return mock, bench.scale(scale)


@pytest.mark.parametrize(
    ("line", "kg", "stable"),
    [
        ("ST,+00012.34  g", 0.01234, True),
        ("US,-0001.250 kg", -1.25, False),
        ("ST,+0002.000 lb", 0.90718474, True),
    ],
)
def test_frame_layout(line: str, kg: float, stable: bool) -> None:
    reading = parse_frame(line)
    assert reading is not None
    assert reading.weight_kg == pytest.approx(kg)
    assert reading.stable is stable


def test_negative_weight(bench: Bench, load: SimulatedLoad) -> None:
    load.place(-0.5)
    _, scale = start(bench, load)
    assert scale.read().weight_kg == pytest.approx(-0.5)


def test_gx_style_overload_filler(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = ["OL,+9999999E+19  g"]
    assert scale.read().status is ReadingStatus.OVERLOAD


def test_counting_mode_qt_is_no_weight(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.pieces_kg = 0.01
    with pytest.raises(ScaleError, match="counting"):
        scale.read()


@pytest.mark.parametrize("reply", ["EC,E02", "EC,E2", "EC,E11"])
def test_not_ready_is_busy(bench: Bench, load: SimulatedLoad, reply: str) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [reply]
    assert scale.read().status is ReadingStatus.BUSY


def test_zero_refused_not_ready(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = ["EC,E02"]
    assert scale.zero() is False


def test_zero_error_raises(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = ["\x06\r\nEC,E00"]
    with pytest.raises(ScaleError, match="communications"):
        scale.zero()


def test_zero_without_completion_times_out(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load, settle_timeout_s=0.2)
    mock.force_reply = ["\x06"]
    with pytest.raises(ScaleError, match="in time"):
        scale.zero()


def test_stream_mode_returns_the_newest_frame(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load, continuous=True, stream_interval_s=0.01)
    assert scale.read().weight_kg == pytest.approx(1.0)
    load.place(0.5)
    sent = mock.frames_sent
    assert wait_until(lambda: mock.frames_sent > sent + 3, timeout=2, interval=0.01)
    assert scale.read().weight_kg == pytest.approx(1.5)


def test_stream_mode_zero_and_tare_between_frames(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    _, scale = start(bench, load, continuous=True, stream_interval_s=0.01)
    assert scale.zero() is True
    assert scale.tare() is True
    load.place(0.25)
    time.sleep(0.05)
    assert scale.read().weight_kg == pytest.approx(0.25)
    assert scale.garbage_lines == 0


def test_stream_is_started_by_sir_and_stopped_on_close(bench: Bench, load: SimulatedLoad) -> None:
    mock = bench.mock(AndScaleMock(load, stream_interval_s=0.01))
    scale = AndScale(mock.path, timeout_s=TIMEOUT_S, continuous=True)
    assert scale.read().weight_kg == pytest.approx(0.0)
    assert mock.continuous
    scale.close()
    assert wait_until(lambda: not mock.continuous, timeout=1, interval=0.01)


def test_noise_in_stream_mode(bench: Bench, load: SimulatedLoad) -> None:
    """20 lines of noise before every frame: with no frame queued yet, a read waits through a whole burst, so
    the driver must allow more than 20 noise lines in a row (with the default 5 this failed under load)."""
    load.place(2.0)
    mock, scale = start(
        bench, load, continuous=True, stream_interval_s=0.005, garbage_rate=1.0, garbage_burst=20, max_garbage=100
    )
    for _ in range(20):
        time.sleep(0.01)
        assert scale.read().weight_kg == pytest.approx(2.0)
    assert scale.garbage_lines >= 100
    assert mock.garbage_sent > 0
