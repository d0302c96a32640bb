"""What the simulated scales share: the load they weigh, the displayed unit, and line noise on demand."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Generic, TypeVar

from firmware_mocks.device import PtyDevice
from firmware_mocks.pty_port import PtyPort
from firmware_mocks.scales.load import SimulatedLoad

Reply = TypeVar("Reply")

# Displayed units per kilogram.
PER_KG = {"g": 1000.0, "kg": 1.0, "lb": 1 / 0.45359237}


class ScaleMock(PtyDevice, Generic[Reply]):
    """A scale on a pty at ``link`` (a symlink made for it; None: only the pty's own device path)."""

    name = "scale-mock"  # its serving thread's name

    def __init__(
        self,
        load: SimulatedLoad,
        link: Path | None = None,
        unit: str = "kg",
        garbage_rate: float = 0.0,
        garbage_burst: int = 1,
        seed: int | None = None,
    ) -> None:
        """``garbage_rate``: the share of replies preceded by ``garbage_burst`` runs of random bytes."""
        if unit not in PER_KG:
            raise ValueError(f"unit must be one of {sorted(PER_KG)}")
        super().__init__(PtyPort(link), self.name)
        # The next replies, whatever the load: an error, a state, a chosen frame (in the protocol's terms).
        self.force_reply: list[Reply] = []
        self.load = load
        self.unit = unit
        self.garbage_rate = garbage_rate
        self.garbage_burst = garbage_burst
        self.commands_seen = 0
        self.garbage_sent = 0  # lines of noise sent so far (runs of noise for a protocol without lines)
        self._random = random.Random(seed)

    def displayed(self, kg: float) -> float:
        return kg * PER_KG[self.unit]

    def noise(self, line_end: bytes = b"\r\n") -> bytes:
        """Random bytes to send before the next reply, with probability ``garbage_rate``.

        With a line end each run is a line of noise and counts as one; without (a byte protocol) the runs
        run together and the burst counts once."""
        if not self.garbage_rate or self._random.random() >= self.garbage_rate:
            return b""
        self.garbage_sent += self.garbage_burst if line_end else 1
        return b"".join(
            self._random.randbytes(self._random.randint(1, 30)) + line_end for _ in range(self.garbage_burst)
        )
