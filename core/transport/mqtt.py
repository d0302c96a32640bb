"""A small MQTT client interface over paho-mqtt 2.x: connect, publish, subscribe, ack, stop.

Stations and the hub talk MQTT only through :class:`MqttClient`, so the library could be swapped and the
reconnect/subscription rules live in one place. Reconnects happen in paho's network thread; subscriptions
are restored in ``on_connect`` because a clean session forgets them (MQTT 3.1.1 §3.1.2.4).

paho retries a failing connection quietly in that thread: :class:`ConnectionLog` turns what its callbacks
report into warnings with host, port, client id and the reason, once per change and then once a minute.

What the station and the hub use of it is ``core.transport.protocol.MqttLike``. Incoming packets are cut out
by ``core.transport.packet_reader``; :class:`_BufferedReadClient` is the only code here that uses paho's
private names (why, and which: docs/mqtt.md, "Client").
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from core.transport.packet_reader import PUBLISH, MalformedPacketError, PacketReader, parse_publish, pubacks
from core.transport.protocol import (
    ConnectedListener,
    DisconnectedListener,
    InboundMessage,
    MessageHandler,
    PublishedListener,
    Will,
)
from core.transport.settings import MqttSettings

__all__ = ["ConnectionLog", "InboundMessage", "MessageHandler", "MqttClient", "Will", "end_session"]

logger = logging.getLogger(__name__)


class MqttClient:
    """One broker connection. Thread-safe for publish/ack; callbacks run in paho's network thread."""

    # paho's back-off between attempts (seconds, doubling from the first to the second): soon after a blip,
    # and within half a minute of a broker coming back after a long outage.
    RECONNECT_DELAY_S = (1, 30)
    # How long stop() waits for paho to write what is queued (acknowledgements) and then its DISCONNECT.
    STOP_FLUSH_S = 2.0

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
            client_id, deliver=self._deliver, clean_session=clean_session, manual_ack=manual_ack
        )
        if settings.username:
            self._client.username_pw_set(settings.username, settings.secret())
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
        self._client.on_publish = self._on_publish
        self._client.on_subscribe = self._on_subscribe
        self._subscriptions: dict[str, tuple[int, MessageHandler]] = {}
        # topic -> handler: a fleet has a few hundred topics, and matching every message against every
        # filter cost more than the rest of receiving it. Cleared when the subscriptions change.
        self._handler_cache: dict[str, MessageHandler | None] = {}
        self._lock = threading.Lock()
        self.connected = threading.Event()
        # Set while every SUBSCRIBE sent on this connection has its SUBACK: before that, a message published
        # to a subscribed topic may reach the broker before the subscription does and never come here.
        self.subscribed = threading.Event()
        self._pending_subacks: set[int] = set()
        self._acked_early: set[int] = set()
        self._subscribes_sending = 0
        self._disconnect_seen = threading.Event()  # paho reported a disconnection (set on every one)
        # Several parts of a process follow one connection (the station's publisher and its agent both act on
        # a reconnect): each adds its listener, none replaces another's.
        self._connected_listeners: list[ConnectedListener] = []
        self._disconnected_listeners: list[DisconnectedListener] = []
        self._published_listeners: list[PublishedListener] = []
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

    # -- listeners (called on paho's network thread, in the order they were added) --------------------------
    def add_connected_listener(self, listener: ConnectedListener) -> None:
        """Call ``listener()`` after every (re)connect, once the subscriptions are restored."""
        self._connected_listeners.append(listener)

    def add_disconnected_listener(self, listener: DisconnectedListener) -> None:
        """Call ``listener()`` whenever the connection ends or an attempt fails after the socket opened."""
        self._disconnected_listeners.append(listener)

    def add_published_listener(self, listener: PublishedListener) -> None:
        """Call ``listener(mid)`` when the broker acknowledged a QoS 1 publish (a QoS 0 one: once it is sent)."""
        self._published_listeners.append(listener)

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting until stop()."""
        self._client.connect_async(self._settings.host, self._settings.port, keepalive=self._settings.keepalive_s)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    def wait_subscribed(self, timeout: float) -> bool:
        """Wait until connected and the broker acknowledged every subscription (SUBACK)."""
        deadline = time.monotonic() + timeout
        return self.connected.wait(timeout) and self.subscribed.wait(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Disconnect cleanly (no last will) and stop the network thread, after what was queued went out.

        paho writes its DISCONNECT after every packet queued before it (the hub's PUBACKs among them) and reports
        the disconnection only then. Stopping the network thread before that could drop acknowledgements already
        given, and the broker would send those messages again; so wait for it, for ``STOP_FLUSH_S`` at most."""
        was_connected = self.connected.is_set()
        self._stopping = True
        self._disconnect_seen.clear()
        self._client.disconnect()
        if was_connected and not self._disconnect_seen.wait(self.STOP_FLUSH_S):
            logger.warning(
                "MQTT client %s: stopped before paho confirmed the disconnection within %.0f s (queued packets lost)",
                self.client_id,
                self.STOP_FLUSH_S,
            )
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
            self._send_subscribe(topic_filter, qos)

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
        with self._lock:
            self._pending_subacks.clear()
            self._acked_early.clear()
        if not subs:
            self.subscribed.set()
        for topic_filter, (qos, _handler) in subs:
            self._send_subscribe(topic_filter, qos)
        self._log.connected()
        self.connected.set()
        _notify(self._connected_listeners, "connected")

    def _on_disconnect(self, _client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        self._disconnect_seen.set()
        if self._stopping:
            pass
        elif was_connected:
            self._log.lost(_describe_disconnect(reason, self._settings.keepalive_s))
        elif not self._attempt_reported:
            # The socket opened but no CONNACK came: something that is not an MQTT broker (or a stuck one).
            self._attempt_reported = True
            self._log.failed(f"no CONNACK: {_describe_disconnect(reason, self._settings.keepalive_s)}")
        _notify(self._disconnected_listeners, "disconnected")

    def _on_message(self, _client: paho.Client, _userdata: Any, msg: paho.MQTTMessage) -> None:
        """paho's callback, for the PUBLISHes the client's own reader leaves to paho (QoS 2)."""
        self._deliver(InboundMessage(msg.topic, bytes(msg.payload), msg.mid, msg.qos, msg.retain))

    def _deliver(self, message: InboundMessage) -> None:
        handler = self._handler_for(message.topic)
        if handler is None:
            logger.debug("message on %s matches no subscription", message.topic)
            return
        handler(message)

    def _send_subscribe(self, topic_filter: str, qos: int) -> None:
        # paho is called outside the lock (it takes its own callback lock, which its network thread holds while
        # calling ours), so a SUBACK may come back before its mid is recorded here: _acked_early keeps those.
        with self._lock:
            self._subscribes_sending += 1
            self.subscribed.clear()
        result, mid = self._client.subscribe(topic_filter, qos)
        with self._lock:
            self._subscribes_sending -= 1
            if result == paho.MQTT_ERR_SUCCESS and mid is not None:
                if mid in self._acked_early:
                    self._acked_early.discard(mid)
                else:
                    self._pending_subacks.add(mid)
            if not self._pending_subacks and not self._subscribes_sending:
                self.subscribed.set()  # acknowledged already, or not sent (the next connect sends it again)

    def _on_subscribe(self, _client: paho.Client, _userdata: Any, mid: int, reasons: Any, _props: Any) -> None:
        refused = [str(r) for r in reasons if getattr(r, "is_failure", False)]
        if refused:
            logger.warning("MQTT client %s: the broker refused a subscription: %s", self.client_id, ", ".join(refused))
        with self._lock:
            if mid in self._pending_subacks:
                self._pending_subacks.discard(mid)
            else:
                self._acked_early.add(mid)
            if not self._pending_subacks and not self._subscribes_sending:
                self.subscribed.set()

    def _on_publish(self, _client: paho.Client, _userdata: Any, mid: int, _reason: Any, _props: Any) -> None:
        _notify(self._published_listeners, "published", mid)

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

    def __init__(
        self,
        host: str,
        port: int | None,
        client_id: str,
        clock: Callable[[], float] = time.monotonic,
        service: str = "MQTT broker",
    ) -> None:
        """``port`` None: ``host`` says where already (a list of NATS URLs); ``service``: what is connected to."""
        self._where = host if port is None else f"{host}:{port}"
        self._service = service
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
                    "%s %s: %s cannot connect: %s; retrying in the background",
                    self._service,
                    self._where,
                    self._client_id,
                    reason,
                )
            elif now - self._logged_at >= self.REPEAT_S:
                logger.warning(
                    "%s %s: %s still cannot connect after %.0f s: %s (%d failed attempts since the last warning)",
                    self._service,
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
                "%s %s: %s lost its connection: %s; reconnecting in the background",
                self._service,
                self._where,
                self._client_id,
                reason,
            )

    def connected(self) -> None:
        with self._lock:
            if self._down_since is None:
                logger.info("connected to %s %s as %s", self._service, self._where, self._client_id)
            else:
                logger.info(
                    "connected to %s %s as %s after %.1f s without a connection (%d failed attempts)",
                    self._service,
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
    """paho with the receive path of ``core.transport.packet_reader``; connecting, sending, keepalive, QoS 2
    and whatever else arrives stay paho's.

    paho reads each packet with three or more recv() calls (fixed header byte, each length byte, then the
    rest) and waits in select() before every packet, then builds an MQTTMessage we only copy out again: for
    a hub receiving thousands of messages a second that was most of its receive cost. Here the socket is
    read in 64 KiB chunks into a :class:`PacketReader`; a QoS 0 or 1 PUBLISH that lies whole in it goes
    straight to ``deliver``, every other packet is left to paho's own reader, which gets its bytes from the
    same buffer; reading goes on while whole packets are buffered (select() cannot see them). A batch's
    PUBACKs leave as one queued packet. Measured: docs/benchmarks.md (ingest).

    This is the one place that uses paho's private names, so paho is pinned to the minor version these
    were tested on (pyproject.toml); tests/unit/core/transport/test_mqtt_fake_broker.py checks the bytes
    against a scripted broker and fails on a paho whose internals moved. The names: ``_sock_recv`` and
    ``_packet_read`` (overridden, each falling back to paho's own), ``_sock`` (which connection the
    buffered bytes belong to), ``_packet_queue`` (the batched PUBACKs), ``_msgtime_mutex`` and
    ``_last_bytes_received`` (paho's keepalive clock, moved on as paho's reader would)."""

    READ_SIZE = 65536
    # Why the last connection attempt failed: paho's network thread catches the OSError of reconnect() and
    # calls on_connect_fail without it.
    connect_error: OSError | None = None

    def __init__(
        self, client_id: str, *, deliver: Callable[[InboundMessage], None], clean_session: bool, manual_ack: bool
    ) -> None:
        # MQTT 3.1.1 only: the reader knows the 3.1.1 PUBLISH (an MQTT 5 one carries properties).
        super().__init__(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,
            protocol=paho.MQTTv311,
            manual_ack=manual_ack,
        )
        self._deliver_publish = deliver
        self._acks_by_hand = manual_ack
        self._reader = PacketReader()
        self._reader_socket: object | None = None  # the connection whose bytes the reader holds
        self._paho_mid_packet = False  # paho's reader stopped inside a packet: it must finish that one

    def reconnect(self) -> MQTTErrorCode:
        try:
            return super().reconnect()
        except OSError as err:
            self.connect_error = err
            raise

    def queue_pubacks(self, mids: Iterable[int]) -> None:
        """All these PUBACKs as one queued packet: paho writes it with as few send() calls as the socket allows
        (a partial write continues where it stopped), and nothing in paho looks at a PUBACK after sending it."""
        packet = pubacks(mids)
        if packet:
            self._packet_queue(paho.PUBACK, packet, 0, 1)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        while True:
            rc = super().loop_read(max_packets)
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or not self._reader.pending:
                return rc

    def _sock_recv(self, bufsize: int) -> bytes:
        self._follow_socket()
        if not self._reader.pending:
            data = super()._sock_recv(self.READ_SIZE)  # BlockingIOError when nothing is there, as before
            if not data:
                return data  # the broker closed the connection
            self._reader.feed(data)
        return self._reader.take(bufsize)

    def _packet_read(self) -> MQTTErrorCode:
        self._follow_socket()
        command = self._reader.peek()
        if self._paho_mid_packet or command is None or command & 0xF0 != PUBLISH or command & 0x06 > 0x02:
            return self._paho_packet_read()  # all but a PUBLISH of QoS 0 or 1 is paho's, from the same bytes
        try:
            packet = self._reader.next_packet()
            if packet is None:
                return self._paho_packet_read()  # not all here yet: paho reads it as it comes
            message = parse_publish(*packet)
        except MalformedPacketError as exc:
            logger.warning("MQTT: malformed packet from the broker (%s); closing the connection", exc)
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        with self._msgtime_mutex:
            self._last_bytes_received = time.monotonic()  # paho's time_func
        try:
            self._deliver_publish(message)
        except Exception:
            logger.exception("MQTT: the handler of a message on %s failed", message.topic)
            if not self.suppress_exceptions:
                raise  # as paho does with an exception in on_message
        if message.qos == 1 and not self._acks_by_hand:
            self.queue_pubacks((message.mid,))
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _paho_packet_read(self) -> MQTTErrorCode:
        rc = super()._packet_read()
        self._paho_mid_packet = rc == MQTTErrorCode.MQTT_ERR_AGAIN
        return rc

    def _follow_socket(self) -> None:
        """A new connection: what was buffered belongs to the old one (paho starts its own reader afresh)."""
        if self._reader_socket is not self._sock:
            self._reader.clear()
            self._reader_socket = self._sock
            self._paho_mid_packet = False


def _notify(listeners: list[Callable[..., None]], what: str, *args: int) -> None:
    """Every listener hears it: one that raises is logged and the next still runs (an exception left to paho
    would end its network thread, and with it the connection)."""
    for listener in listeners:
        try:
            listener(*args)
        except Exception:
            logger.exception("MQTT %s listener %r failed", what, listener)


def end_session(settings: MqttSettings, client_id: str, timeout: float = 5.0) -> None:
    """Connect once with a clean session and leave: the broker drops what it kept for ``client_id``."""
    client = MqttClient(settings, client_id, clean_session=True)
    client.start()
    client.wait_connected(timeout)
    client.stop()


def _strip_share(topic_filter: str) -> str:
    """``$share/group/a/b`` matches topics as ``a/b`` does (MQTT 5 §4.8.2)."""
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter
