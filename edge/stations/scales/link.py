"""A scale's serial line, as every driver uses it: send a command, wait for the reply that answers it.

The rules every protocol shares live here, once:

* before a command, whatever is waiting is a late reply to an earlier one and is dropped, so it cannot
  pass for this command's answer;
* a reply is awaited until a deadline, not per read: noise arriving slowly cannot stretch the wait;
* a line that is no reply at all is noise: it is skipped and counted in ``garbage_lines``, and too many in
  a row raise :class:`ScaleError`;
* a port that fails (USB unplugged, pty closed) raises :class:`ScaleError`, never a pyserial or OS error,
  so the station treats it as a scale fault and reopens.

Line protocols (MT-SICS, A&D, Dini Argeo) use :meth:`ScaleLink.command` and :meth:`ScaleLink.await_reply`;
the byte protocol of CAS builds on :meth:`ScaleLink.receive` with its own framing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import serial

from edge.stations.scales.base import PORT_ERRORS, ScaleError

logger = logging.getLogger(__name__)

Reply = TypeVar("Reply")

# A run of bytes this long with no line end is noise, not a reply still arriving.
MAX_LINE = 128


def open_port(port: str, baudrate: int, timeout_s: float, **settings: Any) -> serial.Serial:
    """Open a scale's serial port with nothing stale in its input buffer; ScaleError when it cannot be."""
    try:
        opened = serial.Serial(port, baudrate=baudrate, timeout=timeout_s, write_timeout=timeout_s, **settings)
        opened.reset_input_buffer()
    except PORT_ERRORS as exc:
        raise ScaleError(f"cannot open scale port {port}: {exc}") from exc
    return opened


class ScaleLink(Generic[Reply]):
    """The serial port of one scale. ``device`` names it in errors ("the A&D balance"). Not thread-safe.

    ``Reply`` is what the driver's protocol makes of a line (:meth:`await_reply`)."""

    def __init__(
        self,
        port: str,
        baudrate: int,
        timeout_s: float,
        *,
        device: str,
        max_garbage: int = 5,
        **settings: Any,
    ) -> None:
        self.garbage_lines = 0
        self.timeout_s = timeout_s
        self._device = device
        self._max_garbage = max_garbage
        self._pending = b""  # the start of a line not complete yet
        self._serial = open_port(port, baudrate, timeout_s, **settings)

    def close(self) -> None:
        self._serial.close()

    # -- bytes --------------------------------------------------------------------------------------------
    def forget_waiting(self) -> None:
        """Drop what has arrived: it belongs to an earlier exchange and must not pass for the next one."""
        self._pending = b""
        try:
            self._serial.reset_input_buffer()
        except PORT_ERRORS as exc:
            raise ScaleError(f"scale port failed: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
        except PORT_ERRORS as exc:
            raise ScaleError(f"scale port failed: {exc}") from exc

    def waiting(self) -> int:
        """How many bytes have arrived and wait to be read."""
        try:
            return int(self._serial.in_waiting)
        except PORT_ERRORS as exc:
            raise ScaleError(f"scale port failed: {exc}") from exc

    def receive(self, deadline: float, waiting_for: str) -> bytes:
        """What has arrived, waiting up to one port timeout for at least a byte; b"" while the deadline is
        not reached, ScaleError ("no reply ``waiting_for`` in time") once it is.

        Reads whatever has arrived in one go rather than byte by byte (pyserial's readline): a noisy line
        can carry thousands of bytes between two polls."""
        try:
            chunk = bytes(self._serial.read(self._serial.in_waiting or 1))
        except PORT_ERRORS as exc:
            raise ScaleError(f"scale port failed: {exc}") from exc
        if not chunk and time.monotonic() >= deadline:
            raise ScaleError(f"no reply {waiting_for} from {self._device} in time")
        return chunk

    # -- lines --------------------------------------------------------------------------------------------
    def command(self, command: str, *, forget_waiting: bool = True) -> None:
        """Send one command line (CR LF), first dropping what is waiting unless ``forget_waiting`` is False
        (a scale that streams frames by itself: what is waiting is the stream, not a late reply)."""
        if forget_waiting:
            self.forget_waiting()
        self.write(f"{command}\r\n".encode("ascii"))

    def read_line(self, deadline: float, waiting_for: str) -> bytes:
        """The next line, without its LF; runs of MAX_LINE bytes without a line end are counted as noise."""
        while b"\n" not in self._pending:
            self._pending += self.receive(deadline, waiting_for)
            if len(self._pending) > MAX_LINE and b"\n" not in self._pending:
                self.garbage_lines += 1
                self._pending = b""
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def lines_waiting(self) -> list[bytes]:
        """Every complete line that has arrived, without waiting (a stream's frames queue up between polls)."""
        *lines, self._pending = (self._pending + self.receive_now()).split(b"\n")
        if len(self._pending) > MAX_LINE:
            lines.append(self._pending)
            self._pending = b""
        return lines

    def receive_now(self) -> bytes:
        waiting = self.waiting()
        if not waiting:
            return b""
        try:
            return bytes(self._serial.read(waiting))
        except PORT_ERRORS as exc:
            raise ScaleError(f"scale port failed: {exc}") from exc

    def await_reply(
        self,
        command: str,
        classify: Callable[[bytes], Reply | None],
        deadline: float | None = None,
        belongs: Callable[[object], bool] | None = None,
    ) -> Reply:
        """The first line that answers ``command``: ``classify`` turns a line into a reply (None: noise,
        skipped and counted); a reply for which ``belongs`` is False (a stream frame while waiting for an
        acknowledgement) is passed over. Waits until ``deadline``, by default one timeout from now."""
        if deadline is None:
            deadline = time.monotonic() + self.timeout_s
        garbage = 0
        while True:
            raw = self.read_line(deadline, f"to {command}")
            reply = classify(raw)
            if reply is None:
                self.count_garbage(raw)
                garbage += 1
                if garbage > self._max_garbage:
                    raise ScaleError(f"no valid reply to {command} in {self._max_garbage} lines")
            elif belongs is None or belongs(reply):
                return reply

    def count_garbage(self, dropped: bytes) -> None:
        self.garbage_lines += 1
        logger.debug("skipped noise from %s: %r", self._device, dropped[:40])


class OnLink(Generic[Reply]):
    """What a driver that talks through a :class:`ScaleLink` (in ``_link``) gives the station for free."""

    _link: ScaleLink[Reply]

    @property
    def garbage_lines(self) -> int:
        """Lines (or runs of bytes) of noise skipped so far."""
        return self._link.garbage_lines

    def close(self) -> None:
        self._link.close()
