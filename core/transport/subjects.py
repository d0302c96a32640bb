"""NATS subjects of MQTT topics: NATS's MQTT layer maps the topic ``a/b/c`` to the subject ``a.b.c``.

Defined once for the hub's JetStream source (hub/ingest/jetstream.py) and the NATS auth callout's permissions
(hub/nats_auth.py); neither needs the other's imports."""

from __future__ import annotations


def subject(topic: str) -> str:
    """The NATS subject of an MQTT topic (``a/b/c`` -> ``a.b.c``; ``+`` -> ``*``, ``#`` -> ``>``)."""
    return topic.replace("/", ".").replace("+", "*").replace("#", ">")
