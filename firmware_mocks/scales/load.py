"""The physics every simulated scale shares: a load that settles, noise, drift, capacity."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass


@dataclass
class LoadSettings:
    capacity_kg: float = 60.0
    resolution_kg: float = 0.001
    settle_s: float = 0.6  # how long the reading swings after the load changes
    swing_share: float = 0.3  # size of that swing, as a share of the change (an item dropped on the plate)
    noise_kg: float = 0.0001  # jitter while stable: a fifth of a division, so the display rarely flickers
    drift_kg_per_min: float = 0.0


class SimulatedLoad:
    """What is physically on the plate; thread-safe (the sorter sets it, the protocol thread reads it)."""

    def __init__(self, settings: LoadSettings | None = None, seed: int | None = None) -> None:
        self.settings = settings or LoadSettings()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._load = 0.0
        self._changed = time.monotonic()
        self._swing = 0.0
        self._zero_offset = 0.0
        self._tare = 0.0
        self._started = time.monotonic()

    def place(self, weight_kg: float) -> None:
        with self._lock:
            self._load += weight_kg
            self._changed = time.monotonic()
            self._swing = abs(weight_kg) * self.settings.swing_share

    def clear(self) -> None:
        with self._lock:
            # Lifting an item off hardly makes the plate swing; dropping one on does.
            self._swing = 0.0
            self._load = 0.0
            self._changed = time.monotonic()

    def gross(self) -> float:
        return self._load

    def sample(self) -> tuple[float, bool]:
        """(displayed net weight in kg, stable?) as the scale's electronics would see it now."""
        s = self.settings
        with self._lock:
            age = time.monotonic() - self._changed
            drift = s.drift_kg_per_min * (time.monotonic() - self._started) / 60
            value = self._load + drift - self._zero_offset - self._tare
            stable = age >= s.settle_s
            if stable:
                value += self._random.gauss(0, s.noise_kg)
            else:
                value += self._random.uniform(-1, 1) * self._swing * (1 - age / s.settle_s)
        return round(value / s.resolution_kg) * s.resolution_kg, stable

    def overloaded(self) -> bool:
        return self._load > self.settings.capacity_kg

    def underloaded(self) -> bool:
        return self._load - self._zero_offset < -0.02 * self.settings.capacity_kg

    def zero(self) -> bool:
        _value, stable = self.sample()
        if not stable:
            return False
        with self._lock:
            self._zero_offset = self._load
            self._tare = 0.0
        return True

    def tare(self) -> float | None:
        _value, stable = self.sample()
        if not stable:
            return None
        with self._lock:
            self._tare = self._load - self._zero_offset
        return self._tare
