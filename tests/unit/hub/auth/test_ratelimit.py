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


def test_counted_per_user_name_and_per_address() -> None:
    limiter = LoginLimiter(5, 900, Clock())
    for n in range(5):  # one machine trying many names
        limiter.failed(f"user{n}", "10.0.0.1")
    assert limiter.retry_after("someone-else", "10.0.0.1") is not None
    assert limiter.retry_after("user0", "10.0.0.2") is None
    for n in range(5):  # many machines trying one name
        limiter.failed("jan", f"10.0.1.{n}")
    assert limiter.retry_after("jan", "10.0.2.1") is not None


def test_a_success_clears_the_user_name_but_not_the_address() -> None:
    limiter = LoginLimiter(5, 900, Clock())
    for _ in range(4):
        limiter.failed("jan", "10.0.0.1")
    limiter.succeeded("jan")
    for _ in range(4):
        limiter.failed("jan", "10.0.0.2")
    assert limiter.retry_after("jan", "10.0.0.3") is None  # 4 since the success
    limiter.failed("piet", "10.0.0.1")
    assert limiter.retry_after("piet", "10.0.0.1") is not None  # the address has its 5


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_KEYS", 100)
    limiter = LoginLimiter(5, 900, Clock())
    for n in range(1000):
        limiter.failed(f"user{n}", f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._failures) == 100
