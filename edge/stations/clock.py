"""The station's clock: the time it stamps on events and heartbeats, and whether NTP has synchronised it (a
Raspberry Pi has no RTC and boots in the past until NTP syncs)."""

from __future__ import annotations

import ctypes
import logging
from datetime import datetime, timedelta

from core.contract import now_utc_ms as machine_now_utc_ms

logger = logging.getLogger(__name__)


class _Simulated:
    """The process's clock error, set only by ``simulated_clock_offset_s`` (simulation and tests): 0 on a real
    station."""

    offset = timedelta(0)


# The C library of this process, loaded once: the kiosk asks for the warnings ten times a second, and
# ctypes.util.find_library runs ldconfig in a subprocess on every call.
_LIBC = ctypes.CDLL(None, use_errno=True)
_TIME_ERROR = 5  # adjtimex(2) return value: the clock is not synchronised (STA_UNSYNC)


class _Timex(ctypes.Structure):
    # struct timex is 208 bytes on 64-bit Linux; with modes = 0 adjtimex only reads.
    _fields_ = [("modes", ctypes.c_uint), ("_rest", ctypes.c_byte * 204)]


def clock_synced() -> bool:
    try:
        state = _LIBC.adjtimex(ctypes.byref(_Timex()))
    except AttributeError:  # no adjtimex: not Linux
        return False
    return bool(state >= 0 and state != _TIME_ERROR)


def simulate_offset(seconds: float) -> None:
    """Make this station's clock run ``seconds`` ahead (negative: behind) of the machine's, to show and test the
    hub's clock check without changing the machine's own clock."""
    _Simulated.offset = timedelta(seconds=seconds)
    if seconds:
        logger.warning("simulated clock: this station stamps its events and heartbeats %+.1f s off", seconds)


def now_utc_ms() -> datetime:
    """The station's time (UTC, at the millisecond precision of ``station_time`` on the wire): the machine's,
    unless a simulated offset is set."""
    return machine_now_utc_ms() + _Simulated.offset
