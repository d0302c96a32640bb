"""An A&D balance (FX-i style, "A&D standard format", ``erCd 1``) on a pseudo-terminal.

The layout it sends is described in :mod:`edge.stations.scales.and_fx`. It answers ``Q``/``SI`` (weight
now), ``S`` (weight once stable), ``SIR``/``C`` (start/stop the stream), ``Z``/``R`` (re-zero) and ``T``
(tare): ``<AK>`` on receipt, then ``<AK>`` when done or ``EC,E11`` when the load did not settle in
``settle_wait_s``; ``EC,E01`` for anything else. ``continuous=True`` starts it in stream mode, as the
function setting for stream output would.

Faults to test the driver with: ``garbage_rate`` sends ``garbage_burst`` lines of random bytes before a
reply (or a stream frame) with that probability; ``force_reply`` makes the next replies chosen lines (an
entry may hold several lines joined by CR LF, e.g. ``"\\x06\\r\\nEC,E11"``); ``pieces_kg`` switches to
counting mode (``QT`` frames in ``PC``).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

from firmware_mocks.device import POLL_S
from firmware_mocks.scales.base import ScaleMock
from firmware_mocks.scales.load import SimulatedLoad

logger = logging.getLogger(__name__)


AK = "\x06"
# Displayed units per kilogram, and the decimals that keep the number at 8 characters up to 60 kg.
_DECIMALS = {"g": 1, "kg": 3, "lb": 3}


class AndScaleMock(ScaleMock[str]):
    name = "and-fx-mock"

    def __init__(
        self,
        load: SimulatedLoad,
        link: Path | None = None,
        unit: str = "kg",
        garbage_rate: float = 0.0,
        garbage_burst: int = 1,
        continuous: bool = False,
        stream_interval_s: float = 0.1,
        settle_wait_s: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(load, link, unit, garbage_rate, garbage_burst, seed)
        self.continuous = continuous
        self.stream_interval_s = stream_interval_s
        self.settle_wait_s = settle_wait_s
        self.pieces_kg: float | None = None
        self.frames_sent = 0
        self._next_frame = 0.0

    def wait_s(self) -> float:
        return self.stream_interval_s if self.continuous else POLL_S

    def handle(self, received: bytes) -> None:
        self.commands_seen += 1
        self._handle(received.decode("ascii", errors="replace").strip())

    def tick(self) -> None:
        if self.continuous and time.monotonic() >= self._next_frame:
            self._send(self._weight_frame())
            self.frames_sent += 1
            self._next_frame = time.monotonic() + self.stream_interval_s

    def _send(self, text: str) -> None:
        self.port.write(self.noise() + text.encode("ascii") + b"\r\n")

    def _handle(self, command: str) -> None:
        if self.force_reply:
            self._send(self.force_reply.pop(0))
            return
        if command in ("Q", "SI"):
            self._send(self._weight_frame())
        elif command == "S":
            self._wait_stable(3.0)
            self._send(self._weight_frame())
        elif command == "SIR":
            self.continuous = True
        elif command == "C":
            self.continuous = False
            self._send(AK)
        elif command in ("Z", "R"):
            self._send(AK)
            self._send(self._settled(self.load.zero))
        elif command == "T":
            self._send(AK)
            self._send(self._settled(lambda: self.load.tare() is not None))
        else:
            self._send("EC,E01")

    def _settled(self, operation: Callable[[], bool]) -> str:
        """Like the balance: wait for a stable load, then do it; EC,E11 when it never settles."""
        if self.load.overloaded():
            return "EC,E11"
        deadline = time.monotonic() + self.settle_wait_s
        while True:
            if operation():
                return AK
            if time.monotonic() >= deadline:
                return "EC,E11"
            time.sleep(0.01)

    def _wait_stable(self, limit_s: float) -> None:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline and not self.load.sample()[1]:
            time.sleep(0.02)

    def _number(self, value: float) -> str:
        return f"{abs(value):08.{_DECIMALS[self.unit]}f}"

    def _weight_frame(self) -> str:
        unit = f"{self.unit:>3}"
        if self.load.overloaded():
            return f"OL,+{re.sub(r'[0-9]', '9', self._number(0))}{unit}"
        if self.load.underloaded():
            return f"OL,-{re.sub(r'[0-9]', '9', self._number(0))}{unit}"
        kg, stable = self.load.sample()
        head = "ST" if stable else "US"
        if self.pieces_kg:
            return f"{'QT' if stable else 'US'},{'-' if kg < 0 else '+'}{round(abs(kg) / self.pieces_kg):08d} PC"
        value = self.displayed(kg)
        return f"{head},{'-' if value < 0 else '+'}{self._number(value)}{unit}"
