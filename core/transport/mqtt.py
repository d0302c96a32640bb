"""A small MQTT client interface over paho-mqtt 2.x: connect, publish, subscribe, ack, stop.

Stations and the hub talk MQTT only through :class:`MqttClient`, so the library could be swapped and the
reconnect/subscription rules live in one place. Reconnects happen in paho's network thread; subscriptions
are restored in ``on_connect`` because a clean session forgets them (MQTT 3.1.1 §3.1.2.4).

paho retries a failing connection quietly in that thread: :class:`ConnectionLog` turns what its callbacks
report into warnings with host, port, client id and the reason, once per change and then once a minute.
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.exception import MalformedPacket

from core.transport.settings import MqttSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class InboundMessage:
    topic: str
    payload: bytes
    mid: int
    qos: int
    retain: bool


MessageHandler = Callable[[InboundMessage], None]
ConnectHandler = Callable[[], None]


class MqttClient:
    """One broker connection. Thread-safe for publish/ack; callbacks run in paho's network thread."""

    # paho's back-off between attempts (seconds, doubling from the first to the second): soon after a blip,
    # and within half a minute of a broker coming back after a long outage.
    RECONNECT_DELAY_S = (1, 30)

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        *,
        clean_session: bool = True,
        will: Will | None = None,
        manual_ack: bool = False,
        max_inflight: int = 100,
    ) -> None:
        self._settings = settings
        self._client = _BufferedReadClient(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,
            protocol=paho.MQTTv311,
            manual_ack=manual_ack,
        )
        if settings.username:
            self._client.username_pw_set(settings.username, _password(settings))
        if settings.tls:
            self._client.tls_set(ca_certs=settings.ca_file)
        if will is not None:
            self._client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        # paho holds at most this many unacknowledged QoS>0 messages on the wire; more wait in its queue.
        self._client.max_inflight_messages_set(max_inflight)
        self._client.reconnect_delay_set(min_delay=self.RECONNECT_DELAY_S[0], max_delay=self.RECONNECT_DELAY_S[1])
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_pre_connect = self._on_pre_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.deliver = self._deliver
        self._client.on_publish = self._on_publish
        self._subscriptions: dict[str, tuple[int, MessageHandler]] = {}
        # topic -> handler: a fleet has a few hundred topics, and matching every message against every
        # filter cost more than the rest of receiving it. Cleared when the subscriptions change.
        self._handler_cache: dict[str, MessageHandler | None] = {}
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.on_connected: ConnectHandler | None = None
        self.on_disconnected: ConnectHandler | None = None
        self.on_published: Callable[[int], None] | None = None
        self.client_id = client_id
        self.connect_count = 0
        self._stopping = False
        self._log = ConnectionLog(settings.host, settings.port, client_id)
        # This attempt's failure is already logged (a refused CONNACK is followed by the broker closing the socket).
        self._attempt_reported = False

    @property
    def problem(self) -> str | None:
        """Why the broker is out of reach right now (for health pages and screens); None while connected or
        before the first attempt has failed."""
        return self._log.problem

    @property
    def failed_attempts(self) -> int:
        """Connection attempts that failed since the connection was last up."""
        return self._log.failed_attempts

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting until stop()."""
        self._client.connect_async(self._settings.host, self._settings.port, keepalive=self._settings.keepalive_s)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    def stop(self) -> None:
        """Disconnect cleanly (no last will) and stop the network thread."""
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    # -- traffic ---------------------------------------------------------------------------------------
    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> int | None:
        """Hand a message to paho; returns its message id, or None when paho refused it (queue full).

        A QoS>0 message published while disconnected comes back as NO_CONN but paho has queued it and sends
        it after the reconnect, so it counts as handed over: publishing it again would send it twice."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        queued = info.rc == paho.MQTT_ERR_NO_CONN and qos > 0
        if info.rc != paho.MQTT_ERR_SUCCESS and not queued:
            logger.debug("publish to %s not sent: %s", topic, paho.error_string(info.rc))
            return None
        return int(info.mid)

    def subscribe(self, topic_filter: str, handler: MessageHandler, qos: int = 1) -> Callable[[], None]:
        """Subscribe now and on every reconnect; returns a function that unsubscribes."""
        with self._lock:
            self._subscriptions[topic_filter] = (qos, handler)
            self._handler_cache.clear()
        if self.connected.is_set():
            self._client.subscribe(topic_filter, qos)

        def unsubscribe() -> None:
            with self._lock:
                self._subscriptions.pop(topic_filter, None)
                self._handler_cache.clear()
            self._client.unsubscribe(topic_filter)

        return unsubscribe

    def ack(self, mid: int, qos: int) -> None:
        """Acknowledge a received QoS 1 message (only with manual_ack=True)."""
        self._client.ack(mid, qos)

    def ack_in_order(self, mids: Iterable[int]) -> None:
        """Acknowledge received QoS 1 messages (manual_ack=True) in this order, with one write to the socket.

        ``ack()`` per message queued a packet, woke the network thread and made a send() call each time: for a
        batch of 5,000 that was a tenth of the hub's receive thread. MQTT 3.1.1 §4.6 asks for PUBACKs in the
        order the PUBLISHes arrived; the caller gives them in that order."""
        self._client.queue_pubacks(mids)

    # -- paho callbacks (network thread) ---------------------------------------------------------------
    def _on_pre_connect(self, _client: paho.Client, _userdata: Any) -> None:
        self._attempt_reported = False

    def _on_connect_fail(self, _client: paho.Client, _userdata: Any) -> None:
        """No socket: paho caught an OSError in its network thread and retries after a back-off."""
        error = self._client.connect_error
        self._attempt_reported = True
        self._log.failed(_describe_os_error(error, self._settings.host) if error else "could not connect")

    def _on_connect(self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            # A refused connection is not a connection: stay "disconnected" and let paho retry.
            self._attempt_reported = True
            self._log.failed(f"the broker refused the connection: {reason}")
            return
        self.connect_count += 1
        with self._lock:
            subs = list(self._subscriptions.items())
        for topic_filter, (qos, _handler) in subs:
            client.subscribe(topic_filter, qos)
        self._log.connected()
        self.connected.set()
        if self.on_connected is not None:
            self.on_connected()

    def _on_disconnect(self, _client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        if self._stopping:
            pass
        elif was_connected:
            self._log.lost(_describe_disconnect(reason, self._settings.keepalive_s))
        elif not self._attempt_reported:
            # The socket opened but no CONNACK came: something that is not an MQTT broker (or a stuck one).
            self._attempt_reported = True
            self._log.failed(f"no CONNACK: {_describe_disconnect(reason, self._settings.keepalive_s)}")
        if self.on_disconnected is not None:
            self.on_disconnected()

    def _on_message(self, _client: paho.Client, _userdata: Any, msg: paho.MQTTMessage) -> None:
        """paho's callback, for what the client's own PUBLISH reader leaves to paho (QoS 2, MQTT 5)."""
        self._deliver(msg.topic, bytes(msg.payload), msg.mid, msg.qos, bool(msg.retain))

    def _deliver(self, topic: str, payload: bytes, mid: int, qos: int, retain: bool) -> None:
        handler = self._handler_for(topic)
        if handler is None:
            logger.debug("message on %s matches no subscription", topic)
            return
        handler(InboundMessage(topic, payload, mid, qos, retain))

    def _on_publish(self, _client: paho.Client, _userdata: Any, mid: int, _reason: Any, _props: Any) -> None:
        if self.on_published is not None:
            self.on_published(mid)

    def _handler_for(self, topic: str) -> MessageHandler | None:
        try:
            return self._handler_cache[topic]
        except KeyError:
            pass
        with self._lock:  # under the lock, so a subscribe() in between cannot leave a stale entry
            found = next(
                (h for f, (_qos, h) in self._subscriptions.items() if paho.topic_matches_sub(_strip_share(f), topic)),
                None,
            )
            if len(self._handler_cache) >= _HANDLER_CACHE_SIZE:
                self._handler_cache.clear()  # a flood of odd topics must not grow memory
            self._handler_cache[topic] = found
        return found


_HANDLER_CACHE_SIZE = 10_000


class ConnectionLog:
    """What a person reading the log needs about one client's broker connection: a warning with the reason
    whenever it changes (connected to failing, or failing for another reason), then at most one every
    ``REPEAT_S`` while the same failure lasts (paho retries every 1 to 30 s: a line each would bury the log),
    and an info line with the time it was down once it is back. Called from paho's network thread."""

    # Often enough that a person tailing the log sees the problem still there; rarely enough to stay readable.
    REPEAT_S = 60.0

    def __init__(self, host: str, port: int, client_id: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._where = f"{host}:{port}"
        self._client_id = client_id
        self._clock = clock
        self._lock = threading.Lock()
        self.problem: str | None = None
        self._down_since: float | None = None
        self.failed_attempts = 0  # since the connection was last up
        self._unlogged = 0  # failed attempts since the last warning
        self._logged_at = 0.0

    def failed(self, reason: str) -> None:
        with self._lock:
            now = self._clock()
            if self._down_since is None:
                self._down_since = now
            self.failed_attempts += 1
            if reason != self.problem:
                self.problem = reason
                self._unlogged, self._logged_at = 0, now
                logger.warning(
                    "MQTT broker %s: %s cannot connect: %s; retrying in the background",
                    self._where,
                    self._client_id,
                    reason,
                )
            elif now - self._logged_at >= self.REPEAT_S:
                logger.warning(
                    "MQTT broker %s: %s still cannot connect after %.0f s: %s "
                    "(%d failed attempts since the last warning)",
                    self._where,
                    self._client_id,
                    now - self._down_since,
                    reason,
                    self._unlogged + 1,
                )
                self._unlogged, self._logged_at = 0, now
            else:
                self._unlogged += 1

    def lost(self, reason: str) -> None:
        with self._lock:
            now = self._clock()
            self._down_since, self.failed_attempts, self._unlogged, self._logged_at = now, 0, 0, now
            self.problem = f"connection lost: {reason}"
            logger.warning(
                "MQTT broker %s: %s lost its connection: %s; reconnecting in the background",
                self._where,
                self._client_id,
                reason,
            )

    def connected(self) -> None:
        with self._lock:
            if self._down_since is None:
                logger.info("connected to broker %s as %s", self._where, self._client_id)
            else:
                logger.info(
                    "connected to broker %s as %s after %.1f s without a connection (%d failed attempts)",
                    self._where,
                    self._client_id,
                    self._clock() - self._down_since,
                    self.failed_attempts,
                )
            self.problem, self._down_since, self.failed_attempts, self._unlogged = None, None, 0, 0


def _describe_os_error(error: OSError, host: str) -> str:
    """The OS's reason in words a person can act on; the OS's own text stays in, for searching."""
    if isinstance(error, socket.gaierror):
        return f"cannot resolve host name {host!r} ({error.strerror or error})"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {error.verify_message or error}"
    if isinstance(error, ssl.SSLError):
        return f"TLS handshake failed: {error.reason or error}"
    if isinstance(error, TimeoutError):
        return "no answer (timed out connecting)"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (nothing listens on that port?)"
    return error.strerror or str(error) or type(error).__name__


def _describe_disconnect(reason: Any, keepalive_s: int) -> str:
    """paho reports a lost socket as the MQTT 5 reason "Unspecified error" even on MQTT 3.1.1: say what it was."""
    name = str(reason)
    if name == "Unspecified error":
        return "the connection was closed (by the broker or the network)"
    if name == "Keep alive timeout":
        return f"no answer from the broker within the keepalive ({keepalive_s} s)"
    return name


class _BufferedReadClient(paho.Client):
    """paho with a faster receive path; connecting, sending, QoS 2 and MQTT 5 stay paho's.

    paho reads each packet with three or more recv() calls (fixed header byte, each length byte, then the
    rest) and waits in select() before every packet, then builds an MQTTMessage we only copy out again. For a
    hub receiving thousands of messages a second that was most of its receive cost. This client reads the
    socket in 64 KiB chunks, cuts packets that lie whole in that buffer out in one step, keeps reading while
    whole packets are buffered (select() cannot see them), and reads MQTT 3.1.1 PUBLISH packets of QoS 0 and
    1 straight into ``deliver``; a batch's PUBACKs leave in one write. Measured receive-only: 2.8x the messages
    per second of plain paho (docs/benchmarks.md). tests/integration/test_broker.py sends it messages split
    across and packed into chunks, checks every flag of a PUBLISH, and that batched PUBACKs release exactly
    the acknowledged messages."""

    READ_SIZE = 65536
    # Why the last connection attempt failed: paho's network thread catches the OSError and calls
    # on_connect_fail without it.
    connect_error: OSError | None = None
    # Where PUBLISHes go (topic, payload, mid, qos, retain); None: paho's on_message, as usual.
    deliver: Callable[[str, bytes, int, int, bool], None] | None = None
    _PUBACK = struct.Struct("!BBH")  # fixed header (type, remaining length 2) and the message id

    def reconnect(self) -> MQTTErrorCode:
        """paho's reconnect (connect_async and the network thread's retries call it), keeping its OSError."""
        try:
            return super().reconnect()
        except OSError as err:
            self.connect_error = err
            raise

    def queue_pubacks(self, mids: Iterable[int]) -> None:
        """All these PUBACKs as one queued packet: paho writes it with as few send() calls as the socket allows
        (a partial write continues where it stopped), and nothing in paho looks at a PUBACK after sending it."""
        packet = b"".join([self._PUBACK.pack(paho.PUBACK, 2, mid) for mid in mids])
        if packet:
            self._packet_queue(paho.PUBACK, packet, 0, 1)

    def _handle_publish(self) -> MQTTErrorCode:
        """An MQTT 3.1.1 PUBLISH of QoS 0 or 1 read straight into ``deliver``: paho's reader builds an
        MQTTMessage (with MQTT 5 properties, a timestamp and a debug line) that we only copy out again. QoS 2
        and MQTT 5 go through paho. Layout: MQTT 3.1.1 §3.3 (topic length, topic, packet id if QoS > 0)."""
        command, packet = self._in_packet["command"], self._in_packet["packet"]
        qos = (command & 0x06) >> 1
        if self.deliver is None or qos == 2 or self._protocol == paho.MQTTv5:
            return super()._handle_publish()
        if len(packet) < 2:
            raise MalformedPacket("PUBLISH without a topic length")
        topic_end = 2 + ((packet[0] << 8) | packet[1])
        payload_start = topic_end + (2 if qos else 0)
        if len(packet) < payload_start:
            raise MalformedPacket("PUBLISH shorter than its topic and packet id")
        try:
            topic = packet[2:topic_end].decode("utf-8")
        except UnicodeDecodeError:
            return super()._handle_publish()  # paho's way: the topic raises when read
        mid = (packet[topic_end] << 8) | packet[topic_end + 1] if qos else 0
        with self._in_callback_mutex:
            try:
                self.deliver(topic, bytes(packet[payload_start:]), mid, qos, bool(command & 0x01))
            except Exception as err:
                self._easy_log(paho.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                if not self.suppress_exceptions:
                    raise
        if qos == 1 and not self._manual_ack:
            return self._send_puback(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def message_callback_add(self, sub: str, callback: Any) -> None:
        raise TypeError("route topics with MqttClient.subscribe(): this client skips paho's per-topic callbacks")

    def _handle_on_message(self, message: paho.MQTTMessage) -> None:
        # paho walks its per-topic callback tree for every message, although we register none (MqttClient
        # routes topics itself, with a cache): that walk was 7% of the hub's receive thread.
        on_message = self.on_message
        if on_message is None:
            return
        with self._in_callback_mutex:
            try:
                on_message(self, self._userdata, message)
            except Exception as err:
                self._easy_log(paho.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                if not self.suppress_exceptions:
                    raise

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_buffer = b""
        self._read_pos = 0
        self._read_socket: object | None = None

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._read_socket is not self._sock:  # a new connection: what was buffered belongs to the old one
            self._read_buffer, self._read_pos, self._read_socket = b"", 0, self._sock
        if self._read_pos >= len(self._read_buffer):
            data = super()._sock_recv(self.READ_SIZE)  # BlockingIOError when nothing is there, as before
            if not data:
                return data  # the broker closed the connection
            self._read_buffer, self._read_pos = data, 0
        end = self._read_pos + bufsize
        chunk = self._read_buffer[self._read_pos : end]
        self._read_pos = min(end, len(self._read_buffer))
        return chunk

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        while True:
            rc = super().loop_read(max_packets)
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or self._read_pos >= len(self._read_buffer):
                return rc

    def _packet_read(self) -> MQTTErrorCode:
        """A packet that lies whole in the read buffer is cut out here in one step; paho's own reading (a
        call per header byte, then the rest) is left for packets that arrive in pieces."""
        packet = self._in_packet
        if packet["command"] != 0 or self._read_socket is not self._sock:
            return super()._packet_read()
        buffer, start = self._read_buffer, self._read_pos
        end = len(buffer)
        length, multiplier, index = 0, 1, start + 1
        while True:  # the remaining length: 1 to 4 bytes, 7 bits each (MQTT 3.1.1 §2.2.3)
            if index >= end or index > start + 4:
                return super()._packet_read()  # not all here yet, or malformed: paho decides
            byte = buffer[index]
            index += 1
            length += (byte & 127) * multiplier
            multiplier *= 128
            if not byte & 128:
                break
        if index + length > end:
            return super()._packet_read()
        packet["command"] = buffer[start]
        packet["have_remaining"] = 1
        packet["remaining_length"] = length
        packet["packet"] = bytearray(buffer[index : index + length])
        self._read_pos = index + length
        try:
            rc = self._packet_handle()
        except MalformedPacket as exc:
            self._easy_log(paho.MQTT_LOG_DEBUG, "Received malformed packet: %s", exc)
            rc = MQTTErrorCode.MQTT_ERR_PROTOCOL
        self._in_packet = {
            "command": 0,
            "have_remaining": 0,
            "remaining_count": [],
            "remaining_mult": 1,
            "remaining_length": 0,
            "packet": bytearray(b""),
            "to_process": 0,
            "pos": 0,
        }
        with self._msgtime_mutex:
            self._last_bytes_received = time.monotonic()  # paho's time_func
        return rc


def end_session(settings: MqttSettings, client_id: str, timeout: float = 5.0) -> None:
    """Connect once with a clean session and leave: the broker drops what it kept for ``client_id``."""
    client = MqttClient(settings, client_id, clean_session=True)
    client.start()
    client.wait_connected(timeout)
    client.stop()


def _password(settings: MqttSettings) -> str | None:
    if settings.password is not None:
        return settings.password.get_secret_value()
    if settings.password_file:
        return Path(settings.password_file).read_text().strip()
    return None


def _strip_share(topic_filter: str) -> str:
    """``$share/group/a/b`` matches topics as ``a/b`` does (MQTT 5 §4.8.2)."""
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter
