"""Station devices simulated inside the station's own process, with no serial port: a scale whose reading is set
directly and buttons pressed by a call. For the station's tests and the station benchmark; the firmware mocks on
pseudo-terminals (firmware_mocks/scales, firmware_mocks/buttons) are the ones that exercise the real drivers.
"""

from __future__ import annotations

import queue
import time

from edge.stations.buttons import ButtonEvent
from edge.stations.scales import Reading


class ScriptedScale:
    """A scale whose reading is set directly (``scale.reading = Reading(0.25, True)``)."""

    def __init__(self) -> None:
        self.reading = Reading(0.0, True)
        self.zeroed = 0

    def read(self) -> Reading:
        return self.reading

    def zero(self) -> bool:
        self.zeroed += 1
        return True

    def tare(self) -> bool:
        return True

    def close(self) -> None:
        pass


class FakeButtons:
    """Buttons pressed by a call; the lit keys are a set to look at."""

    def __init__(self) -> None:
        self.events: queue.Queue[ButtonEvent] = queue.Queue()
        self.lit: set[str] = set()

    def press(self, key: str) -> None:
        self.events.put(ButtonEvent(key, time.monotonic()))

    def set_led(self, key: str, on: bool) -> None:
        (self.lit.add if on else self.lit.discard)(key)

    def all_off(self) -> None:
        self.lit.clear()

    @property
    def healthy(self) -> bool:
        return True

    @property
    def problem(self) -> None:
        return None

    def close(self) -> None:
        pass
