"""What every scale driver promises the station, checked against each driver and its firmware mock on a real pty.

One case per protocol says how that protocol spells the common situations (a busy scale, an error reply, a
reply left over from an earlier command); the tests are the same for all. What only one protocol has (its
frame layout, its error table, A&D's stream mode, Dini addressing, the CAS check byte) stays in that
driver's own test module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest
from pydantic import TypeAdapter

from config.drivers import ScaleConfig
from edge.stations.drivers import open_scale
from edge.stations.scales.and_fx import AndScale
from edge.stations.scales.base import Reading, ReadingStatus, Scale, ScaleError
from edge.stations.scales.cas import CasScale
from edge.stations.scales.dini_argeo import DiniArgeoScale
from edge.stations.scales.mt_sics import MtSicsScale
from firmware_mocks.pty_port import PtyPort
from firmware_mocks.scales.and_fx import AndScaleMock
from firmware_mocks.scales.base import ScaleMock
from firmware_mocks.scales.cas import ACK, NAK, CasScaleMock, frame
from firmware_mocks.scales.dini_argeo import DiniArgeoScaleMock
from firmware_mocks.scales.load import SimulatedLoad
from firmware_mocks.scales.mt_sics import MtSicsScaleMock
from tests.unit.edge.stations.conftest import TIMEOUT_S, TOLERANCE_KG, Bench, make_load


class Driver(Scale, Protocol):
    """A scale driver as the tests see it: the station's protocol plus the noise counter all of them keep."""

    garbage_lines: int


@dataclass(frozen=True)
class Case:
    name: str
    mock: Callable[..., ScaleMock]
    scale: Callable[..., Any]  # the driver class: (port, **options) -> Driver
    units: dict[str, float]  # unit on the wire -> tolerance of a reading in kg
    busy: list[Any]  # forced replies after which a read is BUSY
    errors: list[tuple[list[Any], str]]  # forced replies after which a read raises ScaleError saying this
    late: bytes  # a whole reply, as if left over from a read that timed out
    noise: tuple[int, int]  # reads, and lines (or runs) of noise before each reply
    noise_options: dict[str, Any] = field(default_factory=dict)  # driver options for that much noise
    config: dict[str, Any] = field(default_factory=dict)  # what its config section needs to reach the mock
    mock_options: dict[str, Any] = field(default_factory=dict)  # to keep the tests quick
    read_stable: bool = False  # a command that waits for a stable weight (MT-SICS S, A&D S)
    zero_and_tare: bool = True  # CAS ECR has neither command
    underload_code: bool = True  # CAS ECR has none: a lifted plate reads below zero

    def __str__(self) -> str:
        return self.name


CASES = [
    Case(
        "mt-sics",
        MtSicsScaleMock,
        MtSicsScale,
        units={"g": TOLERANCE_KG["g"], "kg": TOLERANCE_KG["kg"]},
        busy=["S I"],
        errors=[(["ES"], "syntax error"), (["ET"], "transmission error"), (["EL"], "logical error")],
        late=b"S S     99.000 kg\r\n",
        noise=(10_000, 1),
        read_stable=True,
    ),
    Case(
        "and",
        AndScaleMock,
        AndScale,
        units=TOLERANCE_KG,
        busy=["EC,E02"],
        errors=[
            (["EC,E00"], "communications"),
            (["EC,E01"], "undefined command"),
            (["EC,E1"], "undefined command"),
            (["EC,E03"], "timeout"),
            (["EC,E04"], "excess characters"),
            (["EC,E06"], "format"),
            (["EC,E07"], "parameter"),
        ],
        late=b"ST,+0099.000 kg\r\n",
        noise=(100, 100),
        noise_options={"max_garbage": 1000},
        mock_options={"settle_wait_s": 0.05},
        read_stable=True,
    ),
    Case(
        "dini-argeo",
        DiniArgeoScaleMock,
        DiniArgeoScale,
        units=TOLERANCE_KG,
        busy=["ERR03"],
        errors=[(["ERR01"], "stray"), (["ERR02"], "wrong"), (["ERR04"], "no such command")],
        late=b"01ST,GS,  99.000,kg\r\n",
        noise=(100, 100),
        noise_options={"max_garbage": 1000},
        config={"address": 1},
    ),
    Case(
        "cas",
        CasScaleMock,
        CasScale,
        units={"g": 0.0005, "kg": TOLERANCE_KG["kg"], "lb": 0.0023},
        busy=[bytes([NAK])] * 5,
        errors=[([bytes([ACK]), frame("S", " ", "09.999", "kg", corrupt=True)] * 5, "intact")],
        late=bytes([ACK]) + frame("S", " ", "99.000", "kg"),
        noise=(1000, 5),
        zero_and_tare=False,
        underload_code=False,
    ),
]
ZERO_AND_TARE = [case for case in CASES if case.zero_and_tare]


def start(bench: Bench, case: Case, load: SimulatedLoad, **mock_options: Any) -> tuple[Any, Driver]:
    mock = bench.mock(case.mock(load, seed=3, **case.mock_options | mock_options))
    driver_options = case.noise_options if mock_options.get("garbage_rate") else {}
    return mock, bench.scale(case.scale(mock.path, timeout_s=TIMEOUT_S, **driver_options))


def read(bench: Bench, case: Case, load: SimulatedLoad, **mock_options: Any) -> Reading:
    return start(bench, case, load, **mock_options)[1].read()


def units(cases: list[Case]) -> list[Any]:
    return [pytest.param(case, unit, id=f"{case}-{unit}") for case in cases for unit in case.units]


@pytest.mark.parametrize(("case", "unit"), units(CASES))
def test_stable_weight_in_kg(bench: Bench, load: SimulatedLoad, case: Case, unit: str) -> None:
    load.place(1.234)
    reading = read(bench, case, load, unit=unit)
    assert reading.stable
    assert reading.status is ReadingStatus.OK
    assert reading.weight_kg == pytest.approx(1.234, abs=case.units[unit])


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unstable_weight_is_usable_but_not_stable(bench: Bench, restless: SimulatedLoad, case: Case) -> None:
    restless.place(2.0)
    reading = read(bench, case, restless)
    assert not reading.stable
    assert reading.usable
    assert reading.weight_kg == pytest.approx(2.0, abs=0.61)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_overload(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    load.place(61.0)
    reading = read(bench, case, load)
    assert reading.status is ReadingStatus.OVERLOAD
    assert not reading.usable


@pytest.mark.parametrize("case", CASES, ids=str)
def test_below_zero(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    load.place(-2.0)
    reading = read(bench, case, load)
    if case.underload_code:
        assert reading.status is ReadingStatus.UNDERLOAD
        assert not reading.usable
    else:
        assert reading.status is ReadingStatus.OK
        assert reading.weight_kg == pytest.approx(-2.0)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_not_now_is_busy(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    mock, scale = start(bench, case, load)
    mock.force_reply = list(case.busy)
    assert scale.read().status is ReadingStatus.BUSY


@pytest.mark.parametrize(
    ("case", "replies", "says"),
    [pytest.param(case, replies, says, id=f"{case}-{says}") for case in CASES for replies, says in case.errors],
)
def test_error_reply_raises(bench: Bench, load: SimulatedLoad, case: Case, replies: list[Any], says: str) -> None:
    mock, scale = start(bench, case, load)
    mock.force_reply = list(replies)
    with pytest.raises(ScaleError, match=says):
        scale.read()


@pytest.mark.parametrize("case", [case for case in CASES if case.read_stable], ids=str)
def test_read_stable_waits_for_the_load_to_settle(bench: Bench, case: Case) -> None:
    settling = make_load(settle_s=0.15)  # MT-SICS S must answer within the read timeout (TIMEOUT_S)
    settling.place(1.5)
    _, scale = start(bench, case, settling)
    reading = scale.read_stable()  # type: ignore[attr-defined]
    assert reading.stable
    assert reading.weight_kg == pytest.approx(1.5)


@pytest.mark.parametrize("case", ZERO_AND_TARE, ids=str)
def test_zero(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    load.place(0.8)
    _, scale = start(bench, case, load)
    assert scale.zero() is True
    assert scale.read().weight_kg == pytest.approx(0.0)


@pytest.mark.parametrize("case", ZERO_AND_TARE, ids=str)
def test_tare(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    load.place(0.3)
    _, scale = start(bench, case, load)
    assert scale.tare() is True
    load.place(1.0)
    assert scale.read().weight_kg == pytest.approx(1.0)


@pytest.mark.parametrize("case", ZERO_AND_TARE, ids=str)
def test_zero_and_tare_refused_while_unstable(bench: Bench, restless: SimulatedLoad, case: Case) -> None:
    restless.place(0.8)
    _, scale = start(bench, case, restless)
    assert scale.zero() is False
    assert scale.tare() is False


@pytest.mark.parametrize("case", ZERO_AND_TARE, ids=str)
def test_tare_refused_over_capacity(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    load.place(61.0)
    _, scale = start(bench, case, load)
    assert scale.tare() is False


@pytest.mark.parametrize("case", [case for case in CASES if not case.zero_and_tare], ids=str)
def test_without_zero_and_tare_nothing_is_sent(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    mock, scale = start(bench, case, load)
    assert scale.zero() is False
    assert scale.tare() is False
    assert mock.commands_seen == 0


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_late_reply_does_not_answer_the_next_read(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    load.place(1.0)
    mock, scale = start(bench, case, load)
    mock.port.write(case.late)
    assert scale.read().weight_kg == pytest.approx(1.0)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_noise_before_every_reply_is_skipped_and_counted(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    """Random bytes before every reply: each reading is still right, and the noise is counted.

    A protocol without lines (CAS) counts each run of noise once; a run holding an ACK or NAK byte is cut
    there, so a little fewer runs than bursts are counted."""
    reads, burst = case.noise
    mock, scale = start(bench, case, load, garbage_rate=1.0, garbage_burst=burst)
    step = max(1, reads // 100)
    for i in range(reads):
        if i % step == 0:
            load.place(0.01)
        assert scale.read().weight_kg == pytest.approx(0.01 * (i // step + 1)), i
    assert mock.garbage_sent >= reads * (burst if case.name != "cas" else 1)
    assert scale.garbage_lines >= 0.9 * mock.garbage_sent


@pytest.mark.parametrize("case", CASES, ids=str)
def test_nothing_answering_raises_scale_error(bench: Bench, case: Case) -> None:
    """A port with no scale behind it (switched off, wrong port): the read fails in time, it does not hang."""
    silent = PtyPort()
    try:
        scale = bench.scale(case.scale(silent.path, timeout_s=0.1))
        with pytest.raises(ScaleError, match="in time"):
            scale.read()
    finally:
        silent.close()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_port_that_went_away_raises_scale_error(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    """The station treats ScaleError as "scale fault" and reopens; any other error would escape it."""
    mock = case.mock(load)
    mock.start()
    scale = bench.scale(case.scale(mock.path, timeout_s=TIMEOUT_S))
    scale.read()
    mock.stop()  # the pty closes, as when the USB adapter is pulled
    with pytest.raises(ScaleError):
        scale.read()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_missing_port_raises_scale_error(case: Case) -> None:
    with pytest.raises(ScaleError, match="cannot open"):
        case.scale("/dev/does-not-exist-scale")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_opened_from_its_config_section(bench: Bench, load: SimulatedLoad, case: Case) -> None:
    load.place(1.5)
    mock = bench.mock(case.mock(load))
    config = TypeAdapter(ScaleConfig).validate_python({"driver": case.name, "port": mock.path} | case.config)
    scale = bench.scale(open_scale(config))
    assert type(scale) is case.scale
    assert scale.read().weight_kg == pytest.approx(1.5)
