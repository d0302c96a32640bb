"""A Dini Argeo DFW indicator (ASCII protocol, RS-485 addressing, PC port on demand) on a pseudo-terminal.

The layout it sends is described in :mod:`edge.stations.scales.dini_argeo`. Like an indicator on an RS-485
bus it stays silent for commands without its own address (``address=None``: the RS-232 form, no address at
all). It answers ``READ``, ``ZERO``/``Z`` and ``TARE``/``T``: ``OK``, or ``ERR03`` when the load is not
stable or over capacity (this mock's choice: the real indicator may say OK and then not act); ``ERR01`` for
a known command followed by stray letters and ``ERR04`` for anything else.

Faults to test the driver with: ``garbage_rate`` sends ``garbage_burst`` lines of random bytes before a
reply with that probability; ``force_reply`` makes the next replies chosen lines (sent after the address,
e.g. ``"ERR03"`` goes out as ``01ERR03``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from firmware_mocks.scales.base import ScaleMock
from firmware_mocks.scales.load import SimulatedLoad

logger = logging.getLogger(__name__)


# Displayed units per kilogram, and the decimals that keep the weight at 8 characters up to 60 kg.
_DECIMALS = {"g": 1, "kg": 3, "lb": 3}
_COMMANDS = ("READ", "ZERO", "TARE", "Z", "T")


class DiniArgeoScaleMock(ScaleMock[str]):
    name = "dini-argeo-mock"

    def __init__(
        self,
        load: SimulatedLoad,
        link: Path | None = None,
        unit: str = "kg",
        address: int | None = 1,
        garbage_rate: float = 0.0,
        garbage_burst: int = 1,
        seed: int | None = None,
    ) -> None:
        super().__init__(load, link, unit, garbage_rate, garbage_burst, seed)
        self.address = "" if address is None else f"{address:02d}"
        self.net = False  # the display shows gross until a tare is taken

    def handle(self, received: bytes) -> None:
        line = received.decode("ascii", errors="replace").strip()
        if not line.startswith(self.address):
            return  # for another instrument on the bus
        self.commands_seen += 1
        reply = self.reply(line.removeprefix(self.address))
        self.port.write(self.noise() + (self.address + reply + "\r\n").encode("ascii"))

    def reply(self, command: str) -> str:
        if self.force_reply:
            return self.force_reply.pop(0)
        if command == "READ":
            return self._weight_string()
        if command in ("ZERO", "Z"):
            return "OK" if not self.load.overloaded() and self.load.zero() else "ERR03"
        if command in ("TARE", "T"):
            if self.load.overloaded() or self.load.tare() is None:
                return "ERR03"
            self.net = True
            return "OK"
        if any(command.startswith(known) for known in _COMMANDS):
            return "ERR01"
        return "ERR04"

    def _weight_string(self) -> str:
        kind = "NT" if self.net else "GS"
        unit = f"{self.unit:>2}"
        if self.load.overloaded():
            return f"OL,{kind},{'':8},{unit}"
        if self.load.underloaded():
            return f"UL,{kind},{'':8},{unit}"
        kg, stable = self.load.sample()
        value = self.displayed(kg)
        return f"{'ST' if stable else 'US'},{kind},{value:8.{_DECIMALS[self.unit]}f},{unit}"
