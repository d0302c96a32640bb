"""SerialButtonBoard against the button-board simulator on a real pty."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.stations.buttons.base import ButtonEvent
from edge.stations.buttons.serial_board import SerialButtonBoard
from firmware_mocks.buttons.serial_board import ButtonBoardMock
from tests.conftest import wait_until


@pytest.fixture
def link(tmp_path: Path) -> Path:
    return tmp_path / "buttons"


@pytest.fixture
def mock(link: Path) -> Iterator[ButtonBoardMock]:
    board = ButtonBoardMock(link).start()
    yield board
    board.stop()


@pytest.fixture
def board(mock: ButtonBoardMock) -> Iterator[SerialButtonBoard]:
    station_side = SerialButtonBoard(mock.path, debounce_s=0.1, long_press_s=0.2, long_press_keys=frozenset({"U"}))
    assert wait_until(lambda: station_side.healthy, timeout=3)
    yield station_side
    station_side.close()


def nothing_more(events: queue.Queue[ButtonEvent], wait_s: float = 0.15) -> bool:
    try:
        events.get(timeout=wait_s)
    except queue.Empty:
        return True
    return False


def test_press_is_emitted_at_press_time(mock: ButtonBoardMock, board: SerialButtonBoard) -> None:
    mock.port.write(b"P 3\r\n")  # no release yet
    event = board.events.get(timeout=1)
    assert event.key == "3"
    mock.port.write(b"R 3\r\n")
    assert nothing_more(board.events)


def test_presses_within_debounce_count_once(mock: ButtonBoardMock, board: SerialButtonBoard) -> None:
    mock.press("2", hold_s=0.01)
    mock.press("2", hold_s=0.01)
    assert board.events.get(timeout=1).key == "2"
    assert nothing_more(board.events)


def test_long_press_key_is_decided_at_release(mock: ButtonBoardMock, board: SerialButtonBoard) -> None:
    mock.hold("U", 0.3)
    assert board.events.get(timeout=1).key == "U:long"
    time.sleep(0.12)
    mock.hold("U", 0.02)
    assert board.events.get(timeout=1).key == "U"
    assert nothing_more(board.events)


def test_led_commands_reach_the_board(mock: ButtonBoardMock, board: SerialButtonBoard) -> None:
    board.set_led("4", True)
    assert mock.wait_for_led(timeout=2) == ["4"]
    board.all_off()
    assert wait_until(lambda: mock.lit() == [], timeout=2, interval=0.02)


def test_garbage_lines_are_counted(mock: ButtonBoardMock, board: SerialButtonBoard) -> None:
    mock.port.write(b"hello\r\nP\r\nX 1\r\n\xff\xfe 2\r\n")
    mock.press("5")
    assert board.events.get(timeout=1).key == "5"
    assert board.garbage_lines == 4
    assert board.healthy


def test_board_unplugged_and_back_recovers(link: Path, mock: ButtonBoardMock, board: SerialButtonBoard) -> None:
    mock.press("1")
    assert board.events.get(timeout=1).key == "1"
    mock.stop()
    assert wait_until(lambda: not board.healthy, timeout=3, interval=0.02)
    replacement = ButtonBoardMock(link).start()  # plugged in again: a new device behind the same path
    try:
        assert wait_until(lambda: board.healthy, timeout=4, interval=0.05)
        replacement.press("6")
        assert board.events.get(timeout=1).key == "6"
        board.set_led("6", True)
        assert replacement.wait_for_led(timeout=2) == ["6"]
    finally:
        replacement.stop()


def test_config_opens_serial_board(mock: ButtonBoardMock) -> None:
    from config.drivers import SerialBoardButtonsConfig
    from edge.stations.drivers import open_buttons

    board = open_buttons(SerialBoardButtonsConfig(port=mock.path, undo_key="U"))
    try:
        assert isinstance(board, SerialButtonBoard)
        assert wait_until(lambda: board.healthy, timeout=3)
    finally:
        board.close()
