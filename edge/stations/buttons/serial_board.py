"""A USB/serial button board (protocol in docs/hardware.md): ``P <key>`` press, ``R <key>`` release,
``L <key> 0|1`` LED. Debounce and long press follow the rule of every backend
(:mod:`edge.stations.buttons.presses`): ``P`` is the key going down, ``R`` the key going up.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Self

import serial

from config.drivers import SerialBoardButtonsConfig
from edge.stations.buttons.base import ButtonEvent
from edge.stations.buttons.presses import PressDecoder
from edge.stations.devices import DeviceProblem

logger = logging.getLogger(__name__)

RETRY_S = 1.0


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
        self._presses = PressDecoder(
            self.events, debounce_s=debounce_s, long_press_s=long_press_s, long_press_keys=long_press_keys
        )
        self._serial: serial.Serial | None = None
        # Why the board is not open: None until an attempt failed, so a board that opens at start is never
        # reported missing in the moment before the first attempt.
        self._failure: str | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="button-board", daemon=True)
        self._thread.start()

    @classmethod
    def from_config(cls, config: SerialBoardButtonsConfig) -> Self:
        return cls(
            config.port,
            baudrate=config.baudrate,
            debounce_s=config.debounce_s,
            long_press_s=config.long_press_s,
            long_press_keys=config.long_press_keys,
        )

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
                self._presses.forget_holds()
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
        if parts[0] == "P":
            self._presses.press(parts[1], time.monotonic())
        else:
            self._presses.release(parts[1], time.monotonic())
