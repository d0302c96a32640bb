"""Child processes: finding a program, and children that end with their parent even when it is killed."""

from __future__ import annotations

import ctypes
import shutil
import signal
from pathlib import Path

# Loaded once in the parent: the child only calls into it between fork and exec, where starting ldconfig
# (what ctypes.util.find_library does) has no business.
_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def die_with_parent() -> None:
    """For ``Popen(preexec_fn=...)``: a test run or demo that is SIGKILLed leaves no server behind.

    Linux delivers the signal when the thread that started the child ends, so start children from a thread
    that lives as long as they should (the main thread, here)."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ProgramNotFoundError(RuntimeError):
    """A program the project runs (mosquitto, mosquitto_passwd, influxd) is not installed."""


def find_program(name: str, package: str) -> str:
    """The path of ``name`` on PATH or in /usr/sbin and /usr/bin (Debian puts the servers in /usr/sbin)."""
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and Path(candidate).is_file():
            return candidate
    raise ProgramNotFoundError(
        f"{name} not found: install the Debian package '{package}' (make demo/test do it as root)"
    )
