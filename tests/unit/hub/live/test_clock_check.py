"""The clock check: the median offset of the last heartbeats, the drift, and when each is an alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.dashboard import ClockCheck
from hub.live.clock_check import ClockSamples, judge

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHECK = ClockCheck()  # median of 5 heartbeats, a warning past 120 s, a notice past 5 s when unsynced


def fed(delays: list[float], offset_s: float = 0.0, every_s: float = 10.0) -> ClockSamples:
    """Heartbeats every ``every_s`` from a station whose clock is ``offset_s`` behind, each delayed by the network."""
    samples = ClockSamples(CHECK.heartbeats)
    for i, delay in enumerate(delays):
        station_time = T0 + timedelta(seconds=i * every_s)
        samples.add(station_time + timedelta(seconds=offset_s + delay), station_time)
    return samples


def test_one_slow_delivery_does_not_move_the_offset() -> None:
    samples = fed([0.01, 0.02, 300.0, 0.01, 0.02])
    assert samples.offset_s == pytest.approx(0.02)
    assert not judge(samples.offset_s, True, CHECK).skewed


def test_a_clock_ten_minutes_off_is_skewed_from_its_first_heartbeat() -> None:
    for count in (1, 2):
        samples = fed([0.01] * count, offset_s=-600)
        assert samples.offset_s == pytest.approx(-599.99)
        assert judge(samples.offset_s, True, CHECK).skewed


def test_only_the_last_heartbeats_count() -> None:
    samples = fed([0.01] * 5, offset_s=600)
    for i in range(3):  # NTP corrected the clock: three good heartbeats outvote two old ones
        samples.add(T0 + timedelta(seconds=100 + i), T0 + timedelta(seconds=100 + i))
    assert samples.offset_s == pytest.approx(0.0)


def test_drift_in_seconds_per_hour() -> None:
    samples = ClockSamples(5)
    for i in range(5):  # the station's clock loses 1 s per 100 s: 36 s per hour
        received = T0 + timedelta(seconds=i * 10)
        samples.add(received, received - timedelta(seconds=i * 0.1))
    assert samples.drift_s_per_h == pytest.approx(36.0)
    assert fed([0.01, 0.02]).drift_s_per_h is None  # too few heartbeats
    assert fed([0.01] * 5, every_s=1).drift_s_per_h is None  # too close together: jitter, not drift


@pytest.mark.parametrize(
    ("offset", "synced", "skewed", "unsynced"),
    [
        (None, None, False, False),  # no heartbeat yet
        (0.01, False, False, False),  # NTP not synced, but the hub's clock vouches for it (the demo)
        (30.0, False, False, True),  # a notice
        (30.0, True, False, False),  # synchronised and 30 s off: within the threshold, nothing to do
        (-121.0, True, True, False),  # a warning, whatever NTP says
        (121.0, False, True, False),
    ],
)
def test_judge(offset: float | None, synced: bool | None, skewed: bool, unsynced: bool) -> None:
    verdict = judge(offset, synced, CHECK)
    assert (verdict.skewed, verdict.unsynced) == (skewed, unsynced)


def test_the_threshold_is_configurable() -> None:
    assert judge(61.0, True, ClockCheck(offset_alert_s=60)).skewed
