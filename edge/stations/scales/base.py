"""What every scale driver gives the station: a reading in kilograms with a stability flag."""

from __future__ import annotations

import termios
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

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
