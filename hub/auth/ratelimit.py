"""The login rate limit: so many failures per user name and per client address within a sliding window.

Kept in memory: a restart forgets the counts, which costs an attacker a restart of our hub per few guesses.
Counting per user name protects one account against guesses from many addresses; counting per address stops
one machine from trying many user names. The price is that anyone can lock a known user name out for the
window by failing on purpose; a supervisor then waits, or an admin looks at the hub's log.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

# Keys remembered at most: one attacker inventing user names must not grow this without bound. The oldest
# go first; they are the ones closest to expiring anyway.
MAX_KEYS = 10_000


class LoginLimiter:
    def __init__(self, failures_allowed: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.failures_allowed = failures_allowed
        self.window_s = window_s
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return f"user:{username}", f"addr:{address}"

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, username: str, address: str) -> int | None:
        """Seconds to wait before the next try is heard, or None when it may go ahead now."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(username, address):
                times = self._recent(key, now)
                if times is not None and len(times) >= self.failures_allowed:
                    # The try is heard again once enough of the failures have left the window.
                    wait = max(wait, times[-self.failures_allowed] + self.window_s - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(username, address):
                times = self._recent(key, now)
                if times is None:
                    times = self._failures[key] = deque(maxlen=self.failures_allowed)
                times.append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        """A right password clears the user name's failures; the address keeps its count."""
        with self._lock:
            self._failures.pop(self._keys(username, "")[0], None)
