"""The device end of a pseudo-terminal: the host opens the other end as an ordinary serial port.

The host (the station) opens the pty's slave device with pyserial exactly as it opens /dev/ttyUSB0. The
master end has no device path pyserial could open, so the device side reads and writes the master file
descriptor directly. A stable symlink (e.g. ``var/demo/zwolle-plastic-1/scale``) points at the slave, so
station configs name a fixed path, as udev rules do on a real Pi.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import tty
from pathlib import Path


class PtyPort:
    def __init__(self, link: Path | None = None) -> None:
        self._master, self._slave = os.openpty()
        # Raw mode on the slave: no echo, no CR/LF translation, bytes pass as a serial line would carry them.
        tty.setraw(self._slave, termios.TCSANOW)
        self.device = os.ttyname(self._slave)
        self.link = link
        if link is not None:
            link.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
            link.symlink_to(self.device)
        self._buffer = b""

    @property
    def path(self) -> str:
        return str(self.link or self.device)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                select.select([], [self._master], [], 0.1)
                continue
            view = view[written:]

    def readline(self, timeout: float) -> bytes | None:
        """One line (ending in LF) from the host, or None after timeout."""
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._master], [], [], timeout)
            if not ready:
                return None
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # EIO: nobody has the slave open right now
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line + b"\n"

    def read_bytes(self, timeout: float) -> bytes | None:
        """Whatever the host has sent, or None after timeout (a protocol without lines: single bytes)."""
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

    def close(self) -> None:
        """The device goes away (unplugged): the host's next read or write fails."""
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
