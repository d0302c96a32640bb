"""What every simulated device shares: it serves one pseudo-terminal from its own thread, in one loop."""

from __future__ import annotations

import threading
from typing import Self

from firmware_mocks.pty_port import PtyPort

# How often a serving thread looks at its stop flag: stop() takes at most this long.
POLL_S = 0.05


class PtyDevice:
    """Subclasses implement :meth:`handle` (what the host sent) and may implement :meth:`tick`."""

    # False for a protocol without lines (CAS ECR): handle() then gets the bytes as they arrive.
    line_protocol = True

    def __init__(self, port: PtyPort, name: str) -> None:
        self.port = port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)

    @property
    def path(self) -> str:
        """Where the host opens the device (the symlink if one was asked for)."""
        return self.port.path

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        """The device goes away, as when it is unplugged: the host's next read or write fails."""
        self._stop.set()
        self._thread.join(2)
        self.port.close()

    def handle(self, received: bytes) -> None:
        """One line from the host (with its LF), or for a byte protocol what arrived."""
        raise NotImplementedError

    def tick(self) -> None:
        """Called after every wait, with or without input: the clock of a device that sends by itself."""

    def wait_s(self) -> float:
        """How long one wait for input lasts (also how often :meth:`tick` runs when nothing arrives)."""
        return POLL_S

    def _serve(self) -> None:
        while not self._stop.is_set():
            if self.line_protocol:
                received = self.port.readline(timeout=self.wait_s())
            else:
                received = self.port.read_bytes(timeout=self.wait_s())
            if received is not None:
                self.handle(received)
            self.tick()
