"""Opening the button backend a station's config names."""

from __future__ import annotations

from typing import Any

from edge.stations.buttons.base import Buttons

DRIVERS = ("serial-board", "gpio", "keyboard")


def open_buttons(driver: str, **options: Any) -> Buttons:
    """The backend for ``driver``, built with ``options`` as its constructor's keyword arguments.

    Backends are imported here, not at the top, so that a station only loads the library its own buttons
    need (gpiozero is dead weight on a station with a serial board)."""
    if driver == "serial-board":
        from edge.stations.buttons.serial_board import SerialButtonBoard

        return SerialButtonBoard(**options)
    if driver == "gpio":
        from edge.stations.buttons.gpio import GpioButtons

        return GpioButtons(**options)
    if driver == "keyboard":
        from edge.stations.buttons.keyboard import KeyboardButtons

        return KeyboardButtons(**options)
    raise ValueError(f"unknown button driver {driver!r}; known: {', '.join(DRIVERS)}")
