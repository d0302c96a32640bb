from __future__ import annotations

import pytest

from hub.auth import ratelimit
from hub.auth.ratelimit import LoginLimiter
from tests.unit.hub.auth.conftest import Clock


def test_five_failures_block_the_sixth_try_until_the_window_moves() -> None:
    clock = Clock(0.0)
    limiter = LoginLimiter(5, 900, clock)
    for second in range(5):
        assert limiter.retry_after("jan", "10.0.0.1") is None
        clock.now = second * 10
        limiter.failed("jan", "10.0.0.1")
    assert limiter.retry_after("jan", "10.0.0.1") == 900 - 40  # until the first failure is 900 s old
    clock.now = 899.5
    assert limiter.retry_after("jan", "10.0.0.1") == 1  # whole seconds, rounded up
    clock.now = 900
    assert limiter.retry_after("jan", "10.0.0.1") is None
    limiter.failed("jan", "10.0.0.1")  # the first has left the window; the second is the oldest now
    assert limiter.retry_after("jan", "10.0.0.1") == 10


def test_one_persons_failures_do_not_lock_out_the_others_behind_the_same_address() -> None:
    """A site PC (or a proxy) is one address for everyone: jan's five typos block jan there, nobody else, and
    nobody elsewhere can lock jan out (before: one counter per address and one per name, 5 each)."""
    limiter = LoginLimiter(5, 900, Clock(), failures_per_address=100)
    for _ in range(5):
        limiter.failed("jan", "10.0.0.1")
    assert limiter.retry_after("jan", "10.0.0.1") is not None
    assert limiter.retry_after("piet", "10.0.0.1") is None  # same PC, another user
    assert limiter.retry_after("jan", "10.0.0.2") is None  # jan, from another PC
    for n in range(20):  # many machines guessing one name: each one is held to its own five
        for _ in range(5):
            limiter.failed("jan", f"10.0.1.{n}")
    assert limiter.retry_after("jan", "10.0.0.2") is None


def test_one_address_spraying_many_names_hits_the_address_cap() -> None:
    limiter = LoginLimiter(5, 900, Clock(), failures_per_address=100)
    for n in range(99):
        limiter.failed(f"user{n}", "10.0.0.1")
    assert limiter.retry_after("someone-else", "10.0.0.1") is None
    limiter.failed("user99", "10.0.0.1")
    assert limiter.retry_after("someone-else", "10.0.0.1") == 900  # the 100th failure spends the address
    assert limiter.retry_after("someone-else", "10.0.0.2") is None


def test_a_success_clears_that_name_from_that_address_but_not_the_address() -> None:
    limiter = LoginLimiter(5, 900, Clock(), failures_per_address=8)
    for _ in range(4):
        limiter.failed("jan", "10.0.0.1")
    limiter.succeeded("jan", "10.0.0.1")
    for _ in range(3):
        limiter.failed("jan", "10.0.0.1")
    assert limiter.retry_after("jan", "10.0.0.1") is None  # 3 since the success
    limiter.failed("piet", "10.0.0.1")
    assert limiter.retry_after("piet", "10.0.0.1") is not None  # the address has its 8


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_KEYS", 100)
    limiter = LoginLimiter(5, 900, Clock())
    for n in range(1000):
        limiter.failed(f"user{n}", f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._failures) == 100
