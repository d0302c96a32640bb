"""Change notifications from the MQTT and ingest threads to the dashboard's event streams (one per browser).

A notification carries only which stations changed; each client reads their current state when it is its
turn to send. A client therefore holds a set of station keys, not a queue of updates: it is bounded by the
number of stations, a slow client skips intermediate states but always gets the latest, and a burst of
changes is coalesced into at most one update per ``min_interval_s``.

Threads never touch the asyncio side directly: they add keys under a lock and wake the client's loop with
``call_soon_threadsafe`` only when its set goes from empty to non-empty, so a busy ingest costs each client
one callback per send, not one per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable

from hub.live.stations import StationKey

logger = logging.getLogger(__name__)

# 250 ms: four updates a second is as fast as anyone reads a wall screen, and keeps 50 busy stations from
# costing each browser fifty renders a second. The first change after a quiet spell goes out at once.
MIN_INTERVAL_S = 0.25


class Subscription:
    """One client's pending changes; ``next()`` runs on the client's event loop, ``offer()`` on any thread."""

    def __init__(self, owner: Broadcaster, loop: asyncio.AbstractEventLoop, min_interval_s: float) -> None:
        self._owner = owner
        self._loop = loop
        self._min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._keys: set[StationKey] = set()
        self._woken = False  # a wake-up is scheduled or pending on the loop
        self._wake = asyncio.Event()
        self._last_answer = -min_interval_s
        self.closed = False

    def offer(self, keys: Iterable[StationKey]) -> bool:
        """Note changed stations; False when the client's loop is gone (it will never read them)."""
        with self._lock:
            self._keys.update(keys)
            if self._woken or self.closed:
                return not self.closed
            self._woken = True
        try:
            self._loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop was closed without the client saying goodbye
            return False
        return True

    async def next(self, timeout_s: float) -> frozenset[StationKey] | None:
        """The stations changed since the last answer, at most one answer per ``min_interval_s``.

        An empty set when ``timeout_s`` passed without a change (time-driven checks: an alert that starts
        because a station stays silent); None once the subscription is closed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout_s)
        if self.closed:
            return None
        delay = self._last_answer + self._min_interval_s - self._loop.time()
        if delay > 0:
            await asyncio.sleep(delay)  # more changes may join meanwhile: they go in this answer
        self._wake.clear()
        with self._lock:
            keys, self._keys = self._keys, set()
            self._woken = False
        self._last_answer = self._loop.time()
        return frozenset(keys)

    def close(self) -> None:
        """Any thread. Ends the client's ``next()`` with None."""
        with self._lock:
            self.closed = True
        self._owner.forget(self)
        with contextlib.suppress(RuntimeError):  # its loop is gone already
            self._loop.call_soon_threadsafe(self._wake.set)


class Broadcaster:
    def __init__(self, min_interval_s: float = MIN_INTERVAL_S) -> None:
        self._min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        """On the client's event loop."""
        subscription = Subscription(self, asyncio.get_running_loop(), self._min_interval_s)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def forget(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def publish(self, keys: frozenset[StationKey]) -> None:
        """A ``ChangeListener``: called from the MQTT, ingest and resync threads."""
        if not keys:
            return
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            if not subscription.offer(keys):
                logger.info("dropping a live client whose event loop is gone")
                self.forget(subscription)

    def close(self) -> None:
        """Ends every client's stream (hub shutdown)."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.close()
