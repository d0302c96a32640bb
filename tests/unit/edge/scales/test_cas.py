"""CasScale against the CAS ECR mock on a real pty: the handshake, every status, the check byte, noise."""

from __future__ import annotations

import pytest

from edge.stations.scales.base import ReadingStatus, ScaleError
from edge.stations.scales.cas import CasScale, bcc, parse_frame
from firmware_mocks.scales.cas import ACK, NAK, CasScaleMock, frame
from firmware_mocks.scales.load import SimulatedLoad
from tests.unit.edge.scales.conftest import TIMEOUT_S, Bench


def start(bench: Bench, load: SimulatedLoad, **options: object) -> tuple[CasScaleMock, CasScale]:
    mock = bench.mock(CasScaleMock(load, seed=3, **options))  # type: ignore[arg-type]
    return mock, bench.scale(CasScale(mock.path, timeout_s=TIMEOUT_S))


def test_frame_layout_and_check_byte() -> None:
    wire = bytes.fromhex("01 02") + b"S 01.234kg" + bytes([0x65]) + bytes.fromhex("03 04")
    # Worked by hand: "S" ^ " " = 0x73; the digits "01.234" xor to 0x1A, 0x73 ^ 0x1A = 0x69; "kg" xor to 0x0C.
    assert bcc(b"S 01.234kg") == 0x69 ^ 0x0C == 0x65
    assert frame("S", " ", "01.234", "kg") == wire
    reading = parse_frame(wire)
    assert reading is not None
    assert reading.weight_kg == pytest.approx(1.234)
    assert reading.stable


@pytest.mark.parametrize(("unit", "tolerance"), [("g", 0.0005), ("kg", 0.0000001), ("lb", 0.0023)])
def test_stable_weight_s(bench: Bench, load: SimulatedLoad, unit: str, tolerance: float) -> None:
    load.place(1.234)
    _, scale = start(bench, load, unit=unit)
    reading = scale.read()
    assert reading.stable
    assert reading.status is ReadingStatus.OK
    assert reading.weight_kg == pytest.approx(1.234, abs=tolerance)


def test_upper_case_unit(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([ACK]), frame("S", " ", "02.500", "LB")]
    assert scale.read().weight_kg == pytest.approx(2.5 * 0.45359237)


def test_unstable_weight_u(bench: Bench, restless: SimulatedLoad) -> None:
    restless.place(2.0)
    _, scale = start(bench, restless)
    reading = scale.read()
    assert not reading.stable
    assert reading.usable
    assert reading.weight_kg == pytest.approx(2.0, abs=0.61)


def test_negative_weight(bench: Bench, load: SimulatedLoad) -> None:
    load.place(-2.0)  # the ECR format has no underload code: a lifted plate reads below zero
    _, scale = start(bench, load)
    reading = scale.read()
    assert reading.weight_kg == pytest.approx(-2.0)
    assert reading.status is ReadingStatus.OK


def test_overload_sign_f(bench: Bench, load: SimulatedLoad) -> None:
    load.place(61.0)
    _, scale = start(bench, load)
    reading = scale.read()
    assert reading.status is ReadingStatus.OVERLOAD
    assert not reading.usable


def test_nak_to_enq_is_asked_again(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([NAK]), bytes([NAK])]
    assert scale.read().weight_kg == pytest.approx(1.0)
    assert scale.garbage_lines == 0


def test_nak_to_dc1_is_asked_again(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([ACK]), bytes([NAK])]
    assert scale.read().weight_kg == pytest.approx(1.0)


def test_nak_every_time_is_busy(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([NAK])] * 5
    assert scale.read().status is ReadingStatus.BUSY


def test_frame_failing_its_check_is_garbage_and_asked_again(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([ACK]), frame("S", " ", "09.999", "kg", corrupt=True)]
    assert scale.read().weight_kg == pytest.approx(1.0)
    assert scale.garbage_lines == 1


def test_only_bad_frames_raise(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([ACK]), frame("S", " ", "09.999", "kg", corrupt=True)] * 5
    with pytest.raises(ScaleError, match="intact"):
        scale.read()
    assert scale.garbage_lines == 5


@pytest.mark.parametrize(
    "body",
    [b"X 01.234kg", b"S+01.234kg", b"S 01,234kg", b"S 01.2.4kg"],
    ids=["status", "sign", "comma", "two points"],
)
def test_malformed_fields_with_a_good_check_byte_are_garbage(body: bytes) -> None:
    wire = bytes([0x01, 0x02]) + body + bytes([bcc(body), 0x03, 0x04])
    assert parse_frame(wire) is None


def test_silence_raises(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [b""]
    with pytest.raises(ScaleError, match="in time"):
        scale.read()


def test_zero_and_tare_are_not_in_the_protocol(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    assert scale.zero() is False
    assert scale.tare() is False
    assert mock.commands_seen == 0


def test_a_late_frame_does_not_answer_the_next_read(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.port.write(bytes([ACK]) + frame("S", " ", "99.000", "kg"))  # left over from a read that timed out
    assert scale.read().weight_kg == pytest.approx(1.0)


def test_ten_thousand_noise_chunks(bench: Bench, load: SimulatedLoad) -> None:
    """Five chunks of random bytes (one burst) before each of 2,000 answers: 10,000 chunks.

    There are no lines here: the driver counts each run of noise it skips once, so it cannot count
    chunks. A run that holds an ACK or NAK byte is cut there, so a little fewer runs than bursts are seen.
    """
    mock, scale = start(bench, load, garbage_rate=1.0, garbage_burst=5)
    for i in range(1000):
        if i % 10 == 0:
            load.place(0.01)
        assert scale.read().weight_kg == pytest.approx(0.01 * (i // 10 + 1)), i
    assert mock.garbage_sent >= 2000
    assert scale.garbage_lines >= 0.9 * mock.garbage_sent
