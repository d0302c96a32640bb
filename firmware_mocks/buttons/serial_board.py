"""A USB button board with one LED per button, as the station's serial-board driver expects it.

Protocol (docs/hardware.md): the board sends ``P <key>`` on press and ``R <key>`` on release; the host sends
``L <key> 1`` / ``L <key> 0`` to switch an LED and ``L * 0`` for all off. Lines end with CR LF.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from firmware_mocks.device import PtyDevice
from firmware_mocks.pty_port import PtyPort


class ButtonBoardMock(PtyDevice):
    def __init__(self, link: Path | None = None) -> None:
        super().__init__(PtyPort(link), "button-board-mock")
        self.leds: dict[str, bool] = {}
        self._leds_changed = threading.Condition()

    def press(self, key: str, hold_s: float = 0.08) -> None:
        self.port.write(f"P {key}\r\n".encode("ascii"))
        time.sleep(hold_s)
        self.port.write(f"R {key}\r\n".encode("ascii"))

    def hold(self, key: str, seconds: float) -> None:
        """Hold a key down for ``seconds`` (a long press when that is past the station's long-press time)."""
        self.press(key, hold_s=seconds)

    def lit(self) -> list[str]:
        with self._leds_changed:
            return sorted(k for k, on in self.leds.items() if on)

    def wait_for_led(self, timeout: float) -> list[str]:
        """Wait until some LED is lit (the station shows a suggestion); return the lit keys."""
        deadline = time.monotonic() + timeout
        with self._leds_changed:
            while not any(self.leds.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._leds_changed.wait(remaining)
            return sorted(k for k, on in self.leds.items() if on)

    def handle(self, received: bytes) -> None:
        parts = received.decode("ascii", errors="replace").split()
        if len(parts) == 3 and parts[0] == "L" and parts[2] in ("0", "1"):
            with self._leds_changed:
                if parts[1] == "*":
                    self.leds = dict.fromkeys(self.leds, parts[2] == "1")
                else:
                    self.leds[parts[1]] = parts[2] == "1"
                self._leds_changed.notify_all()
