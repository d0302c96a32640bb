"""A CAS scale on its ECR interface (ENQ/ACK, DC1/frame) on a pseudo-terminal.

The bytes it sends are described in :mod:`edge.stations.scales.cas`. It answers ENQ with ACK and DC1 with
a weight frame, and ignores every other byte (as the scale does: a command in another protocol gets
silence). Over capacity the sign is ``F``; below zero the weight is simply negative.

Faults to test the driver with: ``garbage_rate`` sends ``garbage_burst`` chunks of random bytes before an
answer with that probability; ``force_reply`` makes the next answers chosen bytes (``b"\\x15"`` for NAK,
a frame with a wrong check byte from :func:`frame` with ``corrupt=True``).
"""

from __future__ import annotations

import logging
import os
import select
from pathlib import Path

from firmware_mocks.device import POLL_S
from firmware_mocks.pty_port import PtyPort
from firmware_mocks.scales.base import ScaleMock
from firmware_mocks.scales.load import SimulatedLoad

logger = logging.getLogger(__name__)


SOH, STX, ETX, EOT, ENQ, ACK, DC1, NAK = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x11, 0x15
# Displayed units per kilogram, and the decimals that keep the weight at 6 characters up to 60 kg.
_DECIMALS = {"g": 0, "kg": 3, "lb": 2}


def frame(status: str, sign: str, digits: str, unit: str, corrupt: bool = False) -> bytes:
    """SOH STX STA SIGN W5..W0 U1 U2 BCC ETX EOT; ``corrupt`` spoils the check byte."""
    body = f"{status}{sign}{digits:>6}{unit:>2}".encode("ascii")
    check = 0
    for byte in body:
        check ^= byte
    if corrupt:
        check ^= 0x5A
    return bytes([SOH, STX]) + body + bytes([check, ETX, EOT])


class _BytePort(PtyPort):
    """The ECR protocol has no lines: the scale reacts to single bytes."""

    def read_bytes(self, timeout: float) -> bytes | None:
        if not self._buffer:
            ready, _, _ = select.select([self._master], [], [], timeout)
            if not ready:
                return None
            try:
                self._buffer = os.read(self._master, 4096)
            except OSError:  # EIO: nobody has the slave open right now
                return None
        data, self._buffer = self._buffer, b""
        return data


class CasScaleMock(ScaleMock):
    def __init__(
        self,
        load: SimulatedLoad,
        link: Path | None = None,
        unit: str = "kg",
        garbage_rate: float = 0.0,
        garbage_burst: int = 1,
        seed: int | None = None,
    ) -> None:
        self.byte_port = _BytePort(link)
        super().__init__(load, self.byte_port, "cas-mock", unit, garbage_rate, garbage_burst, seed)
        self.force_reply: list[bytes] = []

    def _serve(self) -> None:
        while not self._stop.is_set():
            data = self.byte_port.read_bytes(timeout=POLL_S)
            for byte in data or b"":
                if byte not in (ENQ, DC1):
                    continue
                self.commands_seen += 1
                self.port.write(self.noise(line_end=b"") + self.reply(byte))

    def reply(self, command: int) -> bytes:
        if self.force_reply:
            return self.force_reply.pop(0)
        if command == ENQ:
            return bytes([ACK])
        unit = f"{self.unit:>2}"
        if self.load.overloaded():
            return frame("U", "F", "999999", unit)
        kg, stable = self.load.sample()
        value = self.displayed(kg)
        digits = f"{abs(value):06.{_DECIMALS[self.unit]}f}"
        return frame("S" if stable else "U", "-" if value < 0 else " ", digits, unit)
