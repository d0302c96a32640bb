"""MtSicsScale specifics on a real pty (the common behaviour is in test_conformance.py): error table, S, noise."""

from __future__ import annotations

import pytest

from edge.stations.scales.mt_sics import MtSicsScale
from firmware_mocks.scales.load import SimulatedLoad
from firmware_mocks.scales.mt_sics import MtSicsScaleMock
from tests.unit.edge.stations.conftest import TIMEOUT_S, Bench


def start(bench: Bench, load: SimulatedLoad, **options: object) -> tuple[MtSicsScaleMock, MtSicsScale]:
    mock = bench.mock(MtSicsScaleMock(load, seed=3, **options))  # type: ignore[arg-type]
    return mock, bench.scale(MtSicsScale(mock.path, timeout_s=TIMEOUT_S))


def test_pounds_from_the_wire_are_converted(bench: Bench, load: SimulatedLoad) -> None:
    mock, scale = start(bench, load)
    mock.force_reply = ["S S      2.500 lb"]
    assert scale.read().weight_kg == pytest.approx(2.5 * 0.45359237)


def test_noise_that_starts_like_a_reply_is_skipped(bench: Bench, load: SimulatedLoad) -> None:
    """Regression: "S" or "S x" from noise was taken for the reply, and the real one answered the next read."""
    load.place(1.0)
    mock, scale = start(bench, load)
    mock.force_reply = ["S\r\nS \x1fx\r\nS S      1.000 kg"]
    assert scale.read().weight_kg == pytest.approx(1.0)
    assert scale.garbage_lines == 2
    load.place(1.0)
    assert scale.read().weight_kg == pytest.approx(2.0)
