from __future__ import annotations

from hub.auth import ratelimit
from hub.keys.ratelimit import TokenBucket
from tests.unit.hub.auth.conftest import Clock


def test_a_burst_then_the_sustained_rate() -> None:
    clock = Clock(0.0)
    bucket = TokenBucket(60, 20, clock)
    assert [bucket.take("a") for _ in range(20)] == [None] * 20
    assert bucket.take("a") == 1  # one request per second refills
    clock.now = 0.5
    assert bucket.take("a") == 1  # half a token: whole seconds, rounded up
    clock.now = 1.0
    assert bucket.take("a") is None
    assert bucket.take("a") == 1
    clock.now = 1000.0  # a long pause refills to the burst, not beyond
    assert [bucket.take("a") for _ in range(21)] == [None] * 20 + [1]


def test_slow_rates_say_how_long_to_wait() -> None:
    clock = Clock(0.0)
    bucket = TokenBucket(6, 2, clock)  # one request per 10 s
    assert bucket.take("a") is None and bucket.take("a") is None
    assert bucket.take("a") == 10
    clock.now = 7.0
    assert bucket.take("a") == 3


def test_keys_have_their_own_buckets_and_memory_is_bounded() -> None:
    clock = Clock(0.0)
    bucket = TokenBucket(60, 1, clock)
    assert bucket.take("a") is None and bucket.take("a") == 1
    assert bucket.take("b") is None
    for n in range(ratelimit.MAX_KEYS + 10):
        bucket.take(f"k{n}")
    assert len(bucket._buckets) == ratelimit.MAX_KEYS
