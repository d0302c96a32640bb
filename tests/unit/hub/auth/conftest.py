"""Cheap argon2id parameters for the unit tests: the code paths are the same, each hash takes a millisecond."""

from __future__ import annotations

from pathlib import Path

import pytest
from pwdlib.hashers.argon2 import Argon2Hasher

from hub.auth.passwords import Passwords
from hub.auth.store import UserStore


class Clock:
    """Wall-clock time that a test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def cheap(time_cost: int = 1) -> Passwords:
    return Passwords(Argon2Hasher(time_cost=time_cost, memory_cost=1024, parallelism=1))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> UserStore:
    return UserStore(tmp_path / "users.sqlite", session_idle_s=3600, passwords=cheap(), clock=clock)
