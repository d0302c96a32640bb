"""Buttons and LEDs wired straight to the Raspberry Pi's GPIO header, through gpiozero.

Wiring: one push button per key between its BCM pin and ground (the internal pull-up is used, so a press
pulls the pin low), and optionally one LED per key on its own BCM pin.

Debouncing happens twice, for two different things:

- gpiozero's ``bounce_time`` (``bounce_time_s``) filters contact bounce, the few milliseconds of chatter of
  a mechanical switch. Keep it short: with the lgpio pin factory (the default on current Raspberry Pi OS)
  it is a filter that only passes a level stable for that long, so it delays every press by that much and
  swallows taps shorter than it.
- ``debounce_s`` is the station's rule, shared by every backend (:mod:`edge.stations.buttons.presses`,
  with the long-press rule). It also debounces pin factories that ignore ``bounce_time`` (gpiozero's
  MockFactory).
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Self

from gpiozero import LED, Button  # type: ignore[import-untyped]

from config.drivers import GpioButtonsConfig
from edge.stations.buttons.base import ButtonEvent
from edge.stations.buttons.presses import PressDecoder
from edge.stations.devices import DeviceProblem

logger = logging.getLogger(__name__)


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
        # gpiozero calls back from its own thread; the decoder's lock keeps a press and its release in order.
        self._presses = PressDecoder(
            self.events, debounce_s=debounce_s, long_press_s=long_press_s, long_press_keys=long_press_keys
        )
        self._closed = False
        self._buttons: dict[str, Any] = {}
        self._leds: dict[str, Any] = {}
        try:
            for key, pin in buttons.items():
                button = Button(pin, pull_up=True, bounce_time=bounce_time_s, pin_factory=pin_factory)
                button.when_pressed = partial(self._edge, self._presses.press, key)
                button.when_released = partial(self._edge, self._presses.release, key)
                self._buttons[key] = button
            for key, pin in (leds or {}).items():
                self._leds[key] = LED(pin, pin_factory=pin_factory)
        except Exception:
            # A pin that is taken or does not exist: give back the pins already claimed, then report it.
            self._close_devices()
            raise
        logger.info("GPIO buttons on %s, LEDs on %s", dict(buttons), dict(leds or {}))

    @classmethod
    def from_config(cls, config: GpioButtonsConfig, pin_factory: Any = None) -> Self:
        return cls(
            config.pins,
            config.led_pins or None,
            debounce_s=config.debounce_s,
            long_press_s=config.long_press_s,
            long_press_keys=config.long_press_keys,
            pin_factory=pin_factory,
        )

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

    @staticmethod
    def _edge(decode: Callable[[str, float], None], key: str) -> None:
        decode(key, time.monotonic())
