"""CAS scales (PD-II, ER, DB, SW-II ...) set to the "ECR" interface: the cash-register handshake.

Sources: CAS SW-II manual, "RS-232C protocol" (SOH STX STA SIGN W5..W0 UN1 UN2 BCC ETX EOT, BCC an
exclusive or); the ECR flow charts printed for ECR scales (Citizen CBM "ECR scale", Ohaus Aviator
"Command flow"); the Gram ZFOC manual for the BCC range ("STA to D1 ... byte before BCC to DN,
BCC = D1 ^ D2 ^ ... ^ DN"); Ohaus Aviator for the overflow sign ``F``.

Bytes, no line ends::

    host  ENQ (05h)              scale  ACK (06h) ready, or NAK (15h) not ready: ask again
    host  DC1 (11h)              scale  SOH STX STA SIGN W5 W4 W3 W2 W1 W0 U1 U2 BCC ETX EOT   (15 bytes)

* STA: ``S`` stable, ``U`` unstable;
* SIGN: space for zero or more, ``-`` below zero, ``F`` overflow (over capacity; the digits are then
  filler). The format has no underload code: a lifted plate reads as a negative weight;
* W5..W0: six characters with the decimal point, leading zeros (``01.234`` kg, ``132.28`` lb, ``001234`` g);
* U1 U2: the unit, ``kg``, ``lb``, `` g`` (upper case on some models);
* BCC: exclusive or of STA through U2 (the LRC); a frame that fails it is counted in ``garbage_lines``
  and the weight asked for again.

The ECR protocol has no zero or tare command: :meth:`CasScale.zero` and :meth:`CasScale.tare` send
nothing and return False (the operator uses the keys on the scale).

Bytes skipped while waiting for an answer are noise: each run of them counts once in ``garbage_lines``
(there are no lines to count here).
"""

from __future__ import annotations

import logging
import re
import time
from enum import Enum
from typing import Self

from config.drivers import CasScaleConfig
from edge.stations.scales.base import Reading, ReadingStatus, ScaleError, to_kg
from edge.stations.scales.link import OnLink, ScaleLink

logger = logging.getLogger(__name__)


SOH, STX, ETX, EOT, ENQ, ACK, DC1, NAK = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x11, 0x15
FRAME_LENGTH = 15
_HEAD = bytes([SOH, STX])
_DIGITS = re.compile(r"\d*\.?\d+")
# A NAK from line noise is followed at once by the real answer; a real NAK by silence.
_NAK_SILENCE_S = 0.03


class _Refused(Enum):
    NAK = "NAK"  # not ready, or the request did not arrive intact
    BAD_FRAME = "frame failed its check"


def bcc(body: bytes) -> int:
    """Exclusive or of STA through U2 (Gram ZFOC manual: BCC = D1 ^ D2 ^ ... ^ DN)."""
    check = 0
    for byte in body:
        check ^= byte
    return check


def parse_frame(frame: bytes) -> Reading | None:
    """A Reading for an intact 15-byte frame, None when it fails its check or its fields are wrong."""
    if len(frame) != FRAME_LENGTH or frame[:2] != _HEAD or frame[13] != ETX or frame[14] != EOT:
        return None
    if bcc(frame[2:12]) != frame[12]:
        return None
    try:
        status, sign, digits, unit = frame[2:3].decode(), frame[3:4].decode(), frame[4:10].decode(), frame[10:12]
        unit_name = unit.decode("ascii").strip().lower()
    except UnicodeDecodeError:
        return None
    if status not in ("S", "U") or sign not in (" ", "-", "F"):
        return None
    if sign == "F":
        return Reading(0.0, False, ReadingStatus.OVERLOAD)
    if not _DIGITS.fullmatch(digits):
        return None
    value = float(digits) * (-1 if sign == "-" else 1)
    return Reading(to_kg(value, unit_name), status == "S")


class CasScale(OnLink[bytes]):
    """A CAS scale on its ECR interface. Not thread-safe: one owner polls it.

    ``attempts``: how often one read asks again after a NAK or a frame that failed its check.
    """

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        timeout_s: float = 0.5,
        attempts: int = 5,
    ) -> None:
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._buffer = bytearray()
        self._noise = b""  # the run of noise skipped since the last answer
        # No lines to classify: the ECR answers are bytes, framed here.
        self._link = ScaleLink(port, baudrate, timeout_s, device="the CAS scale")

    @classmethod
    def from_config(cls, config: CasScaleConfig) -> Self:
        return cls(config.port, baudrate=config.baudrate)

    def read(self) -> Reading:
        last: _Refused = _Refused.NAK
        for _ in range(self._attempts):
            self._start()
            deadline = time.monotonic() + self._timeout_s
            self._write(ENQ)
            if self._await_answer(deadline) == NAK:
                last = _Refused.NAK
                continue
            self._write(DC1)
            reply = self._await_frame(time.monotonic() + self._timeout_s)
            if isinstance(reply, Reading):
                return reply
            last = reply
        if last is _Refused.BAD_FRAME:
            raise ScaleError(f"no intact frame from the CAS scale in {self._attempts} attempts")
        return Reading(0.0, False, ReadingStatus.BUSY)

    def zero(self) -> bool:
        logger.info("the CAS ECR protocol has no zero command; zero the scale with its key")
        return False

    def tare(self) -> bool:
        logger.info("the CAS ECR protocol has no tare command; tare the scale with its key")
        return False

    def _start(self) -> None:
        # Whatever is waiting belongs to an earlier exchange; it must not pass for this one.
        self._end_noise()
        self._buffer.clear()
        self._link.forget_waiting()

    def _write(self, byte: int) -> None:
        self._link.write(bytes([byte]))

    def _receive(self, deadline: float) -> None:
        """Add what has arrived to the buffer, waiting for at least one byte until the deadline."""
        self._buffer += self._link.receive(deadline, "to ENQ or DC1")

    def _quiet(self) -> bool:
        """True when nothing more arrives for a moment (tells a real NAK from one in the noise)."""
        time.sleep(_NAK_SILENCE_S)
        return not self._link.waiting()

    def _await_answer(self, deadline: float) -> int:
        """ACK or NAK to ENQ; bytes around it are noise.

        An ACK wins at once: if it came from the noise, the DC1 that follows finds out. A NAK counts only
        once the line is quiet, as a NAK in the noise is followed at once by the real answer.
        """
        while True:
            at = self._buffer.find(ACK)
            if at >= 0:
                self._skip(at)
                del self._buffer[:1]
                self._end_noise()
                return ACK
            if NAK in self._buffer and self._quiet():
                self._skip(len(self._buffer))
                self._end_noise()
                return NAK
            if NAK not in self._buffer:
                self._skip(len(self._buffer))
            self._receive(deadline)

    def _await_frame(self, deadline: float) -> Reading | _Refused:
        """The frame after DC1; a NAK (followed by silence) or a frame failing its check refuses."""
        nak = False
        while True:
            start = self._buffer.find(_HEAD)
            if start < 0:
                # Keep a last SOH: its STX may be on the way.
                start = len(self._buffer) - (1 if self._buffer.endswith(bytes([SOH])) else 0)
            nak = nak or NAK in self._buffer[:start]
            self._skip(start)
            if len(self._buffer) >= FRAME_LENGTH:
                if self._buffer[13] == ETX and self._buffer[14] == EOT:
                    frame = bytes(self._buffer[:FRAME_LENGTH])
                    del self._buffer[:FRAME_LENGTH]
                    self._end_noise()
                    reading = parse_frame(frame)
                    if reading is not None:
                        return reading
                    self._link.count_garbage(frame)
                    return _Refused.BAD_FRAME
                # SOH STX inside the noise: not a frame, look further.
                self._skip(1)
                continue
            if nak and self._quiet():
                self._end_noise()
                return _Refused.NAK
            self._receive(deadline)

    def _skip(self, count: int) -> None:
        """Drop bytes that answer nothing; anything but stray ACK/NAK bytes is noise."""
        if count <= 0:
            return
        # Only the start is kept, for the debug log.
        self._noise = (self._noise + bytes(self._buffer[:count]).translate(None, bytes([ACK, NAK])))[:40]
        del self._buffer[:count]

    def _end_noise(self) -> None:
        """An answer arrived: the noise before it, however many reads it took, counts once."""
        if self._noise:
            self._link.count_garbage(self._noise)
            self._noise = b""
