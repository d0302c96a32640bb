"""A clock that tests move by hand, and a heartbeat to start from (tests/fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes import heartbeat

__all__ = ["FakeClock", "clock", "heartbeat"]


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    # A Tuesday morning in winter (UTC+1): 10:00 Dutch time.
    return FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
