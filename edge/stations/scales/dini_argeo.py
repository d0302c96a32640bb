"""Dini Argeo DFW (and DGT, 3590) weight indicators, ASCII serial protocol, PC port "on demand".

Sources: Dini Argeo "DFW - DFWL serial protocol" (TECH_MAN_ENG_DFW_SERIAL_PROTOCOL: "Format of the serial
commands", "485 communication", "Command errors", READ/ZERO/TARE); 3590E technical manual 5.4
"Transmission protocols", standard string; DGT manual "Serial errors" and "Zero command".

Commands end with CR LF. With the RS-485 protocol selected (the default here) every command and every
answer is preceded by the two-digit instrument address, ``01READ``; ``address=None`` is the RS-232 form
without it.

* ``nnREAD`` -> the standard string ``nnHH,KK,PPPPPPPP,UM``:

  - ``HH``: ``ST`` stable, ``US`` unstable, ``OL`` overload, ``UL`` underload;
  - ``KK``: ``GS`` gross or ``NT`` net (whichever the display shows);
  - ``PPPPPPPP``: the weight in 8 characters including sign and decimal point, right-aligned
    (``  12.345``, ``  -1.250``); meaningless in an ``OL``/``UL`` string;
  - ``UM``: the unit in 2 characters, right-aligned: ``kg``, `` g``, ``lb``, `` t``;

* ``nnZERO`` and ``nnTARE`` -> ``nnOK`` when the command was received (the manual: this does "not mean
  necessarily that the instrument executes" it);
* any command may get ``ERR01`` (a known command followed by stray letters, e.g. ``READF``), ``ERR02``
  (wrong data), ``ERR03`` (not allowed now: busy, or not in this operating mode) or ``ERR04`` (no such
  command). The manual shows errors without the address; both forms are accepted.

``ERR03`` is the "not now" answer: a busy reading, a refused zero/tare. The others raise :class:`ScaleError`.
"""

from __future__ import annotations

import logging
import re
from typing import Self

from config.drivers import DiniArgeoScaleConfig
from edge.stations.scales.base import Reading, ReadingStatus, ScaleError, to_kg
from edge.stations.scales.link import OnLink, ScaleLink

logger = logging.getLogger(__name__)


ERROR_TEXT = {
    1: "command followed by stray characters",
    2: "wrong command data",
    3: "command not allowed now",
    4: "no such command",
}
_NOT_NOW = 3
_FRAME = re.compile(r"(?P<addr>\d\d)?(?P<head>ST|US|OL|UL),(?P<kind>GS|NT),(?P<number>[^,]{8}),(?P<unit>[ A-Za-z]{2})")
_ERROR = re.compile(r"(?P<addr>\d\d)?ERR0(?P<code>[1-4])")
_OK = re.compile(r"(?P<addr>\d\d)?OK")
_NUMBER = re.compile(r" *[-+]? *\d*\.?\d+ *")
OK = "OK"


def _describe(reply: Reading | str | int) -> str:
    return f"ERR0{reply} ({ERROR_TEXT[reply]})" if isinstance(reply, int) else str(reply)


class DiniArgeoScale(OnLink[Reading | str | int]):
    """A Dini Argeo indicator on a serial port. Not thread-safe: one owner polls it."""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        timeout_s: float = 0.5,
        max_garbage: int = 5,
        address: int | None = 1,
    ) -> None:
        if address is not None and not 0 <= address <= 99:
            raise ValueError("a Dini Argeo address has two digits: 0 to 99")
        self._address = None if address is None else f"{address:02d}"
        self._link = ScaleLink(port, baudrate, timeout_s, device="the Dini Argeo indicator", max_garbage=max_garbage)

    @classmethod
    def from_config(cls, config: DiniArgeoScaleConfig) -> Self:
        """``address`` none in the config is the RS-232 form, without an address."""
        return cls(config.port, baudrate=config.baudrate, address=config.address)

    def read(self) -> Reading:
        reply = self._command("READ", want_frame=True)
        if isinstance(reply, Reading):
            return reply
        if reply == _NOT_NOW:
            return Reading(0.0, False, ReadingStatus.BUSY)
        raise ScaleError(f"Dini Argeo indicator answered {_describe(reply)} to READ")

    def zero(self) -> bool:
        return self._control("ZERO")

    def tare(self) -> bool:
        return self._control("TARE")

    def _control(self, command: str) -> bool:
        reply = self._command(command, want_frame=False)
        if reply == OK:
            return True
        if reply == _NOT_NOW:
            logger.info("Dini Argeo indicator refused %s: %s", command, ERROR_TEXT[_NOT_NOW])
            return False
        raise ScaleError(f"Dini Argeo indicator answered {_describe(reply)} to {command}")

    def _command(self, command: str, want_frame: bool) -> Reading | str | int:
        """Send one command; the reading, OK, or the error number, skipping noise (counted). An OK while
        waiting for a weight, or a weight while waiting for OK, is not this command's reply."""
        prefixed = f"{self._address or ''}{command}"

        def belongs(reply: object) -> bool:
            return isinstance(reply, int) or isinstance(reply, Reading) == want_frame

        self._link.command(prefixed)
        return self._link.await_reply(prefixed, self._classify, belongs=belongs)

    def _classify(self, raw: bytes) -> Reading | str | int | None:
        try:
            line = raw.rstrip(b"\r").decode("ascii")
        except UnicodeDecodeError:
            return None
        if match := _ERROR.fullmatch(line):
            # The manual lists the errors without an address; one with another address is not ours.
            return int(match["code"]) if match["addr"] in (None, self._address) else None
        if (match := _OK.fullmatch(line) or _FRAME.fullmatch(line)) is None or match["addr"] != self._address:
            return None
        if match.re is _OK:
            return OK
        return self._reading(match)

    @staticmethod
    def _reading(match: re.Match[str]) -> Reading | None:
        if match["head"] == "OL":
            return Reading(0.0, False, ReadingStatus.OVERLOAD)
        if match["head"] == "UL":
            return Reading(0.0, False, ReadingStatus.UNDERLOAD)
        # Right-aligned with spaces; a sign may stand apart from the digits ("-  1.250").
        if not _NUMBER.fullmatch(match["number"]):
            return None
        value = float(match["number"].replace(" ", ""))
        return Reading(to_kg(value, match["unit"].strip().lower()), match["head"] == "ST")
