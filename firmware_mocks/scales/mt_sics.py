"""A Mettler Toledo scale answering MT-SICS level-0 commands on a pseudo-terminal.

Faults to test the driver with: ``garbage_rate`` sends ``garbage_burst`` lines of random bytes before a
reply with that probability; ``force_reply`` makes the next replies an error (``ES``, ``ET``, ``EL``) or a
state (``S I``).
"""

from __future__ import annotations

import logging
import time

from firmware_mocks.scales.base import ScaleMock

logger = logging.getLogger(__name__)


class MtSicsScaleMock(ScaleMock[str]):
    name = "mt-sics-mock"

    def handle(self, received: bytes) -> None:
        command = received.decode("ascii", errors="replace").strip()
        self.commands_seen += 1
        self.port.write(self.noise() + (self.reply(command) + "\r\n").encode("ascii"))

    def _weight_text(self, kg: float) -> str:
        if self.unit == "g":
            return f"{kg * 1000:10.1f} g"
        return f"{kg:10.3f} kg"

    def reply(self, command: str) -> str:
        if self.force_reply:
            return self.force_reply.pop(0)
        if command == "SI":
            return self._weight_reply()
        if command == "S":
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline and not self.load.sample()[1]:
                time.sleep(0.05)
            return self._weight_reply(require_stable=True)
        if command == "Z":
            if self.load.overloaded():
                return "Z +"
            return "Z A" if self.load.zero() else "Z I"
        if command == "T":
            if self.load.overloaded():
                return "T +"
            tare = self.load.tare()
            return "T I" if tare is None else f"T S {self._weight_text(tare)}"
        if command == "@":
            return 'I4 A "SIM0000001"'
        if command == "I4":
            return 'I4 A "SIM0000001"'
        return "ES"

    def _weight_reply(self, require_stable: bool = False) -> str:
        if self.load.overloaded():
            return "S +"
        if self.load.underloaded():
            return "S -"
        value, stable = self.load.sample()
        if require_stable and not stable:
            return "S I"
        return f"S {'S' if stable else 'D'} {self._weight_text(value)}"
