"""The broadcaster: changes from other threads reach each client coalesced, at most one answer per interval,
with a pending set that cannot grow beyond the stations and never loses the latest change."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

from hub.live.broadcast import Broadcaster

A = ("zwolle", "zwolle-plastic-1")
B = ("zwolle", "zwolle-plastic-2")
C = ("ommen", "ommen-textile-1")


def test_first_change_goes_out_at_once_then_bursts_are_coalesced() -> None:
    async def scenario() -> list[tuple[float, frozenset[tuple[str, str]]]]:
        broadcaster = Broadcaster(min_interval_s=0.25)
        subscription = broadcaster.subscribe()
        stop = threading.Event()
        keys = [A, B, C]

        def publisher() -> None:
            n = 0
            while not stop.is_set():
                broadcaster.publish(frozenset({keys[n % 3]}))
                n += 1
                time.sleep(0.001)

        start = time.monotonic()
        thread = threading.Thread(target=publisher)
        thread.start()
        answers = []
        try:
            while time.monotonic() - start < 1.2:
                got = await subscription.next(5.0)
                assert got is not None
                answers.append((time.monotonic() - start, got))
        finally:
            stop.set()
            thread.join()
        return answers

    answers = asyncio.run(scenario())
    assert answers[0][0] < 0.1  # the first change after a quiet spell is not held back
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(answers)]
    assert all(gap >= 0.24 for gap in gaps), gaps  # never more than one answer per 250 ms
    assert 3 <= len(answers) <= 6  # ...and they keep coming during a continuous stream of changes
    assert all(got == {A, B, C} for _, got in answers[1:])  # every station that changed meanwhile


def test_a_slow_client_gets_the_union_not_a_backlog() -> None:
    async def scenario() -> tuple[frozenset[tuple[str, str]] | None, frozenset[tuple[str, str]] | None]:
        broadcaster = Broadcaster(min_interval_s=0.0)
        subscription = broadcaster.subscribe()

        def burst() -> None:
            for n in range(10_000):
                broadcaster.publish(frozenset({A if n % 2 else B}))
            broadcaster.publish(frozenset({C}))

        await asyncio.to_thread(burst)  # the client reads nothing meanwhile
        first = await subscription.next(1.0)
        second = await subscription.next(0.05)
        return first, second

    first, second = asyncio.run(scenario())
    assert first == {A, B, C}  # one answer with the latest set of stations
    assert second == frozenset()  # nothing left over: a timeout answers empty


def test_close_ends_waiting_clients_and_forgets_them() -> None:
    async def scenario() -> tuple[object, int, int]:
        broadcaster = Broadcaster()
        subscription = broadcaster.subscribe()
        before = broadcaster.clients
        waiting = asyncio.ensure_future(subscription.next(30.0))
        await asyncio.sleep(0.01)
        await asyncio.to_thread(broadcaster.close)  # the hub stopping, from another thread
        result = await asyncio.wait_for(waiting, 2.0)
        return result, before, broadcaster.clients

    result, before, after = asyncio.run(scenario())
    assert (result, before, after) == (None, 1, 0)


def test_a_client_whose_loop_is_gone_is_dropped() -> None:
    broadcaster = Broadcaster()

    async def subscribe_and_leave() -> None:
        broadcaster.subscribe()  # never closed: a client that vanished with its loop

    asyncio.run(subscribe_and_leave())
    assert broadcaster.clients == 1
    broadcaster.publish(frozenset({A}))
    assert broadcaster.clients == 0
    broadcaster.publish(frozenset({A}))  # and nothing breaks afterwards
