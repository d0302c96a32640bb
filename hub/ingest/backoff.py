"""The wait between attempts at InfluxDB: jittered exponential backoff, one policy for writes and refreshes."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Doubles from ``initial_s`` up to ``max_s``; each wait is a random 50-100% of that, so workers that
    failed together do not retry together. ``wait(seconds)`` sleeps and returns True when the hub is stopping
    (a threading or multiprocessing Event's ``wait``)."""

    def __init__(self, initial_s: float, max_s: float, wait: Callable[[float], bool]) -> None:
        self.delay = initial_s
        self._max_s = max_s
        self._wait = wait

    def pause(self) -> bool:
        """Wait before the next attempt; False when asked to stop meanwhile."""
        stopping = self._wait(self.delay * random.uniform(0.5, 1.0))
        self.delay = min(self.delay * 2, self._max_s)
        return not stopping
