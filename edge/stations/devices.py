"""A station's devices (scale, buttons, camera, lights) that are missing or failing: what is wrong, and saying it.

Each device backend reports a :class:`DeviceProblem` (or None); the agent feeds them to :class:`DeviceAlarms`,
which logs a warning naming the device and the reason when the problem starts or changes, reminds at most once
a minute while it lasts, and gives the warning code (``scale_absent``, ``buttons_fault``, ...) that the heartbeat
and the sorter's screen carry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

logger = logging.getLogger(__name__)

Device = Literal["scale", "buttons", "camera", "lights"]

# Once a minute: often enough that a log read at any moment shows a device that is still missing, rare enough
# that a scale unplugged over a weekend writes a few thousand lines, not millions (the retries run every second).
REPEAT_S = 60.0

_WORDS = {"absent": "missing", "fault": "failing"}


@dataclass(frozen=True, slots=True)
class DeviceProblem:
    """``absent``: configured but not found (no port, does not open); ``fault``: found but not working."""

    kind: Literal["absent", "fault"]
    reason: str
    """For a person: the port or source and what the system said, e.g. ``/dev/ttyUSB1: No such file``."""


class DeviceAlarms:
    """Warnings about devices, at most once a minute each while a problem lasts. One thread calls update()."""

    def __init__(self, repeat_s: float = REPEAT_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._repeat_s = repeat_s
        self._clock = clock
        # device -> (problem, when it started, when it was last logged)
        self._open: dict[Device, tuple[DeviceProblem, float, float]] = {}

    def update(self, device: Device, problem: DeviceProblem | None) -> None:
        now = self._clock()
        current = self._open.get(device)
        if problem is None:
            if current is not None:
                del self._open[device]
                logger.info("%s works again (it was %s for %.0f s)", device, _WORDS[current[0].kind], now - current[1])
            return
        if current is None or current[0].kind != problem.kind:
            logger.warning("%s %s: %s [%s]", device, _WORDS[problem.kind], problem.reason, code(device, problem))
            self._open[device] = (problem, now if current is None else current[1], now)
        elif now - current[2] >= self._repeat_s:
            logger.warning(
                "%s still %s after %.0f s: %s [%s]",
                device,
                _WORDS[problem.kind],
                now - current[1],
                problem.reason,
                code(device, problem),
            )
            self._open[device] = (problem, current[1], now)
        else:
            # The same problem, perhaps in other words (another errno): remembered for the next reminder.
            self._open[device] = (problem, current[1], current[2])

    def codes(self) -> list[str]:
        """Warning codes of the open problems, in a fixed device order."""
        return [code(d, self._open[d][0]) for d in ("scale", "buttons", "camera", "lights") if d in self._open]


def code(device: Device, problem: DeviceProblem) -> str:
    """The heartbeat's warning code, e.g. ``buttons_absent`` (matches the contract's ``^[a-z][a-z0-9_]{0,39}$``)."""
    return f"{device}_{problem.kind}"
