"""MQTT 3.1.1 packets cut out of a byte stream, and the PUBLISH fields a receiver needs: bytes in, packets out.

No socket and no paho here: :class:`PacketReader` holds what was read from one connection and hands out whole
packets; :func:`parse_publish` reads a PUBLISH of QoS 0 or 1; :func:`pubacks` writes a run of PUBACKs. The
client in ``core.transport.mqtt`` feeds it 64 KiB reads, so a packet costs no system call of its own and no
object paho would build only for us to copy out again (docs/mqtt.md, "Client"). Tests:
tests/unit/core/transport/test_packet_reader.py (bytes) and test_mqtt_fake_broker.py (a scripted broker).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from core.transport.protocol import InboundMessage

PUBLISH = 0x30
PUBACK = 0x40

# The remaining length takes 1 to 4 bytes of 7 bits each (MQTT 3.1.1 §2.2.3): at most 268,435,455.
MAX_LENGTH_BYTES = 4

_PUBACK = struct.Struct("!BBH")  # fixed header (type, remaining length 2) and the packet id (§3.4)


class MalformedPacketError(ValueError):
    """The bytes cannot be an MQTT 3.1.1 packet: the connection has to be closed (§4.8)."""


class PacketReader:
    """The bytes read from one connection that no packet has taken yet.

    ``feed()`` adds what the socket gave; ``next_packet()`` hands out the next packet once all of it is here;
    ``take()`` serves raw bytes to a reader of its own (paho's, for the packets this reader leaves to it).
    ``clear()`` forgets everything: bytes of an old connection must never join a new one's."""

    def __init__(self) -> None:
        self._buffer = b""
        self._pos = 0

    @property
    def pending(self) -> int:
        """Bytes fed and not yet handed out."""
        return len(self._buffer) - self._pos

    def clear(self) -> None:
        self._buffer, self._pos = b"", 0

    def feed(self, data: bytes) -> None:
        if self._pos >= len(self._buffer):
            self._buffer, self._pos = data, 0  # the usual case: everything before was taken, no copy
        else:
            self._buffer, self._pos = self._buffer[self._pos :] + data, 0

    def take(self, size: int) -> bytes:
        """Up to ``size`` buffered bytes (fewer when fewer are here; b"" when none)."""
        chunk = self._buffer[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk

    def peek(self) -> int | None:
        """The next packet's first byte (its type and flags), without taking it; None when nothing is buffered."""
        return self._buffer[self._pos] if self._pos < len(self._buffer) else None

    def next_packet(self) -> tuple[int, bytes] | None:
        """The next packet's first byte (type and flags) and its body (what follows the remaining length),
        or None while part of it has not arrived; the bytes stay buffered until the whole packet is here.

        Raises :class:`MalformedPacketError` when the remaining length runs past four bytes."""
        buffer, start = self._buffer, self._pos
        end = len(buffer)
        length, shift, index = 0, 0, start + 1
        while True:
            if index >= end:
                return None  # the fixed header itself is not all here yet
            byte = buffer[index]
            index += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
            if index - start - 1 >= MAX_LENGTH_BYTES:
                raise MalformedPacketError("remaining length longer than 4 bytes")
        if index + length > end:
            return None
        self._pos = index + length
        return buffer[start], buffer[index : index + length]


def parse_publish(command: int, body: bytes) -> InboundMessage:
    """A PUBLISH's fields (§3.3: topic length, topic, packet id if QoS > 0, payload), as the message the
    subscription's handler gets (built once: nothing copies it out again).

    Raises :class:`MalformedPacketError` for a body shorter than its own topic and packet id, an empty topic
    (§4.7.3), a topic that is not UTF-8 (§1.5.3), or QoS 3 (§3.3.1.2)."""
    qos = (command & 0x06) >> 1
    if qos == 3:
        raise MalformedPacketError("PUBLISH with QoS 3")
    if len(body) < 2:
        raise MalformedPacketError("PUBLISH without a topic length")
    topic_end = 2 + ((body[0] << 8) | body[1])
    payload_start = topic_end + (2 if qos else 0)
    if len(body) < payload_start:
        raise MalformedPacketError("PUBLISH shorter than its topic and packet id")
    if topic_end == 2:
        raise MalformedPacketError("PUBLISH with an empty topic")
    try:
        topic = body[2:topic_end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPacketError("PUBLISH topic is not UTF-8") from exc
    mid = (body[topic_end] << 8) | body[topic_end + 1] if qos else 0
    return InboundMessage(topic, body[payload_start:], mid, qos, bool(command & 0x01))


def pubacks(mids: Iterable[int]) -> bytes:
    """One PUBACK per packet id, in this order, as one run of bytes (§3.4, §4.6: in the order received)."""
    return b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in mids])
