"""The login rate limit: so many failures per user name and client address together, and many more per client
address alone, within a sliding window.

Kept in memory: a restart forgets the counts, which costs an attacker a restart of our hub per few guesses.
Counting per pair (name, address) lets one machine guess one password only a few times, and keeps one
person's typos from locking out anyone else: a site PC, or a proxy, is one address for everybody behind it.
The much higher count per address stops one machine from spraying guesses over many user names. Nobody else
can lock a user name out: failures from another address count against that address, not against the name.
The price is that guesses at one name from many addresses are only limited per address; passwords are long
enough (hub.auth.passwords) for that to be slow, and every failure is logged at warning with its address.

The address is what uvicorn saw, or what a configured proxy says it saw (``web.trusted_proxies``): nobody else's
X-Forwarded-For is believed, so a forged one cannot hand out fresh addresses.
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
    def __init__(
        self,
        failures_allowed: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
        failures_per_address: int | None = None,
    ) -> None:
        self.failures_allowed = failures_allowed  # per user name and address together
        self.failures_per_address = failures_per_address or 20 * failures_allowed
        self.window_s = window_s
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _limits(self, username: str, address: str) -> tuple[tuple[str, int], tuple[str, int]]:
        # A newline cannot occur in an address, so no name and address pair reads as another.
        return (f"pair:{address}\n{username}", self.failures_allowed), (f"addr:{address}", self.failures_per_address)

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
            for key, allowed in self._limits(username, address):
                times = self._recent(key, now)
                if times is not None and len(times) >= allowed:
                    # The try is heard again once enough of the failures have left the window.
                    wait = max(wait, times[-allowed] + self.window_s - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key, allowed in self._limits(username, address):
                times = self._recent(key, now)
                if times is None:
                    times = self._failures[key] = deque(maxlen=allowed)
                times.append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, username: str, address: str) -> None:
        """A right password clears that name's failures from that address; the address keeps its count."""
        with self._lock:
            self._failures.pop(self._limits(username, address)[0][0], None)
