"""CasScale specifics on a real pty (the common behaviour is in test_conformance.py): handshake, check byte."""

from __future__ import annotations

import pytest

from edge.stations.scales.base import ScaleError
from edge.stations.scales.cas import CasScale, bcc, parse_frame
from firmware_mocks.scales.cas import ACK, NAK, CasScaleMock, frame
from firmware_mocks.scales.load import SimulatedLoad
from tests.unit.edge.stations.conftest import TIMEOUT_S, Bench


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


def test_upper_case_unit(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([ACK]), frame("S", " ", "02.500", "LB")]
    assert scale.read().weight_kg == pytest.approx(2.5 * 0.45359237)


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


def test_frame_failing_its_check_is_garbage_and_asked_again(bench: Bench, load: SimulatedLoad) -> None:
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([ACK]), frame("S", " ", "09.999", "kg", corrupt=True)]
    assert scale.read().weight_kg == pytest.approx(1.0)
    assert scale.garbage_lines == 1


@pytest.mark.parametrize(
    "body",
    [b"X 01.234kg", b"S+01.234kg", b"S 01,234kg", b"S 01.2.4kg"],
    ids=["status", "sign", "comma", "two points"],
)
def test_malformed_fields_with_a_good_check_byte_are_garbage(body: bytes) -> None:
    wire = bytes([0x01, 0x02]) + body + bytes([bcc(body), 0x03, 0x04])
    assert parse_frame(wire) is None


def test_each_bad_frame_counts_as_garbage_before_the_read_gives_up(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = [bytes([ACK]), frame("S", " ", "09.999", "kg", corrupt=True)] * 5
    with pytest.raises(ScaleError, match="intact"):
        scale.read()
    assert scale.garbage_lines == 5
