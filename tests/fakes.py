"""Test doubles for the station's collaborators that are not under test (the scripted scale and buttons are
firmware_mocks/in_process.py). The broker itself is never faked in a test that claims to test delivery: those
tests use the real Mosquitto (tests/integration)."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from config.vision import VisionConfig
from core.contract import DeviceHealth, Heartbeat, Suggestion
from core.transport.protocol import ConnectedListener, MessageHandler, PublishedListener


class FakeMqtt:
    """Records publishes; acknowledges them when told to (like a broker that is up or down). A
    ``core.transport.protocol.MqttLike``, so the station takes it where it takes the real client."""

    def __init__(self, auto_ack: bool = True) -> None:
        self.connected = threading.Event()
        self.connected.set()
        self.auto_ack = auto_ack
        self.published: list[tuple[str, bytes, int, bool]] = []
        self.unacked: list[int] = []
        self.subscriptions: dict[str, MessageHandler] = {}
        self.acked: list[int] = []  # what ack_in_order() was given
        self._connected_listeners: list[ConnectedListener] = []
        self._published_listeners: list[PublishedListener] = []
        self._mids = itertools.count(1)
        self._lock = threading.Lock()

    def add_connected_listener(self, listener: ConnectedListener) -> None:
        self._connected_listeners.append(listener)

    def add_published_listener(self, listener: PublishedListener) -> None:
        self._published_listeners.append(listener)

    def _published(self, mid: int) -> None:
        for listener in self._published_listeners:
            listener(mid)

    def start(self) -> None:
        for listener in self._connected_listeners:
            listener()

    def stop(self) -> None:
        self.connected.clear()

    def wait_subscribed(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    def subscribe(self, topic_filter: str, handler: MessageHandler, qos: int = 1) -> Callable[[], None]:
        self.subscriptions[topic_filter] = handler

        def unsubscribe() -> None:
            self.subscriptions.pop(topic_filter, None)

        return unsubscribe

    def ack_in_order(self, mids: Iterable[int]) -> None:
        self.acked.extend(mids)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> int | None:
        mid = next(self._mids)
        with self._lock:
            self.published.append((topic, payload, qos, retain))
            if qos and not self.auto_ack:
                self.unacked.append(mid)
        if qos and self.auto_ack:
            self._published(mid)
        return mid

    def ack_all(self) -> None:
        with self._lock:
            pending, self.unacked = self.unacked, []
        for mid in pending:
            self._published(mid)

    def payloads(self, suffix: str) -> list[bytes]:
        with self._lock:
            return [p for t, p, _q, _r in self.published if t.endswith(suffix)]


class FakeVision:
    """A station's vision link (``edge.stations.vision_link.VisionLink``) with its answer ready at once, unless a
    test sets ``ready`` to False; counts the items it was asked about and remembers what it was taught."""

    def __init__(self, answer: Callable[[], Suggestion | None] = lambda: None, problems: Iterable[str] = ()) -> None:
        self._answer = answer
        self.ready = True
        self.begun = 0
        self.problems = list(problems)
        self.learned: list[tuple[str, Suggestion | None, bool | None]] = []
        self.reconfigured: list[tuple[VisionConfig, tuple[str, ...]]] = []  # remote configs applied

    def begin(self) -> None:
        self.begun += 1

    def poll(self) -> tuple[bool, Suggestion | None]:
        return (True, self._answer()) if self.ready else (False, None)

    def cancel(self) -> None:
        pass

    def learn(self, category: str, suggestion: Suggestion | None, accepted: bool | None) -> None:
        self.learned.append((category, suggestion, accepted))

    def reconfigure(self, vision: VisionConfig, categories: Sequence[str]) -> None:
        self.reconfigured.append((vision, tuple(categories)))

    def close(self) -> None:
        pass


def heartbeat(**changes: Any) -> Heartbeat:
    """A healthy station's heartbeat (Zwolle's plastics station, a winter morning); ``changes`` override fields."""
    base: dict[str, Any] = {
        "site": "zwolle",
        "station": "zwolle-plastic-1",
        "boot_id": uuid.UUID(int=7),
        "station_time": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        "uptime_s": 3600.0,
        "scale": DeviceHealth.OK,
        "camera": DeviceHealth.OK,
        "model_version": "ppocrv4-markings-1",
        "journal_depth": 0,
        "oldest_unsent_age_s": None,
        "clock_synced": True,
        "events_made": 120,
        "events_sent": 120,
        "warnings": [],
        "software_version": "0.6.0",
    }
    return Heartbeat(**(base | changes))
