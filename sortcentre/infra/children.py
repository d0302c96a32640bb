"""Child processes that end with their parent, even when the parent is killed without a chance to clean up."""

from __future__ import annotations

import ctypes
import signal

# Loaded once in the parent: the child only calls into it between fork and exec, where starting ldconfig
# (what ctypes.util.find_library does) has no business.
_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def die_with_parent() -> None:
    """For ``Popen(preexec_fn=...)``: a test run or demo that is SIGKILLed leaves no server behind.

    Linux delivers the signal when the thread that started the child ends, so start children from a thread
    that lives as long as they should (the main thread, here)."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
