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

from firmware_mocks.scales.base import ScaleMock

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


class CasScaleMock(ScaleMock[bytes]):
    name = "cas-mock"
    line_protocol = False  # the ECR protocol has no lines: the scale reacts to single bytes

    def handle(self, received: bytes) -> None:
        for byte in received:
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
