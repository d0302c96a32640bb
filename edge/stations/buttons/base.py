"""What the station needs from any button backend (serial board, GPIO, keyboard)."""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Protocol

from edge.stations.devices import DeviceProblem


@dataclass(frozen=True, slots=True)
class ButtonEvent:
    key: str
    at: float  # time.monotonic() when the press reached the station


class Buttons(Protocol):
    events: queue.Queue[ButtonEvent]

    def set_led(self, key: str, on: bool) -> None: ...

    def all_off(self) -> None: ...

    @property
    def healthy(self) -> bool: ...

    @property
    def problem(self) -> DeviceProblem | None:
        """Why presses cannot arrive now (board missing, input ended); None while they can."""

    def close(self) -> None: ...
