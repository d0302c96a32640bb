"""The press rule every button backend shares, with the times given (no clock, no threads)."""

from __future__ import annotations

import queue

from edge.stations.buttons.base import ButtonEvent
from edge.stations.buttons.presses import PressDecoder


def decoder() -> tuple[PressDecoder, queue.Queue[ButtonEvent]]:
    events: queue.Queue[ButtonEvent] = queue.Queue()
    return PressDecoder(events, debounce_s=0.1, long_press_s=1.0, long_press_keys=frozenset({"U"})), events


def drained(events: queue.Queue[ButtonEvent]) -> list[tuple[str, float]]:
    out = []
    while not events.empty():
        event = events.get_nowait()
        out.append((event.key, event.at))
    return out


def test_an_ordinary_key_fires_at_press_time() -> None:
    presses, events = decoder()
    presses.press("1", 10.0)
    assert drained(events) == [("1", 10.0)]
    presses.release("1", 15.0)  # held long: still one short press, no long meaning
    assert drained(events) == []


def test_debounce_is_measured_from_every_edge() -> None:
    presses, events = decoder()
    presses.press("1", 10.0)
    presses.press("1", 10.05)  # a double tap: dropped, and it moves the window on
    presses.press("1", 10.12)  # 0.12 s after the first press, but 0.07 s after the dropped one
    presses.release("1", 11.0)
    presses.press("1", 11.05)  # a release chattering into a new press
    presses.press("1", 11.2)
    assert drained(events) == [("1", 10.0), ("1", 11.2)]


def test_a_long_press_key_is_decided_at_release() -> None:
    presses, events = decoder()
    presses.press("U", 10.0)
    assert presses.holding("U")
    assert drained(events) == []
    presses.release("U", 10.5)
    presses.press("U", 20.0)
    presses.release("U", 21.0, decided_at=21.7)  # a keyboard notices the release late
    assert drained(events) == [("U", 10.5), ("U:long", 21.7)]
    assert not presses.holding("U")


def test_forgotten_holds_give_no_event() -> None:
    presses, events = decoder()
    presses.press("U", 10.0)
    presses.forget_holds()  # the board went away: its release will never come
    presses.release("U", 30.0)
    assert drained(events) == []
