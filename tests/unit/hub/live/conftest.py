"""A clock that tests move by hand, and a heartbeat to start from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.contract import DeviceHealth, Heartbeat


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


def heartbeat(**changes: Any) -> Heartbeat:
    base: dict[str, Any] = {
        "site": "zwolle",
        "station": "zwolle-plastic-1",
        "boot_id": uuid.UUID(int=7),
        "station_time": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        "uptime_s": 3600.0,
        "scale": DeviceHealth.OK,
        "camera": DeviceHealth.OK,
        "model_version": "ppocrv4-markings-1",
        "journal_depth": 0,
        "oldest_unsent_age_s": None,
        "clock_synced": True,
        "events_made": 120,
        "events_sent": 120,
        "warnings": [],
        "software_version": "0.6.0",
    }
    return Heartbeat(**(base | changes))
