"""The press rule every button backend follows: debounce, and long press on the keys that have one.

- Debounce: a press of a key closer than ``debounce_s`` to that key's previous press or release counts
  not, so a nervous double tap records one item. It is measured from releases too, because the release of
  a long hold can chatter into a new press.
- Long press: keys in ``long_press_keys`` are decided at release, ``<key>:long`` when held at least
  ``long_press_s``, else ``<key>``, so a long press never also counts as a short one. Every other key is
  emitted at press time: waiting for the release would add the whole press to the latency of the keys a
  sorter presses hundreds of times a day.

A backend only tells the decoder when a key went down and up; how it learns that (a board's ``P``/``R``
lines, GPIO edges, a terminal's autorepeat stopping) is its own business.
"""

from __future__ import annotations

import queue
import threading

from edge.stations.buttons.base import ButtonEvent

LONG_SUFFIX = ":long"


class PressDecoder:
    """Turns key-down and key-up times into :class:`ButtonEvent` s on ``events``. Thread-safe."""

    def __init__(
        self,
        events: queue.Queue[ButtonEvent],
        *,
        debounce_s: float,
        long_press_s: float,
        long_press_keys: frozenset[str],
    ) -> None:
        self.events = events
        self._debounce_s = debounce_s
        self._long_press_s = long_press_s
        self._long_press_keys = frozenset(long_press_keys)
        # Backends call from their own threads (gpiozero's callbacks); the lock keeps a press and its release
        # in order.
        self._lock = threading.Lock()
        self._last_edge: dict[str, float] = {}
        self._held: dict[str, float] = {}  # long-press keys down right now -> time of the press

    def holding(self, key: str) -> bool:
        """True while a long-press key is down and undecided."""
        with self._lock:
            return key in self._held

    def press(self, key: str, at: float) -> None:
        with self._lock:
            previous = self._last_edge.get(key, float("-inf"))
            self._last_edge[key] = at
            if at - previous < self._debounce_s:
                return
            if key in self._long_press_keys:
                self._held[key] = at
                return
        self.events.put(ButtonEvent(key, at))

    def release(self, key: str, at: float, decided_at: float | None = None) -> None:
        """The key went up at ``at``; the event carries ``decided_at`` (default ``at``), when it was noticed."""
        with self._lock:
            self._last_edge[key] = at
            pressed_at = self._held.pop(key, None)
        if pressed_at is None:
            return
        long = at - pressed_at >= self._long_press_s
        self.events.put(ButtonEvent(key + LONG_SUFFIX if long else key, at if decided_at is None else decided_at))

    def forget_holds(self) -> None:
        """The releases of keys held now will never come (the board went away): forget those presses rather
        than turn a later, unrelated release into a long press."""
        with self._lock:
            self._held.clear()
