"""The per-key request limit of the feeds: a token bucket per API key.

A bucket holds ``burst`` requests and refills at ``requests_per_minute``: a partner's nightly import may fetch
its pages back to back, and a script stuck in a loop is slowed to the sustained rate instead of running
InfluxDB queries as fast as the hub answers. Kept in memory like the login limit (``hub.auth.ratelimit``): a
restart hands every key a full bucket, which is at most one burst extra.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from hub.auth.ratelimit import MAX_KEYS


class TokenBucket:
    def __init__(self, requests_per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s = requests_per_minute / 60.0
        self.burst = burst
        self._clock = clock
        # key -> (tokens left, when counted); most recently used last, so the oldest go first past MAX_KEYS.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """Spend one request of ``key``: None when it may go ahead, else the whole seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, counted = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - counted) * self.rate_per_s)
            wait = None
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = max(1, math.ceil((1.0 - tokens) / self.rate_per_s))
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
        return wait
