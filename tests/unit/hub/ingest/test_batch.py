"""BatchWriter isolates what cannot be stored: a refused point by bisection, a message that makes the hub fail,
a station time outside the plausibility window. The store here is a stand-in that refuses chosen lines the way
InfluxDB does (a 400 for the whole request); tests/integration/test_ingest_isolation.py does it for real."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.contract import RejectReason, StationTimeWindow, TopicKind, topic
from hub.ingest import batch as batch_module
from hub.ingest.batch import BatchWriter
from hub.storage.influx_v1 import InfluxError
from local_servers.fleet import make_event

TOPIC = topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT)


class RefusingStore:
    """Refuses (400) any write that holds a line with a poison marker; fails (503) the first ``outages`` writes."""

    def __init__(self, poison: Iterable[str] = (), outages: int = 0) -> None:
        self.poison = set(poison)
        self.outages = outages
        self.writes: list[list[str]] = []
        self.stored: set[str] = set()

    def write(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        self.writes.append(lines)
        if self.outages:
            self.outages -= 1
            raise InfluxError("write returned 503: busy", 503)
        if any(marker in line for line in lines for marker in self.poison):
            raise InfluxError("write returned 400: unable to parse", 400)
        self.stored.update(lines)


def writer(store: Any, window: StationTimeWindow | None = None) -> BatchWriter:
    return BatchWriter(store, retry_initial_s=0.001, retry_max_s=0.002, stop_wait=lambda _s: False, window=window)


def test_one_refused_point_among_a_thousand_is_found_in_log2_writes() -> None:
    events = [make_event(seq) for seq in range(1, 1001)]
    poison = str(events[637].event_id)
    store = RefusingStore(poison=[poison])
    result = writer(store).process([(TOPIC, e.to_json()) for e in events])
    assert result.completed
    assert [(r.position, r.reason) for r in result.refused] == [(637, RejectReason.STORE_REFUSED)]
    assert len(result.stored) == 999 and 637 not in {s.position for s in result.stored}
    assert len(store.stored) == 999
    # One write for the whole batch, then two per halving down to the one point: not one write per point.
    assert result.writes <= 1 + 2 * math.ceil(math.log2(1000))
    assert len(result.touched) >= 1


def test_several_refused_points_and_the_touched_buckets_are_only_the_stored_ones() -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    good = [make_event(seq, when=now) for seq in range(1, 101)]
    bad = [make_event(1000 + i, when=now - timedelta(hours=i + 1)) for i in range(3)]
    messages = [(TOPIC, e.to_json()) for e in [*good[:30], bad[0], *good[30:60], bad[1], bad[2], *good[60:]]]
    store = RefusingStore(poison=[str(e.event_id) for e in bad])
    result = writer(store).process(messages)
    assert sorted(r.position for r in result.refused) == [30, 61, 62]
    assert len(result.stored) == 100
    # The refused events' minutes are not refreshed: only the stored events' minute is touched.
    assert {moment for _site, _station, moment in result.touched} == {now}
    assert result.newest == now


def test_a_retryable_failure_is_retried_and_nothing_is_refused() -> None:
    store = RefusingStore(outages=3)
    events = [make_event(seq) for seq in range(1, 11)]
    result = writer(store).process([(TOPIC, e.to_json()) for e in events])
    assert result.completed and not result.refused and len(result.stored) == 10
    assert result.influx_errors == 3
    assert [len(w) for w in store.writes] == [10, 10, 10, 10]  # the whole batch each time: no splitting


def test_station_times_outside_the_window_are_implausible() -> None:
    received = datetime.now(UTC)
    window = StationTimeWindow(past=timedelta(days=400), future=timedelta(days=1))
    ahead = make_event(1, when=received + timedelta(days=2))
    behind = make_event(2, when=received - timedelta(days=401))
    inside = make_event(3, when=received - timedelta(days=399))
    store = RefusingStore()
    result = writer(store, window).process(
        [(TOPIC, e.to_json()) for e in (ahead, behind, inside)], received=received.timestamp()
    )
    assert [(r.position, r.reason) for r in result.refused] == [
        (0, RejectReason.IMPLAUSIBLE_TIME),
        (1, RejectReason.IMPLAUSIBLE_TIME),
    ]
    assert [s.position for s in result.stored] == [2]


def test_a_message_that_makes_the_hub_fail_is_refused_and_its_neighbours_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = [make_event(seq) for seq in range(1, 6)]
    real_line = batch_module.event_line

    def failing_line(event: Any) -> str:
        if event.seq == 3:
            raise RecursionError("maximum recursion depth exceeded")
        return real_line(event)

    monkeypatch.setattr(batch_module, "event_line", failing_line)
    store = RefusingStore()
    result = writer(store).process([(TOPIC, e.to_json()) for e in events])
    assert result.completed
    assert [(r.position, r.reason) for r in result.refused] == [(2, RejectReason.INVALID_FIELDS)]
    assert sorted(s.position for s in result.stored) == [0, 1, 3, 4]
    assert len(store.stored) == 4
    assert result.unexpected_errors >= 1


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        *[(None, True), (500, True), (503, True), (429, True), (408, True), (401, True), (403, True), (404, True)],
        *[(400, False), (413, False), (422, False)],
    ],
)
def test_influx_errors_are_classed(status: int | None, retryable: bool) -> None:
    assert InfluxError("x", status).retryable is retryable


def test_a_refused_statement_in_a_200_answer_is_not_retryable_but_a_query_limit_is() -> None:
    import httpx

    from hub.storage.influx_v1 import InfluxV1

    def answer(body: str) -> httpx.Response:
        return httpx.Response(200, text=body, request=httpx.Request("POST", "http://influx/query"))

    with pytest.raises(InfluxError) as refused:
        InfluxV1._results(answer('{"results":[{"error":"time 2300-01-01T00:00:00Z overflows time literal"}]}'))
    assert not refused.value.retryable
    with pytest.raises(InfluxError) as busy:
        InfluxV1._results(answer('{"results":[{"error":"max-concurrent-queries limit exceeded(20, 20)"}]}'))
    assert busy.value.retryable
    with pytest.raises(InfluxError) as garbled:
        InfluxV1._results(answer("<html>proxy error</html>"))
    assert garbled.value.retryable
