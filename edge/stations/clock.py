"""Is the station clock synchronised? A Raspberry Pi has no RTC and boots in the past until NTP syncs."""

from __future__ import annotations

import ctypes

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
