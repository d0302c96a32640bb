"""What the station and the hub use of an MQTT connection, as a typing Protocol: :class:`MqttLike`.

The real client is ``core.transport.mqtt.MqttClient`` (paho underneath); tests hand the station and the hub a
fake (tests/fakes.py) that satisfies the same Protocol, so neither needs a ``type: ignore``. This module and
the message types in it import no paho: a module that only names the interface does not load the library.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Will:
    """The last will the broker publishes for a client that vanishes without disconnecting."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A received PUBLISH, as the subscription's handler gets it. ``mid`` is what ``ack_in_order`` takes back
    (manual acknowledgement); it is 0 for QoS 0."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    retain: bool


MessageHandler = Callable[[InboundMessage], None]
ConnectedListener = Callable[[], None]
DisconnectedListener = Callable[[], None]
PublishedListener = Callable[[int], None]


class MqttLike(Protocol):
    """One broker connection as the station and the hub use it. Listeners and handlers run on the connection's
    network thread: they hand work over and return, never block."""

    @property
    def connected(self) -> threading.Event:
        """Set while the connection is up (after the broker's CONNACK), cleared while it is down."""
        ...

    def start(self) -> None:
        """Connect in the background and keep reconnecting until ``stop()``."""
        ...

    def stop(self) -> None:
        """Disconnect cleanly (the broker does not publish the last will)."""
        ...

    def wait_subscribed(self, timeout: float) -> bool:
        """Wait until connected and every subscription is acknowledged by the broker (SUBACK)."""
        ...

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> int | None:
        """The message id handed to the library, or None when it was refused (not sent, not queued)."""
        ...

    def subscribe(self, topic_filter: str, handler: MessageHandler, qos: int = 1) -> Callable[[], None]:
        """Subscribe now and after every reconnect; returns the function that unsubscribes."""
        ...

    def ack_in_order(self, mids: Iterable[int]) -> None:
        """Acknowledge received QoS 1 messages (manual acknowledgement), in the order they arrived."""
        ...

    def add_connected_listener(self, listener: ConnectedListener) -> None:
        """Call ``listener()`` after every (re)connect, once the subscriptions are restored."""
        ...

    def add_published_listener(self, listener: PublishedListener) -> None:
        """Call ``listener(mid)`` when the broker acknowledged a publish (QoS 1) or it left the socket (QoS 0)."""
        ...
