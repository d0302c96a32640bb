"""A&D balances and scales (FX-i, FZ-i, GF, GX, HC-i, FC-i ...) speaking the "A&D standard format".

Sources: A&D FX-i/FZ-i instruction manual, "Commands" (command list; "Acknowledge code and error codes")
and "Data format"; HC-i / FC-i manuals ("Acknowledgment and error codes"); GX/GH manuals ("Data format
examples") for the overload frames. Commands end with CR LF.

Frame, 15 characters then CR LF::

    ST,+00012.34  g
    hh,sdddddddduuu

* ``hh``: ``ST`` stable, ``US`` unstable, ``OL`` overload (the display shows ``E`` or ``-E``), ``QT``
  counting mode (pieces, unit ``PC``);
* ``s dddddddd``: sign then 8 characters with the decimal point and leading zeros (``+0012.345``); in an
  ``OL`` frame the number is filler (nines, or ``E19`` on GX), only its sign counts: ``+`` over capacity,
  ``-`` below the zero range (reported here as underload);
* ``uuu``: unit right-aligned in 3 characters: ``  g``, `` kg``, `` lb``, `` PC`` ...

Commands used: ``Q`` (weight now; ``SI`` is the same), ``S`` (weight once stable), ``SIR`` (stream frames
continuously) and ``C`` (stop it), ``Z`` re-zero, ``T`` tare. With the function setting "AK, error code"
(``erCd 1``), which this driver needs, the balance answers:

* a data request with a frame, or ``EC,Exx`` when it cannot;
* ``Z`` and ``T`` with ``<AK>`` (06h) CR LF on receipt and a second ``<AK>`` CR LF once done, or
  ``EC,Exx`` instead of the second one when it could not (FZ-i manual 18.2: R, Z, T acknowledge twice).

Error codes (FX-i/FZ-i; HC-i and FC-i send one digit, ``EC,E1``): E00 communications error, E01 undefined
command, E02 not ready, E03 timeout, E04 excess characters, E06 format error, E07 parameter setting error,
E11 stability error. E02 and E11 mean "not now" (a refused zero/tare, a busy reading); the others mean the
line or the configuration is wrong and raise :class:`ScaleError`.

In stream mode the balance sends frames by itself; :meth:`AndScale.read` then returns the newest frame
that has arrived, and replies to ``Z``/``T`` are picked out from between the frames.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Self

import serial

from config.drivers import AndScaleConfig
from edge.stations.scales.base import Reading, ReadingStatus, ScaleError, to_kg
from edge.stations.scales.link import OnLink, ScaleLink

logger = logging.getLogger(__name__)


AK = "\x06"
_FRAME = re.compile(r"(?P<head>ST|US|QT),(?P<sign>[+-])(?P<number>[0-9.]{8})(?P<unit>[ A-Za-z]{3})")
# The number in an overload frame is filler whose shape differs between models, so only the sign is read.
_OVERLOAD = re.compile(r"OL,(?P<sign>[+-])[0-9.E+ ]{1,12}[ A-Za-z]{0,3}")
_ERROR = re.compile(r"EC,E(?P<code>\d{1,2})")
ERROR_TEXT = {
    0: "communications error",
    1: "undefined command",
    2: "not ready",
    3: "timeout error",
    4: "excess characters",
    6: "format error",
    7: "parameter setting error",
    11: "stability error",
}
# "Not now" rather than "broken": the balance was busy or could not settle.
_REFUSALS = frozenset({2, 11})


@dataclass(frozen=True, slots=True)
class _Ack:
    def __str__(self) -> str:
        return "<AK>"


@dataclass(frozen=True, slots=True)
class _Error:
    code: int

    def __str__(self) -> str:
        return f"EC,E{self.code:02d} ({ERROR_TEXT.get(self.code, 'unknown error')})"


_Reply = Reading | _Ack | _Error


def parse_frame(line: str) -> Reading | None:
    """A Reading for a standard-format weight frame, None when the line is not one.

    Raises ScaleError for a well-formed frame that carries no weight (counting mode, unknown unit).
    """
    if match := _OVERLOAD.fullmatch(line):
        status = ReadingStatus.OVERLOAD if match["sign"] == "+" else ReadingStatus.UNDERLOAD
        return Reading(0.0, False, status)
    match = _FRAME.fullmatch(line)
    if match is None or match["number"].count(".") > 1:
        return None
    unit = match["unit"].strip()
    if match["head"] == "QT" or unit == "PC":
        raise ScaleError("the balance is in counting mode: it sends pieces, not a weight")
    value = float(match["number"]) * (-1 if match["sign"] == "-" else 1)
    return Reading(to_kg(value, unit), match["head"] == "ST")


class AndScale(OnLink[_Reply]):
    """An A&D balance on a serial port. Not thread-safe: one owner polls it.

    ``continuous=True``: the balance streams frames (``SIR`` is sent on open, ``C`` on close).
    ``settle_timeout_s``: how long ``Z``/``T``/``S`` may take, the balance waits for a stable weight.
    The FX-i leaves the factory at 2400 bps, 7 data bits, even parity; pass ``bytesize``/``parity`` to match.
    """

    def __init__(
        self,
        port: str,
        baudrate: int = 2400,
        timeout_s: float = 0.5,
        max_garbage: int = 5,
        continuous: bool = False,
        settle_timeout_s: float = 5.0,
        bytesize: int = serial.EIGHTBITS,
        parity: str = serial.PARITY_NONE,
    ) -> None:
        self._timeout_s = timeout_s
        self._continuous = continuous
        self._settle_timeout_s = settle_timeout_s
        self._link = ScaleLink(
            port,
            baudrate,
            timeout_s,
            device="the A&D balance",
            max_garbage=max_garbage,
            bytesize=bytesize,
            parity=parity,
        )
        if continuous:
            self._link.command("SIR", forget_waiting=False)

    @classmethod
    def from_config(cls, config: AndScaleConfig) -> Self:
        return cls(config.port, baudrate=config.baudrate, continuous=config.continuous)

    def close(self) -> None:
        if self._continuous:
            try:
                self._link.command("C", forget_waiting=False)
            except ScaleError:
                logger.debug("could not stop the A&D stream before closing", exc_info=True)
        super().close()

    def read(self) -> Reading:
        if self._continuous:
            return self._newest_frame()
        return self._weigh("Q", self._timeout_s)

    def read_stable(self) -> Reading:
        return self._weigh("S", self._settle_timeout_s)

    def zero(self) -> bool:
        return self._control("Z")

    def tare(self) -> bool:
        return self._control("T")

    def _weigh(self, command: str, wait_s: float) -> Reading:
        self._send(command)
        reply = self._await(command, time.monotonic() + wait_s, want_frame=True)
        if isinstance(reply, Reading):
            return reply
        if isinstance(reply, _Error) and reply.code in _REFUSALS:
            return Reading(0.0, False, ReadingStatus.BUSY)
        raise ScaleError(f"A&D balance answered {reply} to {command}")

    def _control(self, command: str) -> bool:
        self._send(command)
        received = self._await(command, time.monotonic() + self._timeout_s, want_frame=False)
        if isinstance(received, _Ack):
            # The second reply comes once the balance has settled and done it (FZ-i manual 18.2).
            done = self._await(command, time.monotonic() + self._settle_timeout_s, want_frame=False)
        else:
            done = received
        if isinstance(done, _Ack):
            return True
        if isinstance(done, _Error) and done.code in _REFUSALS:
            logger.info("A&D balance refused %s: %s", command, ERROR_TEXT[done.code])
            return False
        raise ScaleError(f"A&D balance answered {done} to {command}")

    def _newest_frame(self) -> Reading:
        """The newest frame of the stream: frames queue up between polls and only the last is current."""
        newest: Reading | None = None
        for raw in self._link.lines_waiting():
            reply = _classify(raw)
            if isinstance(reply, Reading):
                newest = reply
            elif reply is None:
                self._link.count_garbage(raw)
        if newest is not None:
            return newest
        reply = self._await("stream", time.monotonic() + self._timeout_s, want_frame=True)
        if isinstance(reply, Reading):
            return reply
        raise ScaleError(f"A&D balance sent {reply} in its stream")

    def _send(self, command: str) -> None:
        # In stream mode what is waiting is the stream, not a late reply to an earlier command.
        self._link.command(command, forget_waiting=not self._continuous)

    def _await(self, command: str, deadline: float, want_frame: bool) -> _Reply:
        """The first reply that belongs to the command: an error, or a frame / <AK> as asked for (a stream
        frame while waiting for <AK>, or a stray <AK> while waiting for a frame, is passed over)."""

        def belongs(reply: object) -> bool:
            return isinstance(reply, _Error) or isinstance(reply, Reading) == want_frame

        return self._link.await_reply(command, _classify, deadline, belongs)


def _classify(raw: bytes) -> _Reply | None:
    try:
        line = raw.rstrip(b"\r").decode("ascii")
    except UnicodeDecodeError:
        return None
    if line == AK:
        return _Ack()
    if match := _ERROR.fullmatch(line):
        return _Error(int(match["code"]))
    return parse_frame(line)
