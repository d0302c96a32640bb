"""A USB keypad or keyboard that types characters, read as text (by default the station's own terminal).

Characters map to keys (``keymap``: char -> key; by default digits as they are and letters uppercased, so a
numeric keypad's ``1``..``9`` are the category keys). Whitespace (Enter) is ignored; any other character
without a key, and the escape sequences of arrow and function keys, are ignored and counted in
``unknown_chars``: a keypad with NumLock off types ``ESC [ A`` for its 8, and that ``A`` must not become key
``A``.

A terminal only sees characters, never presses and releases, so for the press rule of every backend
(:mod:`edge.stations.buttons.presses`):

- Debounce: each character is a press, so a key held down counts once while autorepeat keeps typing it
  (it counts again if a keypad's autorepeat delay is longer than ``debounce_s``).
- Long press: a key in ``long_press_keys`` is let go when autorepeat stops: no repeat for
  ``repeat_gap_s``, which must exceed the keyboard's autorepeat delay (250 ms on the Linux console, 660 ms
  under X by default). Those keys' short presses therefore arrive ``repeat_gap_s`` late; every other key is
  emitted as soon as its character arrives.

There are no LEDs: ``set_led`` and ``all_off`` only keep ``lit`` (the keys that would be lit), and a station
with a keypad shows the suggestion on its screen instead.

On a TTY the stream is switched to cbreak mode (characters arrive without Enter and are not echoed) and
restored on ``close()``. As a systemd service the station needs a terminal as its standard input
(``StandardInput=tty``, ``TTYPath=/dev/tty1``) for this backend to see the keypad.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import queue
import select
import sys
import termios
import threading
import time
import tty
from collections.abc import Mapping
from typing import Any, Self, TextIO

from config.drivers import KeyboardButtonsConfig
from edge.stations.buttons.base import ButtonEvent
from edge.stations.buttons.presses import PressDecoder
from edge.stations.devices import DeviceProblem

logger = logging.getLogger(__name__)

ESC = "\x1b"
# How long one wait for input lasts: bounds how late close() is noticed and a hold is decided.
POLL_S = 0.05
# A terminal sends an escape sequence in one write; an ESC older than this was the Escape key itself, and
# the character after it must not be swallowed as part of a sequence.
ESCAPE_S = 0.1


def default_key(char: str) -> str | None:
    if char.isascii() and char.isalnum():
        return char.upper()
    return None


class KeyboardButtons:
    def __init__(
        self,
        stream: TextIO | None = None,
        keymap: Mapping[str, str] | None = None,
        *,
        debounce_s: float = 0.15,
        long_press_s: float = 1.5,
        long_press_keys: frozenset[str] = frozenset(),
        repeat_gap_s: float = 0.7,
    ) -> None:
        self.events: queue.Queue[ButtonEvent] = queue.Queue()
        self.lit: set[str] = set()
        self.unknown_chars = 0
        self._stream = stream if stream is not None else sys.stdin
        self._keymap = dict(keymap) if keymap is not None else None
        self._presses = PressDecoder(
            self.events, debounce_s=debounce_s, long_press_s=long_press_s, long_press_keys=long_press_keys
        )
        self._repeat_gap_s = repeat_gap_s
        # Long-press keys being held: key -> latest repeat of its character.
        self._repeated: dict[str, float] = {}
        self._escape = ""  # the part of an escape sequence read so far
        self._escape_at = 0.0
        self._eof = False
        self._fd = self._fileno(self._stream)
        self._saved_tty: list[Any] | None = None
        if self._fd is not None and os.isatty(self._fd):
            self._saved_tty = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd, termios.TCSANOW)
        encoding = getattr(self._stream, "encoding", None) or "utf-8"
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="keyboard-buttons", daemon=True)
        self._thread.start()

    @classmethod
    def from_config(cls, config: KeyboardButtonsConfig, stream: TextIO | None = None) -> Self:
        """``stream`` None reads the station's own terminal."""
        return cls(
            stream,
            config.keymap or None,
            debounce_s=config.debounce_s,
            long_press_s=config.long_press_s,
            long_press_keys=config.long_press_keys,
        )

    @property
    def healthy(self) -> bool:
        return not self._eof and self._thread.is_alive()

    @property
    def problem(self) -> DeviceProblem | None:
        if self._eof:
            return DeviceProblem("fault", "keyboard input ended (EOF): is the station's terminal gone?")
        if not self._thread.is_alive() and not self._stop.is_set():
            return DeviceProblem("fault", "keyboard reading thread ended")
        return None

    def set_led(self, key: str, on: bool) -> None:
        if on:
            self.lit.add(key)
        else:
            self.lit.discard(key)

    def all_off(self) -> None:
        self.lit.clear()

    def close(self) -> None:
        self._stop.set()
        # A stream without a file descriptor cannot be waited on with a timeout: its read may block on; the
        # thread is a daemon, so it does not keep the process alive.
        self._thread.join(2)
        if self._saved_tty is not None and self._fd is not None:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved_tty)
            self._saved_tty = None

    @staticmethod
    def _fileno(stream: TextIO) -> int | None:
        try:
            return stream.fileno()
        except (AttributeError, io.UnsupportedOperation, ValueError):
            return None

    # -- reading thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            text = self._read()
            now = time.monotonic()
            if text is None:
                logger.warning("keyboard input ended (EOF); no more presses from it")
                self._eof = True
                self._end_holds(float("inf"))
                return
            for char in text:
                self._feed(char, now)
            self._end_holds(now)

    def _read(self) -> str | None:
        """What has been typed, "" after POLL_S with nothing typed, None at end of input."""
        if self._fd is None:
            char = self._stream.read(1)
            return char or None
        ready, _, _ = select.select([self._fd], [], [], POLL_S)
        if not ready:
            return ""
        try:
            # os.read, not the stream's read: a buffered text stream can hold characters that select no
            # longer sees as ready.
            data = os.read(self._fd, 1024)
        except OSError as exc:
            logger.warning("keyboard read failed: %s", exc)
            return None
        return self._decoder.decode(data) if data else None

    def _feed(self, char: str, now: float) -> None:
        if self._in_escape(char, now):
            return
        key = self._keymap.get(char) if self._keymap is not None else default_key(char)
        if key is None:
            if not char.isspace():
                self.unknown_chars += 1
                logger.debug("character %r has no key: ignored", char)
            return
        if not self._presses.holding(key):
            self._presses.press(key, now)
        if self._presses.holding(key):
            self._repeated[key] = now

    def _in_escape(self, char: str, now: float) -> bool:
        """Swallow ESC sequences (ECMA-48 CSI ``ESC [ ... final`` and SS3 ``ESC O x``); count each once."""
        if char == ESC:
            self._escape, self._escape_at = ESC, now
            self.unknown_chars += 1
            return True
        if not self._escape or now - self._escape_at > ESCAPE_S:
            self._escape = ""
            return False
        self._escape += char
        if self._escape == ESC + "[" or self._escape == ESC + "O":
            return True
        if self._escape.startswith(ESC + "[") and not "@" <= char <= "~":
            return True  # a parameter or intermediate byte of a CSI sequence
        self._escape = ""  # the final character, or the one character after ESC or after ESC O
        return True

    def _end_holds(self, now: float) -> None:
        for key, latest in list(self._repeated.items()):
            if now - latest < self._repeat_gap_s:
                continue
            del self._repeated[key]
            self._presses.release(key, latest, decided_at=time.monotonic())
