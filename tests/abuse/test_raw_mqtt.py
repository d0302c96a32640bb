"""Packets no MQTT library would send, straight on a socket to the broker the hub reads from: afterwards the
hub still stores the next valid event within 2 s, and counts only what reached it."""

from __future__ import annotations

import pytest

from local_servers import MosquittoServer
from tests.abuse.conftest import ACK_WITHIN_S, AbuseHub, Valid, publish_and_time
from tests.abuse.corpus import MAX_PAYLOAD_BYTES, SITE, TOO_LARGE, Corpus, dumps, topic
from tests.abuse.rawmqtt import PUBLISH, RawClient, publish_packet, remaining_length
from tests.conftest import wait_until


def test_packets_that_break_mqtt_do_not_reach_or_stop_the_hub(broker: MosquittoServer, abuse_hub: AbuseHub) -> None:
    abuse_hub.start()
    valid = Valid()
    good = dict(Corpus(8, valid.corpus.now).event("raw-1", 1))
    event_topic = topic(SITE, "raw-1", "event").encode()

    # A topic that is not UTF-8 (MQTT 3.1.1 §1.5.3): the broker closes the connection.
    client = RawClient(broker.host, broker.port)
    client.send(publish_packet(b"sortcentre/v1/fuzz/\xff\xfe/event", dumps(list(good.items())).encode()))
    assert client.closed_by_broker(), "the broker kept a client that sent a non-UTF-8 topic"
    client.disconnect()

    # Wildcards in a publish topic (§3.3.2.1): refused the same way.
    for wild in (b"sortcentre/v1/+/raw-1/event", b"sortcentre/v1/fuzz/#", b"sortcentre/v1/fuzz/raw-1/event\x00x"):
        client = RawClient(broker.host, broker.port)
        client.send(publish_packet(wild, dumps(list(good.items())).encode()))
        assert client.closed_by_broker(), f"the broker kept a client that published to {wild!r}"
        client.disconnect()

    # Half a packet, then gone: a PUBLISH that announces 5,000 bytes and sends 20.
    client = RawClient(broker.host, broker.port)
    client.send(bytes([PUBLISH | 2]) + remaining_length(5000) + b"\x00\x1csortcentre/v1/fuzz/raw-1/ev")
    client.sock.close()

    # Valid JSON, an otherwise valid event, one byte over the limit: the hub refuses it as too large.
    text = dumps(list(good.items()))
    oversized = (text[:-1] + " " * (MAX_PAYLOAD_BYTES + 1 - len(text)) + "}").encode()
    client = RawClient(broker.host, broker.port)
    assert client.publish_all([(event_topic, oversized)]) == 1
    client.disconnect()

    took = publish_and_time(abuse_hub, valid)
    assert took <= ACK_WITHIN_S, f"a valid event after the raw packets took {took:.2f} s"
    assert wait_until(lambda: abuse_hub.dead_letter_counts() == {TOO_LARGE: 1}, ACK_WITHIN_S, 0.05), (
        abuse_hub.dead_letter_counts()
    )
    assert abuse_hub.rejected_metrics() == {TOO_LARGE: 1}
    assert abuse_hub.stored_count() == 1
    assert abuse_hub.healthy()


@pytest.mark.parametrize("size", [MAX_PAYLOAD_BYTES + 1, 1 << 20])
def test_oversized_packet_split_across_writes(size: int, broker: MosquittoServer, abuse_hub: AbuseHub) -> None:
    """A big PUBLISH dribbled onto the socket in small pieces reaches the hub whole, and is refused as too large."""
    abuse_hub.start()
    client = RawClient(broker.host, broker.port)
    packet = publish_packet(topic(SITE, "raw-2", "event").encode(), b"{" + b" " * (size - 2) + b"}", qos=0)
    for start in range(0, len(packet), 4096):
        client.send(packet[start : start + 4096])
    client.disconnect()
    took = publish_and_time(abuse_hub, Valid())
    assert took <= ACK_WITHIN_S
    assert wait_until(lambda: abuse_hub.dead_letter_counts() == {TOO_LARGE: 1}, ACK_WITHIN_S, 0.05)
