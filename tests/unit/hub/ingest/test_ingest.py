"""The hand-over from paho's network thread to the ingest collector (hub.ingest.ingest.Inbox)."""

from __future__ import annotations

import threading
import time

from core.transport.mqtt import InboundMessage
from hub.ingest.ingest import Inbox


def message(n: int) -> InboundMessage:
    return InboundMessage("t", str(n).encode(), n, 1, False)


def test_a_batch_closes_on_count_and_keeps_the_order() -> None:
    inbox = Inbox()
    for n in range(25):
        inbox.put(message(n))
    first = inbox.take(10, max_delay_s=5.0, idle_s=1.0)  # count reached: no waiting for the delay
    assert [m.mid for m in first] == list(range(10))
    assert [m.mid for m in inbox.take(100, max_delay_s=0.0, idle_s=1.0)] == list(range(10, 25))
    assert len(inbox) == 0


def test_a_batch_closes_on_time_and_takes_what_came_meanwhile() -> None:
    inbox = Inbox()
    inbox.put(message(0))

    def later() -> None:
        time.sleep(0.05)
        inbox.put(message(1))

    threading.Thread(target=later).start()
    started = time.monotonic()
    batch = inbox.take(1000, max_delay_s=0.2, idle_s=1.0)
    assert 0.15 < time.monotonic() - started < 1.0
    assert [m.mid for m in batch] == [0, 1]


def test_nothing_within_the_idle_time_is_an_empty_batch_and_a_wakeup_is_never_lost() -> None:
    inbox = Inbox()
    assert inbox.take(10, max_delay_s=0.0, idle_s=0.05) == []
    for n in range(200):  # each arrives while the collector waits, or between its clear() and its wait()
        threading.Timer(0.001, inbox.put, args=(message(n),)).start()
        assert [m.mid for m in inbox.take(10, max_delay_s=0.0, idle_s=2.0)] == [n]
