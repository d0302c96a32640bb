"""A USB/serial button board (protocol in docs/hardware.md): ``P <key>`` press, ``R <key>`` release,
``L <key> 0|1`` LED. Presses of one key closer together than the debounce time count once.

Long press (the same rule as the GPIO and keyboard backends): keys in ``long_press_keys`` are decided at
release, ``<key>:long`` when held at least ``long_press_s``, else ``<key>``. Every other key is emitted at
press time, because waiting for the release would add the whole press duration to the latency of the
keys a sorter presses hundreds of times a day.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import serial

from edge.stations.buttons.base import ButtonEvent
from edge.stations.devices import DeviceProblem

logger = logging.getLogger(__name__)

RETRY_S = 1.0
LONG_SUFFIX = ":long"


class SerialButtonBoard:
    def __init__(
        self,
        port: str,
        baudrate: int = 115200,
        debounce_s: float = 0.15,
        long_press_s: float = 1.5,
        long_press_keys: frozenset[str] = frozenset(),
    ) -> None:
        self.events: queue.Queue[ButtonEvent] = queue.Queue()
        self.garbage_lines = 0
        self._port_name = port
        self._baudrate = baudrate
        self._debounce_s = debounce_s
        self._long_press_s = long_press_s
        self._long_press_keys = frozenset(long_press_keys)
        self._last_press: dict[str, float] = {}
        # Long-press keys held down right now: key -> monotonic time of the press.
        self._held: dict[str, float] = {}
        self._serial: serial.Serial | None = None
        # Why the board is not open: None until an attempt failed, so a board that opens at start is never
        # reported missing in the moment before the first attempt.
        self._failure: str | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="button-board", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        return self._serial is not None

    @property
    def problem(self) -> DeviceProblem | None:
        failure = self._failure
        if self._serial is not None or failure is None:
            return None
        return DeviceProblem("absent", f"button board {self._port_name}: {failure}")

    def set_led(self, key: str, on: bool) -> None:
        self._send(f"L {key} {1 if on else 0}\r\n")

    def all_off(self) -> None:
        self._send("L * 0\r\n")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        if self._serial is not None:
            self._serial.close()

    def _send(self, text: str) -> None:
        with self._write_lock:
            if self._serial is None:
                return
            try:
                self._serial.write(text.encode("ascii"))
            except (serial.SerialException, OSError) as exc:
                logger.warning("button board write failed: %s", exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._serial is None and not self._open():
                self._stop.wait(RETRY_S)
                continue
            assert self._serial is not None
            try:
                raw = self._serial.readline()
            except (serial.SerialException, OSError) as exc:
                logger.warning("button board %s lost: %s", self._port_name, exc)
                self._failure = f"lost: {exc}"
                with self._write_lock:
                    self._serial.close()
                    self._serial = None
                # The releases of keys held at the moment of the loss will never come: forget those presses
                # rather than turn a later, unrelated release into a long press.
                self._held.clear()
                continue
            if raw:
                self._handle(raw)

    def _open(self) -> bool:
        try:
            port = serial.Serial(self._port_name, baudrate=self._baudrate, timeout=0.2)
        except (serial.SerialException, OSError) as exc:
            # Retried every second: the station agent warns (once a minute at most) with this reason.
            logger.debug("button board %s not available: %s", self._port_name, exc)
            self._failure = str(exc)
            return False
        with self._write_lock:
            self._serial = port
        self._failure = None
        logger.info("button board on %s", self._port_name)
        return True

    def _handle(self, raw: bytes) -> None:
        parts = raw.decode("ascii", errors="replace").split()
        if len(parts) != 2 or parts[0] not in ("P", "R"):
            self.garbage_lines += 1
            return
        kind, key, now = parts[0], parts[1], time.monotonic()
        if kind == "R":
            pressed_at = self._held.pop(key, None)
            if pressed_at is not None:
                long = now - pressed_at >= self._long_press_s
                self.events.put(ButtonEvent(key + LONG_SUFFIX if long else key, now))
            return
        if now - self._last_press.get(key, float("-inf")) < self._debounce_s:
            return
        self._last_press[key] = now
        if key in self._long_press_keys:
            self._held[key] = now
        else:
            self.events.put(ButtonEvent(key, now))
