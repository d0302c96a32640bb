"""The packet reader on bytes alone: packets cut out whole however the stream is split, a malformed remaining
length refused, PUBLISH fields read exactly (MQTT 3.1.1 §2.2.3, §3.3, §3.4). The same reader inside the
client, against a scripted broker on a socket: test_mqtt_fake_broker.py."""

from __future__ import annotations

import pytest

from core.transport.packet_reader import (
    MalformedPacketError,
    PacketReader,
    parse_publish,
    pubacks,
)
from core.transport.protocol import InboundMessage


def remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def publish(topic: str, payload: bytes, qos: int = 1, mid: int = 1, retain: bool = False) -> bytes:
    body = len(topic.encode()).to_bytes(2, "big") + topic.encode() + (mid.to_bytes(2, "big") if qos else b"")
    body += payload
    return bytes([0x30 | qos << 1 | retain]) + remaining_length(len(body)) + body


def drain(reader: PacketReader) -> list[tuple[int, bytes]]:
    out = []
    while (packet := reader.next_packet()) is not None:
        out.append(packet)
    return out


def test_remaining_length_encoding_matches_the_spec_table() -> None:
    # §2.2.3's table: the edges of one to four bytes.
    assert remaining_length(127) == b"\x7f"
    assert remaining_length(128) == b"\x80\x01"
    assert remaining_length(16_383) == b"\xff\x7f"
    assert remaining_length(16_384) == b"\x80\x80\x01"
    assert remaining_length(268_435_455) == b"\xff\xff\xff\x7f"


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 128, 16_380, 16_384])
def test_a_packet_fed_a_byte_at_a_time_comes_out_once_whole(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    packet = publish("sortcentre/v1/zwolle/zwolle-plastic-1/event", payload)
    reader = PacketReader()
    seen = []
    for i in range(len(packet)):
        reader.feed(packet[i : i + 1])
        seen += drain(reader)
        if i < len(packet) - 1:
            assert seen == [], f"a packet came out after {i + 1} of {len(packet)} bytes"
    assert seen == [(packet[0], packet[len(packet) - len(seen[0][1]) :])]
    assert reader.pending == 0


def test_every_split_of_a_stream_of_packets_gives_the_same_packets() -> None:
    packets = [publish(f"t/{i}", b"p" * (i * 37 % 300), qos=i % 2, mid=i + 1, retain=i % 3 == 0) for i in range(20)]
    stream = b"".join(packets)
    whole = PacketReader()
    whole.feed(stream)
    expected = drain(whole)
    assert [bytes([c]) for c, _ in expected] == [p[:1] for p in packets]
    for cut in range(1, len(stream), 7):  # the remaining length falls on the edge for some of these cuts
        reader = PacketReader()
        reader.feed(stream[:cut])
        got = drain(reader)
        reader.feed(stream[cut:])
        got += drain(reader)
        assert got == expected, f"split at {cut}"


def test_a_remaining_length_split_after_its_first_byte_waits_for_the_rest() -> None:
    packet = publish("t", b"y" * 200)  # 2-byte remaining length
    reader = PacketReader()
    reader.feed(packet[:2])  # type byte and the first length byte, with its continuation bit
    assert reader.next_packet() is None and reader.pending == 2
    reader.feed(packet[2:])
    assert reader.next_packet() == (packet[0], packet[3:])


@pytest.mark.parametrize("length", [b"\xff\xff\xff\xff\x01", b"\x80\x80\x80\x80"])
def test_a_remaining_length_of_more_than_four_bytes_is_malformed(length: bytes) -> None:
    reader = PacketReader()
    reader.feed(b"\x30" + length + b"rest")
    with pytest.raises(MalformedPacketError):
        reader.next_packet()


def test_take_and_peek_serve_the_buffered_bytes_to_another_reader() -> None:
    reader = PacketReader()
    assert reader.peek() is None and reader.take(5) == b""
    reader.feed(b"\x90\x03\x00\x01\x01" + b"\x30")
    assert reader.peek() == 0x90
    assert reader.take(1) == b"\x90" and reader.take(1) == b"\x03" and reader.take(10) == b"\x00\x01\x01\x30"
    assert reader.pending == 0


def test_clear_forgets_a_half_packet() -> None:
    reader = PacketReader()
    reader.feed(publish("t", b"old")[:4])
    reader.clear()
    fresh = publish("t", b"new")
    reader.feed(fresh)
    assert drain(reader) == [(fresh[0], fresh[2:])]


def test_publish_fields_of_every_flag() -> None:
    body = b"\x00\x03a/b\x12\x34payload"
    assert parse_publish(0x32, body) == InboundMessage("a/b", b"payload", 0x1234, 1, False)
    assert parse_publish(0x3B, body) == InboundMessage("a/b", b"payload", 0x1234, 1, True)  # DUP and RETAIN set
    assert parse_publish(0x30, b"\x00\x03a/b") == InboundMessage("a/b", b"", 0, 0, False)
    assert parse_publish(0x31, b"\x00\x03a/bxyz") == InboundMessage("a/b", b"xyz", 0, 0, True)
    assert parse_publish(0x30, b"\x00\x02\xc3\xa9\x00") == InboundMessage("é", b"\x00", 0, 0, False)


@pytest.mark.parametrize(
    ("command", "body"),
    [
        (0x32, b"\x00"),  # no whole topic length
        (0x32, b"\x00\x05a/b"),  # topic longer than the packet
        (0x32, b"\x00\x03a/b\x00"),  # half a packet id
        (0x30, b"\x00\x00payload"),  # empty topic (§4.7.3)
        (0x30, b"\x00\x02\xff\xfe"),  # not UTF-8 (§1.5.3)
        (0x36, b"\x00\x03a/b\x00\x01"),  # QoS 3
    ],
)
def test_a_publish_that_cannot_be_read_is_malformed(command: int, body: bytes) -> None:
    with pytest.raises(MalformedPacketError):
        parse_publish(command, body)


def test_pubacks_are_four_bytes_each_in_the_order_given() -> None:
    assert pubacks([1, 0x1234, 65535]) == b"\x40\x02\x00\x01" + b"\x40\x02\x12\x34" + b"\x40\x02\xff\xff"
    assert pubacks([]) == b""
