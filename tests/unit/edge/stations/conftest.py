"""Scale drivers against their firmware mocks on real pseudo-terminals (fixtures for the scale tests).

Loads settle at once and have no noise unless a test wants otherwise, so a reading can be compared with
what was placed, down to the resolution of the unit on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import pytest

from firmware_mocks.scales.load import LoadSettings, SimulatedLoad

# Resolution of each unit as the mocks send it, in kg: readings are compared within this.
TOLERANCE_KG = {"g": 0.0001, "kg": 0.0000001, "lb": 0.0005}
# Short timeouts keep the tests that expect silence fast.
TIMEOUT_S = 0.3


class _Mock(Protocol):
    def start(self) -> object: ...

    def stop(self) -> None: ...


class _Closable(Protocol):
    def close(self) -> None: ...


M = TypeVar("M", bound=_Mock)
S = TypeVar("S", bound=_Closable)


class Bench:
    """Starts mocks, keeps drivers, and takes both down after the test (drivers first)."""

    def __init__(self) -> None:
        self._teardown: list[Callable[[], None]] = []

    def mock(self, mock: M) -> M:
        self._teardown.append(mock.stop)
        mock.start()
        return mock

    def scale(self, scale: S) -> S:
        self._teardown.append(scale.close)
        return scale

    def close(self) -> None:
        for step in reversed(self._teardown):
            step()


@pytest.fixture
def bench() -> Iterator[Bench]:
    running = Bench()
    yield running
    running.close()


def make_load(settle_s: float = 0.0, capacity_kg: float = 60.0) -> SimulatedLoad:
    return SimulatedLoad(LoadSettings(capacity_kg=capacity_kg, settle_s=settle_s, noise_kg=0.0), seed=7)


@pytest.fixture
def load() -> SimulatedLoad:
    """Settles the moment something is placed."""
    return make_load()


@pytest.fixture
def restless() -> SimulatedLoad:
    """Never settles within a test: every reading is unstable, zero and tare are refused."""
    return make_load(settle_s=600.0)
