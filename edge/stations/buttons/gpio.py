"""Buttons and LEDs wired straight to the Raspberry Pi's GPIO header, through gpiozero.

Wiring: one push button per key between its BCM pin and ground (the internal pull-up is used, so a press
pulls the pin low), and optionally one LED per key on its own BCM pin.

Debouncing happens twice, for two different things:

- gpiozero's ``bounce_time`` (``bounce_time_s``) filters contact bounce, the few milliseconds of chatter of
  a mechanical switch. Keep it short: with the lgpio pin factory (the default on current Raspberry Pi OS)
  it is a filter that only passes a level stable for that long, so it delays every press by that much and
  swallows taps shorter than it.
- ``debounce_s`` is the station's rule, the same as the serial board's: a press of a key closer than
  ``debounce_s`` to that key's previous press or release counts not, so a nervous double tap records one
  item. It is measured from releases too because the release of a long hold can chatter into a new press.
  It also debounces pin factories that ignore ``bounce_time`` (gpiozero's MockFactory).

Long press: keys in ``long_press_keys`` are decided at release; held at least ``long_press_s`` (default
1.5 s) gives a :class:`ButtonEvent` whose key is ``<key>:long`` (e.g. ``U:long``), a shorter press gives
``<key>``, so a long press never also counts as a short one. Every other key is emitted at press time, the
lowest latency there is, because it has no long meaning to wait for.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

from gpiozero import LED, Button  # type: ignore[import-untyped]

from edge.stations.buttons.base import ButtonEvent
from edge.stations.devices import DeviceProblem

logger = logging.getLogger(__name__)

LONG_SUFFIX = ":long"


class GpioButtons:
    def __init__(
        self,
        buttons: Mapping[str, int],
        leds: Mapping[str, int] | None = None,
        *,
        debounce_s: float = 0.15,
        bounce_time_s: float | None = 0.01,
        long_press_s: float = 1.5,
        long_press_keys: frozenset[str] = frozenset(),
        pin_factory: Any = None,
    ) -> None:
        """``buttons`` and ``leds`` map keys to BCM pin numbers; a key without an LED is allowed.

        ``pin_factory`` None is gpiozero's default (lgpio on a Pi); tests pass ``MockFactory()``."""
        self.events: queue.Queue[ButtonEvent] = queue.Queue()
        self._debounce_s = debounce_s
        self._long_press_s = long_press_s
        self._long_press_keys = frozenset(long_press_keys)
        # gpiozero calls back from its own thread; the lock keeps a press and its release in order.
        self._lock = threading.Lock()
        self._last_edge: dict[str, float] = {}
        self._held: dict[str, float] = {}  # long-press keys down right now -> time of the press
        self._closed = False
        self._buttons: dict[str, Any] = {}
        self._leds: dict[str, Any] = {}
        try:
            for key, pin in buttons.items():
                button = Button(pin, pull_up=True, bounce_time=bounce_time_s, pin_factory=pin_factory)
                button.when_pressed = partial(self._pressed, key)
                button.when_released = partial(self._released, key)
                self._buttons[key] = button
            for key, pin in (leds or {}).items():
                self._leds[key] = LED(pin, pin_factory=pin_factory)
        except Exception:
            # A pin that is taken or does not exist: give back the pins already claimed, then report it.
            self._close_devices()
            raise
        logger.info("GPIO buttons on %s, LEDs on %s", dict(buttons), dict(leds or {}))

    @property
    def healthy(self) -> bool:
        # GPIO pins cannot be unplugged the way a USB board can: once claimed they work until closed.
        return not self._closed

    @property
    def problem(self) -> DeviceProblem | None:
        # A pin that is missing or taken fails in the constructor, so the station does not start at all.
        return DeviceProblem("fault", "GPIO buttons closed") if self._closed else None

    def set_led(self, key: str, on: bool) -> None:
        led = self._leds.get(key)
        if led is None:
            logger.debug("no LED for key %s", key)
            return
        if on:
            led.on()
        else:
            led.off()

    def all_off(self) -> None:
        for led in self._leds.values():
            led.off()

    def close(self) -> None:
        self._closed = True
        self._close_devices()

    def _close_devices(self) -> None:
        for device in [*self._buttons.values(), *self._leds.values()]:
            device.close()

    def _pressed(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            previous = self._last_edge.get(key, float("-inf"))
            self._last_edge[key] = now
            if now - previous < self._debounce_s:
                return
            if key in self._long_press_keys:
                self._held[key] = now
                return
        self.events.put(ButtonEvent(key, now))

    def _released(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._last_edge[key] = now
            pressed_at = self._held.pop(key, None)
        if pressed_at is None:
            return
        long = now - pressed_at >= self._long_press_s
        self.events.put(ButtonEvent(key + LONG_SUFFIX if long else key, now))
