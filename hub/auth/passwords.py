"""Password hashes: argon2id through pwdlib (docs/users.md says why that algorithm).

Argon2id is memory-hard: each guess costs the attacker 64 MiB as well as time, which takes away most of the
advantage of GPUs and ASICs over our one CPU. pwdlib keeps the parameters in the hash itself, so a hash made
with weaker parameters than today's is recognised at login and replaced (``verify_and_update``).
"""

from __future__ import annotations

import threading
from functools import cached_property

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# NIST SP 800-63B asks for at least 8; 10 leaves room for the pass phrases we recommend in docs/users.md.
MIN_LENGTH = 10
# Nobody types more; a longer one is an attempt to make us hash megabytes.
MAX_LENGTH = 1024
# Each hash takes 64 MiB for a fraction of a second; a burst of logins from many addresses must not take
# the hub's memory with it, so at most this many are computed at once and the rest wait their turn.
CONCURRENT_HASHES = 4


class PasswordError(ValueError):
    """A new password that we refuse (too short, too long)."""


def check_new_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"a password may have at most {MAX_LENGTH} characters")
    return password


class Passwords:
    """Hashing and checking, with a dummy hash to check against when there is no such user."""

    def __init__(self, hasher: Argon2Hasher | None = None) -> None:
        # argon2-cffi's defaults are RFC 9106's second recommendation: t=3, m=64 MiB, p=4.
        self._hash = PasswordHash((hasher or Argon2Hasher(),))
        self._slots = threading.BoundedSemaphore(CONCURRENT_HASHES)

    @cached_property
    def _dummy(self) -> str:
        """Made when first needed: the CLI opens the store for one command and seldom needs it."""
        return self.hash("not a password of anyone")

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hash.hash(password)

    def verify_and_update(self, password: str, stored: str) -> tuple[bool, str | None]:
        """(matches, a new hash to store when ``stored`` was made with other parameters, else None)."""
        if len(password) > MAX_LENGTH:  # no stored password is that long
            self.verify_nobody(password)
            return False, None
        with self._slots:
            return self._hash.verify_and_update(password, stored)

    def verify_nobody(self, password: str) -> None:
        """Spend the time a real check takes, so the answer's timing does not tell which user names exist."""
        with self._slots:
            self._hash.verify(password[:MAX_LENGTH], self._dummy)
