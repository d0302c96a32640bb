"""Test doubles for the station's collaborators that are not under test (the scripted scale and buttons are
firmware_mocks/in_process.py). The broker itself is never faked in a test that claims to test delivery: those
tests use the real Mosquitto (tests/integration)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable


class FakeMqtt:
    """Records publishes; acknowledges them when told to (like a broker that is up or down)."""

    def __init__(self, auto_ack: bool = True) -> None:
        self.connected = threading.Event()
        self.connected.set()
        self.auto_ack = auto_ack
        self.published: list[tuple[str, bytes, int, bool]] = []
        self.unacked: list[int] = []
        self.on_connected: Callable[[], None] | None = None
        self.on_published: Callable[[int], None] | None = None
        self._mids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self) -> None:
        if self.on_connected:
            self.on_connected()

    def stop(self) -> None:
        self.connected.clear()

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> int | None:
        mid = next(self._mids)
        with self._lock:
            self.published.append((topic, payload, qos, retain))
            if qos and not self.auto_ack:
                self.unacked.append(mid)
        if qos and self.auto_ack and self.on_published:
            self.on_published(mid)
        return mid

    def ack_all(self) -> None:
        with self._lock:
            pending, self.unacked = self.unacked, []
        for mid in pending:
            if self.on_published:
                self.on_published(mid)

    def payloads(self, suffix: str) -> list[bytes]:
        with self._lock:
            return [p for t, p, _q, _r in self.published if t.endswith(suffix)]
