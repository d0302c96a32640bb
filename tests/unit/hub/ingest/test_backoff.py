"""The wait between attempts at InfluxDB (hub.ingest.backoff)."""

from __future__ import annotations

from hub.ingest.backoff import Backoff


def test_waits_double_up_to_the_cap_with_jitter_and_stop_ends_them() -> None:
    waits: list[float] = []
    stop_after = 6

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return len(waits) >= stop_after

    backoff = Backoff(0.2, 1.0, wait)
    assert [backoff.pause() for _ in range(stop_after)] == [True] * (stop_after - 1) + [False]
    bases = [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    assert all(0.5 * base <= waited <= base for waited, base in zip(waits, bases, strict=True))
    assert backoff.delay == 1.0
