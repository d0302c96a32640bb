"""Mettler Toledo MT-SICS (Standard Interface Command Set), level 0 commands over a serial line.

Commands end with CR LF. Replies used here (MT-SICS reference manual, level 0):

* ``SI`` -> ``S S <value> <unit>`` (stable) or ``S D <value> <unit>`` (dynamic), ``S I`` (cannot execute now),
  ``S +`` (overload), ``S -`` (underload);
* ``S`` -> the same, but only once stable;
* ``Z`` -> ``Z A`` (zeroed), ``Z I``, ``Z +``, ``Z -``;  ``T`` -> ``T S <value> <unit>``, ``T I``, ``T +``, ``T -``;
* any command may get ``ES`` (syntax error), ``ET`` (transmission error) or ``EL`` (logical error).

A line that fits none of these in full (line noise on a long RS-232 cable) is counted and skipped: a noise
line that merely starts like the reply (``S`` and a space) must not be taken for it, or the real reply would
stay in the buffer and pass for the answer to the next command.
"""

from __future__ import annotations

import re
from typing import Self

from config.drivers import MtSicsScaleConfig
from edge.stations.scales.base import Reading, ReadingStatus, ScaleError, to_kg
from edge.stations.scales.link import OnLink, ScaleLink

_WEIGHT = re.compile(r"^S ([SD]) +(-?\d+(?:\.\d+)?) +(g|kg|lb|oz)$")
# Every well-formed reply to the commands used, by the head the reply starts with.
_REPLIES = {
    "S": re.compile(r"S (?:[SD] +-?\d+(?:\.\d+)? +(?:g|kg|lb|oz)|[I+-])"),
    "Z": re.compile(r"Z [AI+-]"),
    "T": re.compile(r"T (?:S +-?\d+(?:\.\d+)? +(?:g|kg|lb|oz)|[I+-])"),
}
# Replies a command may get that mean "no weight now" rather than "garbage".
_NO_WEIGHT = {"S I": ReadingStatus.BUSY, "S +": ReadingStatus.OVERLOAD, "S -": ReadingStatus.UNDERLOAD}
_ERRORS = {"ES": "syntax error", "ET": "transmission error", "EL": "logical error"}


class MtSicsScale(OnLink[str]):
    """A scale speaking MT-SICS on a serial port. Not thread-safe: one owner polls it."""

    def __init__(self, port: str, baudrate: int = 9600, timeout_s: float = 0.5, max_garbage: int = 5) -> None:
        self._link = ScaleLink(port, baudrate, timeout_s, device="the MT-SICS scale", max_garbage=max_garbage)

    @classmethod
    def from_config(cls, config: MtSicsScaleConfig) -> Self:
        return cls(config.port, baudrate=config.baudrate)

    def read(self) -> Reading:
        return self._weigh("SI")

    def read_stable(self) -> Reading:
        return self._weigh("S")

    def zero(self) -> bool:
        return self._command("Z", "Z") == "Z A"

    def tare(self) -> bool:
        return self._command("T", "T").startswith("T S")

    def _weigh(self, command: str) -> Reading:
        reply = self._command(command, "S")
        if reply in _NO_WEIGHT:
            return Reading(0.0, False, _NO_WEIGHT[reply])
        match = _WEIGHT.match(reply)
        if match is None:
            self._link.count_garbage(reply.encode())
            raise ScaleError(f"unexpected weight reply {reply!r}")
        flag, value, unit = match.groups()
        return Reading(to_kg(float(value), unit), flag == "S")

    def _command(self, command: str, reply_head: str) -> str:
        """Send one command, return the first reply line that belongs to it (skipping noise)."""

        def classify(raw: bytes) -> str | None:
            line = raw.decode("ascii", errors="replace").strip()
            return line if line in _ERRORS or _REPLIES[reply_head].fullmatch(line) else None

        self._link.command(command)
        line = self._link.await_reply(command, classify)
        if line in _ERRORS:
            raise ScaleError(f"scale answered {line} ({_ERRORS[line]}) to {command}")
        return line
