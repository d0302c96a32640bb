"""What every scale driver gives the station: a reading in kilograms with a stability flag."""

from __future__ import annotations

import termios
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import serial

UNIT_TO_KG = {"g": 0.001, "kg": 1.0, "lb": 0.45359237, "oz": 0.028349523125}


class ReadingStatus(StrEnum):
    OK = "ok"
    OVERLOAD = "overload"  # more than the scale's capacity
    UNDERLOAD = "underload"  # below zero range (e.g. the plate was lifted)
    BUSY = "busy"  # the scale cannot answer now (e.g. still taring)


@dataclass(frozen=True, slots=True)
class Reading:
    weight_kg: float
    stable: bool
    status: ReadingStatus = ReadingStatus.OK

    @property
    def usable(self) -> bool:
        return self.status is ReadingStatus.OK


class ScaleError(IOError):
    """The scale did not answer, answered garbage too often, or the port went away."""


class Scale(Protocol):
    def read(self) -> Reading:
        """The current weight, immediately (stable or not)."""

    def zero(self) -> bool:
        """Set the zero point; False when the scale refused (e.g. unstable)."""

    def tare(self) -> bool:
        """Tare the current load; False when the scale refused."""

    def close(self) -> None: ...


def to_kg(value: float, unit: str) -> float:
    try:
        return value * UNIT_TO_KG[unit]
    except KeyError:
        raise ScaleError(f"unknown weight unit {unit!r}") from None


# A port that went away (USB unplugged, pty closed) fails with any of these; termios.error comes from the
# buffer flush before a command and is no OSError.
PORT_ERRORS = (serial.SerialException, OSError, termios.error)


def open_port(port: str, baudrate: int, timeout_s: float, **settings: Any) -> serial.Serial:
    """Open a scale's serial port with nothing stale in its input buffer; ScaleError when it cannot be."""
    try:
        opened = serial.Serial(port, baudrate=baudrate, timeout=timeout_s, write_timeout=timeout_s, **settings)
        opened.reset_input_buffer()
    except PORT_ERRORS as exc:
        raise ScaleError(f"cannot open scale port {port}: {exc}") from exc
    return opened


# A run of bytes this long with no line end is noise, not a reply still arriving.
MAX_LINE = 128


def read_line(port: serial.Serial, pending: bytes, deadline: float, waiting_for: str) -> tuple[bytes, bytes, int]:
    """The next line from ``port`` after what is already ``pending``: (line, rest, noise runs dropped).

    Reads whatever has arrived in one go rather than byte by byte (pyserial's readline): a noisy line can
    carry thousands of bytes between two polls. Raises ScaleError when nothing completes a line by
    ``deadline`` (``waiting_for`` says what was awaited) or the port fails."""
    dropped = 0
    while b"\n" not in pending:
        try:
            chunk = port.read(port.in_waiting or 1)
        except PORT_ERRORS as exc:
            raise ScaleError(f"scale port failed: {exc}") from exc
        pending += chunk
        if len(pending) > MAX_LINE and b"\n" not in pending:
            dropped += 1
            pending = b""
        if not chunk and time.monotonic() >= deadline:
            raise ScaleError(f"no reply {waiting_for} in time")
    line, _, rest = pending.partition(b"\n")
    return line, rest, dropped
