"""A scripted MQTT broker on a real socket, in the style of paho-mqtt's own tests (tests/testsupport/broker.py):
the test accepts the client's connection, expects its packets byte for byte, and sends whatever bytes it
likes, split however it likes. For protocol edge cases only; what the system relies on from a broker is
tested against the real Mosquitto (tests/integration)."""

from __future__ import annotations

import socket
import time

CONNACK_ACCEPTED = b"\x20\x02\x00\x00"


def remaining_length(n: int) -> bytes:
    """MQTT 3.1.1 §2.2.3: 7 bits a byte, low bits first, the top bit says another byte follows."""
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def connect_packet(client_id: str, keepalive: int, clean_session: bool = True) -> bytes:
    """CONNECT as an MQTT 3.1.1 client without user name, password or will sends it (§3.1)."""
    body = _string("MQTT") + bytes([4, 0x02 if clean_session else 0x00]) + keepalive.to_bytes(2, "big")
    body += _string(client_id)
    return b"\x10" + remaining_length(len(body)) + body


def subscribe_packet(mid: int, topic_filter: str, qos: int) -> bytes:
    body = mid.to_bytes(2, "big") + _string(topic_filter) + bytes([qos])
    return b"\x82" + remaining_length(len(body)) + body


def suback_packet(mid: int, qos: int) -> bytes:
    return b"\x90\x03" + mid.to_bytes(2, "big") + bytes([qos])


def publish_packet(topic: str, payload: bytes, qos: int = 0, mid: int = 0, retain: bool = False) -> bytes:
    body = _string(topic) + (mid.to_bytes(2, "big") if qos else b"") + payload
    return bytes([0x30 | qos << 1 | int(retain)]) + remaining_length(len(body)) + body


def ack_packet(kind: int, mid: int) -> bytes:
    """PUBACK 0x40, PUBREC 0x50, PUBREL 0x62, PUBCOMP 0x70: two bytes of packet id each (§3.4 to §3.7)."""
    return bytes([kind, 2]) + mid.to_bytes(2, "big")


class Connection:
    """One accepted client connection."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.settimeout(5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each send() leaves as it is

    def read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise AssertionError(f"the client closed the connection after {data!r}, {size} bytes expected")
            data += chunk
        return data

    def expect(self, expected: bytes) -> None:
        got = self.read(len(expected))
        assert got == expected, f"expected {expected!r}, the client sent {got!r}"

    def read_packet(self) -> bytes:
        """One whole packet as the client sent it, header included."""
        header = self.read(1)
        length, shift = 0, 0
        while True:
            byte = self.read(1)
            header += byte
            length |= (byte[0] & 0x7F) << shift
            shift += 7
            if not byte[0] & 0x80:
                return header + self.read(length)

    def send(self, *pieces: bytes, pause_s: float = 0.0) -> None:
        """Each piece with its own send(); with a pause between them the client reads them apart."""
        for i, piece in enumerate(pieces):
            if i and pause_s:
                time.sleep(pause_s)
            self.sock.sendall(piece)

    def sends_nothing_within(self, seconds: float) -> bool:
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(1)
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(5)
        raise AssertionError(f"the client sent {data!r}")

    def closed_by_client(self) -> bool:
        """True once the client closed its end (what it sent before is read and dropped)."""
        try:
            while self.sock.recv(4096):
                pass
        except TimeoutError:
            return False
        except ConnectionResetError:
            pass
        return True

    def close(self) -> None:
        self.sock.close()


class FakeBroker:
    """Listens on a free port of 127.0.0.1; ``accept()`` takes the next connection."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(10)
        self.host = "127.0.0.1"
        self.port = self._listener.getsockname()[1]
        self.connections: list[Connection] = []

    def accept(self) -> Connection:
        sock, _ = self._listener.accept()
        connection = Connection(sock)
        self.connections.append(connection)
        return connection

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self._listener.close()
