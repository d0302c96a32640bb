"""KeyboardButtons reading a pipe, as it reads a keypad's characters from the terminal."""

from __future__ import annotations

import contextlib
import os
import queue
import time
from collections.abc import Iterator

import pytest

from edge.stations.buttons.base import ButtonEvent
from edge.stations.buttons.keyboard import KeyboardButtons
from tests.conftest import wait_until


class Pipe:
    def __init__(self) -> None:
        read_fd, self.write_fd = os.pipe()
        self.reader = os.fdopen(read_fd, "r", encoding="utf-8")

    def type(self, text: str) -> None:
        os.write(self.write_fd, text.encode("utf-8"))

    def close_writer(self) -> None:
        os.close(self.write_fd)


@pytest.fixture
def pipe() -> Iterator[Pipe]:
    pipe = Pipe()
    yield pipe
    pipe.reader.close()
    with contextlib.suppress(OSError):  # the test may have closed it already
        pipe.close_writer()


def open_keyboard(pipe: Pipe, **options: object) -> KeyboardButtons:
    settings: dict[str, object] = {"debounce_s": 0.1, "long_press_s": 0.2, "repeat_gap_s": 0.1} | options
    return KeyboardButtons(pipe.reader, **settings)  # type: ignore[arg-type]


def keys(events: queue.Queue[ButtonEvent], count: int, timeout: float = 2.0) -> list[str]:
    return [events.get(timeout=timeout).key for _ in range(count)]


def nothing_more(events: queue.Queue[ButtonEvent], wait_s: float = 0.15) -> bool:
    try:
        events.get(timeout=wait_s)
    except queue.Empty:
        return True
    return False


def test_characters_become_keys(pipe: Pipe) -> None:
    board = open_keyboard(pipe)
    try:
        pipe.type("1c2u\n")  # Enter is ignored silently
        assert keys(board.events, 4) == ["1", "C", "2", "U"]
        assert nothing_more(board.events)
        assert board.unknown_chars == 0
        assert board.healthy
    finally:
        board.close()


def test_keymap_maps_characters_and_others_are_counted(pipe: Pipe) -> None:
    board = open_keyboard(pipe, keymap={"+": "C", "-": "U", "1": "1"})
    try:
        pipe.type("+x-1!2")
        assert keys(board.events, 3) == ["C", "U", "1"]
        assert nothing_more(board.events)
        assert board.unknown_chars == 3  # x ! 2: not in this keymap
    finally:
        board.close()


def test_escape_sequences_are_ignored(pipe: Pipe) -> None:
    board = open_keyboard(pipe)
    try:
        pipe.type("\x1b[A\x1bOw\x1b[1;5C3")  # up arrow, keypad 7 with NumLock off, ctrl-right, then a 3
        assert keys(board.events, 1) == ["3"]
        assert nothing_more(board.events)
        assert board.unknown_chars == 3
    finally:
        board.close()


def test_repeat_within_debounce_counts_once(pipe: Pipe) -> None:
    board = open_keyboard(pipe)
    try:
        for _ in range(5):  # autorepeat of a held key: each repeat is closer than debounce_s to the last
            pipe.type("7")
            time.sleep(0.03)
        assert keys(board.events, 1) == ["7"]
        assert nothing_more(board.events)
        time.sleep(0.12)
        pipe.type("7")
        assert keys(board.events, 1) == ["7"]
    finally:
        board.close()


def test_long_press_from_autorepeat(pipe: Pipe) -> None:
    board = open_keyboard(pipe, long_press_keys=frozenset({"U"}))
    try:
        started = time.monotonic()
        while time.monotonic() - started < 0.3:  # held past long_press_s, repeating every 30 ms
            pipe.type("u")
            time.sleep(0.03)
        assert keys(board.events, 1) == ["U:long"]
        time.sleep(0.15)
        pipe.type("u")  # a tap
        assert keys(board.events, 1) == ["U"]
        pipe.type("1")  # other keys stay immediate
        assert keys(board.events, 1, timeout=0.05) == ["1"]
    finally:
        board.close()


def test_leds_are_recorded_in_lit(pipe: Pipe) -> None:
    board = open_keyboard(pipe)
    try:
        board.set_led("3", True)
        board.set_led("C", True)
        board.set_led("3", False)
        assert board.lit == {"C"}
        board.all_off()
        assert board.lit == set()
    finally:
        board.close()


def test_end_of_input_is_unhealthy_and_close_stops_the_thread(pipe: Pipe) -> None:
    board = open_keyboard(pipe)
    assert board.healthy
    pipe.close_writer()
    assert wait_until(lambda: not board.healthy, timeout=2)
    board.close()
    other = Pipe()
    try:
        board = open_keyboard(other)
        started = time.monotonic()
        board.close()  # nothing typed: the reading thread still notices the stop event promptly
        assert time.monotonic() - started < 0.5
        assert not board.healthy
    finally:
        other.reader.close()
        other.close_writer()
