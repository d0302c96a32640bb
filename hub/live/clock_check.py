"""A station's clock, judged by the hub: the offset between the hub's receive time and the station's own time of
its last heartbeats (docs/dashboard.md, "The clock check").

Heartbeats travel live (QoS 0, never replayed), so each one's ``received - station_time`` is the clock offset plus
the network's delay of that one message. The median of the last few heartbeats is the offset: one message held up
by a busy broker moves it little, where a mean or a smoothed value would raise a flag. The drift is the slope of
the offsets over the same heartbeats (seconds per hour): a clock that runs fast or slow, shown for the
supervisor's information, not alerted on (a few heartbeats' network jitter would make it alert on nothing).
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from config.dashboard import ClockCheck

# The drift needs offsets spread over some time: over less, milliseconds of jitter read as hours of drift.
MIN_DRIFT_SPAN_S = 20.0


@dataclass
class ClockSamples:
    """The last heartbeats' offsets of one station (updated under the live view's lock)."""

    size: int = 5
    _samples: deque[tuple[datetime, float]] = field(init=False)

    def __post_init__(self) -> None:
        self._samples = deque(maxlen=self.size)

    def add(self, received: datetime, station_time: datetime) -> None:
        self._samples.append((received, (received - station_time).total_seconds()))

    @property
    def offset_s(self) -> float | None:
        """Receive time minus station time: the median of the last heartbeats; None before the first."""
        if not self._samples:
            return None
        return statistics.median(offset for _, offset in self._samples)

    @property
    def drift_s_per_h(self) -> float | None:
        """How fast the offset changes (seconds per hour, least squares); None over too few or too close heartbeats."""
        if len(self._samples) < 3:
            return None
        first = self._samples[0][0]
        times = [(received - first).total_seconds() for received, _ in self._samples]
        if times[-1] - times[0] < MIN_DRIFT_SPAN_S:
            return None
        slope, _ = statistics.linear_regression(times, [offset for _, offset in self._samples])
        return slope * 3600


@dataclass(frozen=True, slots=True)
class ClockVerdict:
    skewed: bool  # further off than offset_alert_s: a warning
    unsynced: bool  # NTP not synchronised and further off than unsynced_notice_s: a notice


def judge(offset_s: float | None, synced: bool | None, check: ClockCheck) -> ClockVerdict:
    """``synced``: what the station's last heartbeat says of NTP (None: no heartbeat yet)."""
    if offset_s is None:
        return ClockVerdict(skewed=False, unsynced=False)
    off = abs(offset_s)
    skewed = off > check.offset_alert_s
    return ClockVerdict(skewed=skewed, unsynced=not skewed and synced is False and off > check.unsynced_notice_s)
