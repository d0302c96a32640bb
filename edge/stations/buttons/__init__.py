"""Button and LED backends: each turns presses into :class:`ButtonEvent` and switches LEDs by key."""

from edge.stations.buttons.base import ButtonEvent, Buttons

__all__ = ["ButtonEvent", "Buttons"]
