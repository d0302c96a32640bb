"""The MQTT client against a scripted broker, byte for byte (the way paho-mqtt tests itself): packets split
across reads and across the end of the 64 KiB read buffer, a malformed remaining length, a half packet left
when the connection drops, QoS 2, batched PUBACKs, and the listeners. The client's receive path uses paho's
private names (core/transport/mqtt.py, ``_BufferedReadClient``): these tests are what fails first on a paho
whose internals moved, which is why pyproject.toml pins paho to the minor version they passed on."""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator
from functools import partial

import pytest

from core.transport import mqtt
from core.transport.mqtt import MqttClient
from core.transport.protocol import InboundMessage
from core.transport.settings import MqttSettings
from tests.conftest import wait_until
from tests.unit.core.transport.fake_broker import (
    CONNACK_ACCEPTED,
    Connection,
    FakeBroker,
    ack_packet,
    connect_packet,
    publish_packet,
    suback_packet,
    subscribe_packet,
)

KEEPALIVE_S = 30
FILTER = "t/#"


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBroker]:
    monkeypatch.setattr(MqttClient, "RECONNECT_DELAY_S", (1, 1))  # paho's shortest back-off
    server = FakeBroker()
    yield server
    server.close()


class Session:
    """A client subscribed to ``t/#`` on the scripted broker, and what its handler received."""

    def __init__(self, broker: FakeBroker, client_id: str, manual_ack: bool = False) -> None:
        self.broker = broker
        self.client_id = client_id
        settings = MqttSettings(host=broker.host, port=broker.port, keepalive_s=KEEPALIVE_S)
        self.client = MqttClient(settings, client_id, manual_ack=manual_ack)
        self.received: list[InboundMessage] = []
        self.client.subscribe(FILTER, self.received.append)
        self.client.start()
        self.connection = self.handshake()

    def handshake(self) -> Connection:
        """Accept the client's (next) connection: CONNECT, CONNACK, its SUBSCRIBE and our SUBACK."""
        connection = self.broker.accept()
        connection.expect(connect_packet(self.client_id, KEEPALIVE_S))
        connection.send(CONNACK_ACCEPTED)
        subscribe = connection.read_packet()
        mid = int.from_bytes(subscribe[2:4], "big")
        assert subscribe == subscribe_packet(mid, FILTER, 1)
        connection.send(suback_packet(mid, 1))
        assert self.client.wait_connected(5)
        return connection

    def wait_for(self, count: int) -> list[InboundMessage]:
        assert wait_until(lambda: len(self.received) >= count, 5), f"{len(self.received)} of {count} arrived"
        return self.received

    def stop(self) -> None:
        self.client.stop()


@pytest.fixture
def session(broker: FakeBroker) -> Iterator[Session]:
    started = Session(broker, "fake-1")
    yield started
    started.stop()


def messages(count: int) -> list[tuple[str, bytes, int]]:
    """Topic, payload and packet id of ``count`` QoS 1 messages whose remaining lengths need 1, 2 and 3 bytes."""
    sizes = [0, 1, 120, 121, 122, 123, 300, 16_370, 16_380, 16_390, 70_000]
    return [(f"t/{i}", bytes([i % 251]) * sizes[i % len(sizes)], i + 1) for i in range(count)]


def as_stream(sent: list[tuple[str, bytes, int]]) -> bytes:
    return b"".join(publish_packet(t, p, qos=1, mid=m) for t, p, m in sent)


def test_publishes_arrive_whole_and_acknowledged_however_the_stream_is_split(session: Session) -> None:
    sent = messages(11)
    stream = as_stream(sent)
    # Cut inside a body, right after a first remaining-length byte (continuation bit set), inside a fixed
    # header, and inside the 70,000-byte packet: the client must wait for each rest.
    second = len(publish_packet(*sent[0][:2], qos=1, mid=1))
    cuts = sorted({5, second + 2, second + 3, len(stream) // 2, len(stream) - 10})
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    session.connection.send(*pieces, pause_s=0.05)
    got = session.wait_for(len(sent))
    assert [(m.topic, m.payload, m.mid, m.qos, m.retain) for m in got] == [(t, p, m, 1, False) for t, p, m in sent]
    session.connection.expect(b"".join(ack_packet(0x40, m) for _t, _p, m in sent))


@pytest.mark.parametrize("read_size", [1, 2, 3, 7, 64, 65536])
def test_remaining_lengths_split_across_the_end_of_the_read_buffer(
    read_size: int, broker: FakeBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole stream is on the socket at once; the client reads ``read_size`` bytes at a time, so buffer
    edges fall inside fixed headers, remaining lengths (1 to 3 bytes) and bodies."""
    monkeypatch.setattr(mqtt._BufferedReadClient, "READ_SIZE", read_size)
    session = Session(broker, f"edge-{read_size}")
    try:
        sent = messages(11 if read_size > 2 else 6)
        retained = publish_packet("t/kept", b"r", qos=0, retain=True)
        session.connection.send(as_stream(sent[:3]) + retained + as_stream(sent[3:]))
        got = session.wait_for(len(sent) + 1)
        expected = [(t, p, m, 1, False) for t, p, m in sent]
        expected.insert(3, ("t/kept", b"r", 0, 0, True))
        assert [(m.topic, m.payload, m.mid, m.qos, m.retain) for m in got] == expected
        session.connection.expect(b"".join(ack_packet(0x40, m) for _t, _p, m in sent))
    finally:
        session.stop()


def test_a_malformed_remaining_length_closes_the_connection_and_the_client_comes_back(session: Session) -> None:
    session.connection.send(publish_packet("t/before", b"ok"), b"\x30\xff\xff\xff\xff\x01" + b"x" * 10)
    assert session.connection.closed_by_client(), "the client kept a connection with a malformed packet"
    session.handshake()  # it reconnects, and the new connection works
    assert [m.topic for m in session.received] == ["t/before"]


def test_a_half_packet_is_not_carried_over_into_the_next_connection(session: Session) -> None:
    first = publish_packet("t/a", b"A" * 300, qos=1, mid=1)
    half = publish_packet("t/b", b"B" * 300, qos=1, mid=2)[:150]
    session.connection.send(first + half)
    session.wait_for(1)
    session.connection.expect(ack_packet(0x40, 1))
    session.connection.close()  # the connection drops with half of t/b read
    connection = session.handshake()
    connection.send(publish_packet("t/c", b"C" * 10, qos=1, mid=3))
    got = session.wait_for(2)
    assert [(m.topic, m.payload) for m in got] == [("t/a", b"A" * 300), ("t/c", b"C" * 10)]
    connection.expect(ack_packet(0x40, 3))


def test_qos_2_goes_through_pubrec_pubrel_pubcomp_and_is_delivered_once(session: Session) -> None:
    connection = session.connection
    connection.send(publish_packet("t/two", b"exactly once", qos=2, mid=7) + publish_packet("t/one", b"1", 1, 8))
    connection.expect(ack_packet(0x50, 7))  # PUBREC first: the QoS 1 message behind it comes next
    connection.expect(ack_packet(0x40, 8))
    connection.send(ack_packet(0x62, 7))  # PUBREL
    connection.expect(ack_packet(0x70, 7))  # PUBCOMP
    got = session.wait_for(2)
    assert sorted((m.topic, m.payload, m.mid, m.qos) for m in got) == [
        ("t/one", b"1", 8, 1),
        ("t/two", b"exactly once", 7, 2),
    ]


def test_manual_acks_leave_only_when_asked_in_the_order_given(broker: FakeBroker) -> None:
    session = Session(broker, "fake-manual", manual_ack=True)
    try:
        session.connection.send(b"".join(publish_packet(f"t/{m}", b"x", 1, m) for m in (5, 6, 7)))
        got = session.wait_for(3)
        assert session.connection.sends_nothing_within(0.3), "a PUBACK left before ack_in_order()"
        session.client.ack_in_order([m.mid for m in got])
        session.connection.expect(ack_packet(0x40, 5) + ack_packet(0x40, 6) + ack_packet(0x40, 7))
    finally:
        session.stop()


def test_acknowledgements_given_just_before_stopping_still_reach_the_broker(broker: FakeBroker) -> None:
    """The hub acknowledges a stored batch and may stop a moment later: stop() lets paho write the queued
    PUBACKs and its DISCONNECT before the network thread ends (else the broker would send the batch again)."""
    session = Session(broker, "fake-stop", manual_ack=True)
    sent = list(range(1, 201))
    session.connection.send(b"".join(publish_packet(f"t/{m}", b"x", 1, m) for m in sent))
    got = session.wait_for(len(sent))
    for _ in range(20):  # many small batches: each a queued packet of its own
        session.client.ack_in_order([m.mid for m in got[:10]])
        got = got[10:]
    session.stop()
    session.connection.expect(b"".join(ack_packet(0x40, m) for m in sent) + bytes([0xE0, 0x00]))


def test_every_listener_hears_every_connect_publish_and_disconnect(broker: FakeBroker) -> None:
    settings = MqttSettings(host=broker.host, port=broker.port, keepalive_s=KEEPALIVE_S)
    client = MqttClient(settings, "fake-listeners")
    heard: list[str] = []
    published: list[int] = []
    down = threading.Event()

    def failing() -> None:
        heard.append("failing")
        raise RuntimeError("a listener that raises must not stop the others")

    client.add_connected_listener(failing)
    client.add_connected_listener(lambda: heard.append("second"))
    client.add_disconnected_listener(down.set)
    client.add_published_listener(published.append)
    client.add_published_listener(lambda mid: heard.append(f"published {mid}"))
    client.start()
    try:
        for _attempt in range(2):  # the first connection and a reconnect
            connection = broker.accept()
            connection.expect(connect_packet("fake-listeners", KEEPALIVE_S))
            connection.send(CONNACK_ACCEPTED)
            assert client.wait_connected(5)
            mid = client.publish("t/out", b"hello", qos=1)
            assert mid is not None
            connection.expect(publish_packet("t/out", b"hello", qos=1, mid=mid))
            connection.send(ack_packet(0x40, mid))
            assert wait_until(partial(operator.contains, published, mid), 5)
            connection.close()
            assert down.wait(5)
            down.clear()
        assert len(published) == 2
        assert heard == [entry for mid in published for entry in ("failing", "second", f"published {mid}")]
    finally:
        client.stop()


def test_subscribed_waits_for_the_brokers_suback_on_every_connection(broker: FakeBroker) -> None:
    """Connected is not subscribed: a message published between CONNACK and SUBACK may miss the subscription
    (the hub's integration tests raced on exactly that). ``wait_subscribed`` holds until the SUBACK."""
    settings = MqttSettings(host=broker.host, port=broker.port, keepalive_s=KEEPALIVE_S)
    client = MqttClient(settings, "subs-1")
    client.subscribe(FILTER, lambda _m: None)
    client.start()
    try:
        for attempt in range(2):  # the first connection, then the one after the broker dropped it
            connection = broker.accept()
            connection.expect(connect_packet("subs-1", KEEPALIVE_S))
            connection.send(CONNACK_ACCEPTED)
            subscribes = [connection.read_packet() for _ in range(1 + attempt)]  # every filter, again
            assert client.wait_connected(5)
            assert not client.wait_subscribed(0.3)
            for subscribe in subscribes:
                connection.send(suback_packet(int.from_bytes(subscribe[2:4], "big"), 1))
            assert client.wait_subscribed(5)
            if attempt == 0:  # a later subscription on the live connection waits for its own SUBACK
                client.subscribe("other/1", lambda _m: None)
                later = connection.read_packet()
                assert not client.wait_subscribed(0.3)
                connection.send(suback_packet(int.from_bytes(later[2:4], "big"), 1))
                assert client.wait_subscribed(5)
            connection.close()
    finally:
        client.stop()
