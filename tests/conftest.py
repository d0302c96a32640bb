"""Shared fixtures. Mosquitto and InfluxDB are the real servers, started once per test session on free ports
with their data in a temporary folder, and stopped at the end. Nothing here is mocked."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local_servers import InfluxServer, MosquittoServer


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoServer]:
    with MosquittoServer(tmp_path_factory.mktemp("mosquitto")) as server:
        yield server


@pytest.fixture(scope="session")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    with InfluxServer(tmp_path_factory.mktemp("influxdb")) as server:
        yield server


SOAK = os.environ.get("SORTCENTRE_SOAK", "short")


def soak_size(short: int, full: int) -> int:
    """A soak test's size: ``short`` in ``make test``, ``full`` with ``SORTCENTRE_SOAK=full`` (``make soak``).
    The short run takes the same path with fewer events, kills or seconds; the full one is the acceptance's size."""
    if SOAK not in ("short", "full"):
        msg = f"SORTCENTRE_SOAK={SOAK!r}: use short or full"
        raise ValueError(msg)
    return full if SOAK == "full" else short


def wait_until(check: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def artifacts() -> Path:
    """Where tests leave things for a person to look at (screenshots, logs)."""
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
