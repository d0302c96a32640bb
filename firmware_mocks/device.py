"""What every simulated device shares: it serves one pseudo-terminal from its own thread."""

from __future__ import annotations

import threading
from typing import Self

from firmware_mocks.pty_port import PtyPort

# How often a serving thread looks at its stop flag: stop() takes at most this long.
POLL_S = 0.05


class PtyDevice:
    """Subclasses implement ``_serve()``, looping until ``self._stop`` is set."""

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

    def _serve(self) -> None:
        raise NotImplementedError
