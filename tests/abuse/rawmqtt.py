"""MQTT 3.1.1 written by hand on a plain socket: a client that shares no code with paho or with the hub.

It publishes any bytes (payloads with newlines or invalid UTF-8, topics a library would refuse to send) and
can send broken packets on purpose. Packet layouts: MQTT 3.1.1 §2 (fixed header, remaining length) and §3
(CONNECT, CONNACK, PUBLISH, PUBACK, DISCONNECT).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import uuid
from collections.abc import Iterable

CONNECT, CONNACK, PUBLISH, PUBACK, DISCONNECT = 0x10, 0x20, 0x30, 0x40, 0xE0


def remaining_length(n: int) -> bytes:
    """§2.2.3: seven bits a byte, the high bit says another byte follows."""
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def string(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def connect_packet(client_id: str, keepalive: int = 60) -> bytes:
    body = string(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", keepalive) + string(client_id.encode())
    return bytes([CONNECT]) + remaining_length(len(body)) + body


def publish_packet(topic: bytes, payload: bytes, qos: int = 1, packet_id: int = 1, retain: bool = False) -> bytes:
    body = string(topic) + (struct.pack("!H", packet_id) if qos else b"") + payload
    return bytes([PUBLISH | qos << 1 | int(retain)]) + remaining_length(len(body)) + body


class RawClient:
    """One connection; ``publish_all`` pipelines QoS 1 PUBLISHes and waits for every PUBACK."""

    def __init__(self, host: str, port: int, client_id: str | None = None, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.sendall(connect_packet(client_id or f"raw-{uuid.uuid4().hex[:8]}"))
        answer = self._read_exactly(4)
        if answer[0] != CONNACK or answer[3] != 0:
            raise ConnectionError(f"broker refused the connection: {answer.hex()}")

    def _read_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def publish_all(self, messages: Iterable[tuple[str | bytes, bytes]], in_flight: int = 500) -> int:
        """QoS 1, at most ``in_flight`` unacknowledged (so no packet id is reused while in use); returns how
        many the broker acknowledged, which is all of them or an exception."""
        window = threading.Semaphore(in_flight)
        acked = 0
        failure: list[BaseException] = []

        def read_acks() -> None:
            nonlocal acked
            buffer = b""
            try:
                while True:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                    while len(buffer) >= 4:
                        if buffer[0] != PUBACK or buffer[1] != 2:
                            raise ConnectionError(f"unexpected packet from the broker: {buffer[:8].hex()}")
                        buffer = buffer[4:]
                        acked += 1
                        window.release()
            except OSError as exc:  # the socket closed under us: publish_all reports the shortfall
                failure.append(exc)

        reader = threading.Thread(target=read_acks, name="raw-mqtt-acks", daemon=True)
        reader.start()
        sent = 0
        for topic, payload in messages:
            if not window.acquire(timeout=30):
                raise TimeoutError(f"no PUBACK for 30 s after {sent} publishes, {acked} acknowledged")
            where = topic.encode() if isinstance(topic, str) else topic
            self.sock.sendall(publish_packet(where, payload, qos=1, packet_id=sent % 65535 + 1))
            sent += 1
        for _ in range(in_flight):  # every permit back = every PUBACK in (the ones never taken come at once)
            if not window.acquire(timeout=30):
                raise TimeoutError(f"{acked} of {sent} publishes acknowledged ({failure or 'no error'})")
        self.sock.shutdown(socket.SHUT_RD)  # ends the reader; the socket stays open to disconnect
        reader.join(5)
        return acked

    def closed_by_broker(self, timeout: float = 5.0) -> bool:
        """True once the broker has closed this connection (what it does to a protocol violation)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except TimeoutError:
            return False
        except OSError:
            return True

    def disconnect(self) -> None:
        with contextlib.suppress(OSError):  # already closed by the broker
            self.sock.sendall(bytes([DISCONNECT, 0]))
        self.sock.close()
