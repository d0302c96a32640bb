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
import random
import select
import threading
from pathlib import Path

from firmware_mocks.pty_port import PtyPort
from firmware_mocks.scales.load import SimulatedLoad

logger = logging.getLogger(__name__)

# How often the serving thread looks at its stop flag: stop() takes at most this long.
_POLL_S = 0.05

SOH, STX, ETX, EOT, ENQ, ACK, DC1, NAK = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x11, 0x15
# Displayed units per kilogram, and the decimals that keep the weight at 6 characters up to 60 kg.
_PER_KG = {"g": 1000.0, "kg": 1.0, "lb": 1 / 0.45359237}
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


class CasScaleMock:
    def __init__(
        self,
        load: SimulatedLoad,
        link: Path | None = None,
        unit: str = "kg",
        garbage_rate: float = 0.0,
        garbage_burst: int = 1,
        seed: int | None = None,
    ) -> None:
        if unit not in _PER_KG:
            raise ValueError(f"unit must be one of {sorted(_PER_KG)}")
        self.load = load
        self.port = _BytePort(link)
        self.unit = unit
        self.garbage_rate = garbage_rate
        self.garbage_burst = garbage_burst
        self.force_reply: list[bytes] = []
        self.commands_seen = 0
        self.garbage_sent = 0  # bursts of random bytes sent so far
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="cas-mock", daemon=True)

    @property
    def path(self) -> str:
        return self.port.path

    def start(self) -> CasScaleMock:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.port.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            data = self.port.read_bytes(timeout=_POLL_S)
            for byte in data or b"":
                if byte not in (ENQ, DC1):
                    continue
                self.commands_seen += 1
                garbage = b""
                if self.garbage_rate and self._random.random() < self.garbage_rate:
                    garbage = b"".join(
                        self._random.randbytes(self._random.randint(1, 30)) for _ in range(self.garbage_burst)
                    )
                    self.garbage_sent += 1
                self.port.write(garbage + self.reply(byte))

    def reply(self, command: int) -> bytes:
        if self.force_reply:
            return self.force_reply.pop(0)
        if command == ENQ:
            return bytes([ACK])
        unit = f"{self.unit:>2}"
        if self.load.overloaded():
            return frame("U", "F", "999999", unit)
        kg, stable = self.load.sample()
        value = kg * _PER_KG[self.unit]
        digits = f"{abs(value):06.{_DECIMALS[self.unit]}f}"
        return frame("S" if stable else "U", "-" if value < 0 else " ", digits, unit)
