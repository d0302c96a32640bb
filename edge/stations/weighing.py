"""Stable-weight detection: the scale's own stability flag plus a software window.

A weight counts as stable when the scale says so *and* every reading of the last ``stable_time_s`` lies
within ``band_kg``: a cheap scale may call a swinging item stable between two swings.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from edge.stations.scales import Reading, ReadingStatus


@dataclass(frozen=True, slots=True)
class WeightState:
    weight_kg: float
    stable: bool
    loaded: bool  # something heavier than the minimum is on the plate


class StableWeight:
    def __init__(self, band_kg: float, stable_time_s: float, min_weight_kg: float) -> None:
        self._band = band_kg
        self._time = stable_time_s
        self._min = min_weight_kg
        self._window: deque[tuple[float, float]] = deque()
        self._loaded = False

    def update(self, reading: Reading, now: float) -> WeightState:
        if not reading.usable:
            self._window.clear()
            # Overload: something heavy is on the plate. Underload: the plate is off or empty. Busy: no news.
            if reading.status is ReadingStatus.OVERLOAD:
                self._loaded = True
            elif reading.status is ReadingStatus.UNDERLOAD:
                self._loaded = False
            return WeightState(0.0, False, loaded=self._loaded)
        self._window.append((now, reading.weight_kg))
        # Keep one reading at or before the start of the window, so the window can be shown to span it.
        while len(self._window) > 1 and now - self._window[1][0] >= self._time:
            self._window.popleft()
        values = [w for _t, w in self._window]
        spans_window = now - self._window[0][0] >= self._time
        settled = reading.stable and spans_window and max(values) - min(values) <= self._band
        self._loaded = reading.weight_kg >= self._min
        return WeightState(reading.weight_kg, settled, loaded=self._loaded)
