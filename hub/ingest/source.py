"""Where the ingest gets the stations' events: one small interface, two sources.

- :class:`MqttEventSource`: an MQTT subscription in a persistent session (Mosquitto, the default). The broker
  redelivers what was not acknowledged with PUBACK.
- ``hub.ingest.jetstream.JetStreamSource``: a durable pull consumer on NATS JetStream, shared by every hub
  instance (docs/broker.md, "NATS JetStream"). NATS redelivers what was not acknowledged within the ack wait.

The ingest pipeline (hub/ingest/ingest.py) is the same for both: validation, dead letters, batching, backoff,
and "acknowledge only after InfluxDB stored the batch".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from config.ingest import IngestSettings
from core.contract import TopicKind, shared_subscription, subscription
from core.transport.protocol import MessageHandler, MqttLike


class EventSource(Protocol):
    """Events in, acknowledgements out. ``deliver`` runs on the source's own thread: it hands over and returns."""

    def start(self, deliver: MessageHandler) -> None:
        """Connect in the background and deliver every event message received from now on."""
        ...

    def stop(self) -> None:
        """Send the acknowledgements given so far, then disconnect."""
        ...

    def ack_in_order(self, mids: Iterable[int]) -> None:
        """Acknowledge delivered messages (by their ``mid``), in the order they were delivered."""
        ...

    def clear_retained(self, topic: str) -> bool:
        """Have the broker forget a retained message on ``topic``; False when it could not be asked to."""
        ...

    def wait_ready(self, timeout: float) -> bool:
        """Wait until messages published from now on will be delivered."""
        ...

    def problem(self) -> str | None:
        """Why no event can arrive now (not connected, not bound to the stream), or None while they can."""
        ...


class MqttEventSource:
    """The stations' event topics as an MQTT subscription, acknowledged by hand (PUBACK after storing).

    A plain subscription in a persistent session survives a Mosquitto restart; a shared one does not (Mosquitto
    2.0 restores no shared subscription from its persistence file, so events published between the restart and
    the hub's reconnect would be dropped). See docs/broker.md."""

    def __init__(self, mqtt: MqttLike, settings: IngestSettings) -> None:
        self._mqtt = mqtt
        self._group = settings.share_group

    def start(self, deliver: MessageHandler) -> None:
        group = self._group
        self._mqtt.subscribe(
            shared_subscription(group, TopicKind.EVENT) if group else subscription(TopicKind.EVENT), deliver
        )
        self._mqtt.start()

    def stop(self) -> None:
        self._mqtt.stop()

    def ack_in_order(self, mids: Iterable[int]) -> None:
        self._mqtt.ack_in_order(mids)

    def clear_retained(self, topic: str) -> bool:
        return self._mqtt.publish(topic, b"", qos=1, retain=True) is not None

    def wait_ready(self, timeout: float) -> bool:
        return self._mqtt.wait_subscribed(timeout)

    def problem(self) -> str | None:
        return None if self._mqtt.connected.is_set() else "not connected to the MQTT broker"
