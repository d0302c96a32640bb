"""The hub's events from NATS JetStream: one durable pull consumer on ``$MQTT_msgs``, shared by every hub instance.

The stations publish over MQTT to NATS; NATS answers a QoS 1 PUBLISH with PUBACK only after its own stream
``$MQTT_msgs`` stored the message (with a quorum of replicas), so that stream is the one to read for no loss
(docs/broker.md, "NATS JetStream"). Every hub instance binds to the same durable consumer: NATS hands each
message to one of them, and hands it again (to any) when it was not acknowledged within ``ack_wait_s``, as after
a hub was killed. A message is acknowledged only after InfluxDB stored its batch (hub/ingest/ingest.py), so a
redelivery can only repeat an event, which overwrites its own point.

nats-py is asyncio: the source runs its own event loop on one supervised thread. The ingest's threads reach it
only through ``call_soon_threadsafe``. Memory is bounded by ``max_in_flight``: no more is pulled while that many
delivered messages wait for their acknowledgement. While a batch waits on InfluxDB, the held messages are told
"in progress" every third of the ack wait, so NATS does not hand them to another hub in the meantime.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from config.ingest import JetStreamSettings
from core.contract import TopicKind, subscription
from core.transport.mqtt import ConnectionLog
from core.transport.protocol import InboundMessage, MessageHandler
from core.transport.settings import MqttSettings
from core.transport.subjects import subject
from hub.ingest.metrics import IngestMetrics
from hub.supervision import Supervisor

logger = logging.getLogger(__name__)

# NATS's MQTT layer stores every QoS 1 publish, before it answers PUBACK, in its own stream MQTT_STREAM, on subject
# MQTT_MSGS_PREFIX + subject(topic) (docs/broker.md): the stream the hub reads for no loss.
MQTT_STREAM = "$MQTT_msgs"
MQTT_MSGS_PREFIX = "$MQTT.msgs."


def event_filter() -> str:
    """``$MQTT.msgs.sortcentre.v1.*.*.event``: the stations' events among everything NATS's MQTT layer stores."""
    return MQTT_MSGS_PREFIX + subject(subscription(TopicKind.EVENT))


def mqtt_topic(subject: str) -> str:
    """The MQTT topic a subject of ``$MQTT_msgs`` was published to (NATS writes a ``.`` of a topic as ``//``)."""
    name = subject.removeprefix(MQTT_MSGS_PREFIX)
    return "/".join(part.replace("\0", ".") for part in name.replace("//", "\0").split("."))


@dataclass(slots=True)
class _Held:
    message: Msg
    since: float


class JetStreamSource:
    """A ``hub.ingest.source.EventSource`` on NATS JetStream."""

    RETRY_S = (1.0, 10.0)  # back-off while NATS, the stream or the consumer cannot be reached

    def __init__(
        self,
        settings: JetStreamSettings,
        account: MqttSettings,
        client_id: str,
        supervisor: Supervisor,
        metrics: IngestMetrics,
    ) -> None:
        self._settings = settings
        self._account = account
        self._client_id = client_id
        self._thread = supervisor.thread(self._run, "ingest-jetstream")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deliver: MessageHandler | None = None
        self._held: dict[int, _Held] = {}  # delivered, not yet acknowledged (only the loop's thread touches it)
        self._mids = itertools.count(1)
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._acking: set[asyncio.Future[None]] = set()
        self._room: asyncio.Event | None = None  # set when acknowledgements made room under max_in_flight
        self._log = ConnectionLog(",".join(settings.servers), None, client_id, service="NATS")
        self._metrics = metrics

    # -- EventSource ---------------------------------------------------------------------------------------
    def start(self, deliver: MessageHandler) -> None:
        self._deliver = deliver
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        loop = self._loop
        if loop is not None and self._room is not None:
            loop.call_soon_threadsafe(self._room.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("JetStream source did not stop within %.0f s", timeout)

    def ack_in_order(self, mids: Iterable[int]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        # Ordered as given: call_soon_threadsafe runs callbacks in the order they were scheduled.
        try:
            loop.call_soon_threadsafe(self._ack, list(mids))
        except RuntimeError:  # the loop closed in between: NATS redelivers, and the write is idempotent
            logger.warning("JetStream source stopped: acknowledgements not sent, NATS will redeliver")

    def clear_retained(self, topic: str) -> bool:
        """NATS's MQTT layer keeps retained messages in a stream of its own (``$MQTT_rmsgs``); the events read here
        never carry the retain flag, so there is nothing to clear."""
        logger.info("retained event on %s: not cleared (JetStream source)", topic)
        return False

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def problem(self) -> str | None:
        if not self._ready.is_set():
            return f"not bound to the JetStream consumer {self._settings.durable} yet"
        return self._log.problem

    # -- the loop's thread ---------------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._room = asyncio.Event()
        while not self._stopping.is_set():
            client = await self._connect()
            if client is None:
                return
            try:
                await self._consume(client)
            finally:
                if self._acking:
                    await asyncio.gather(*self._acking, return_exceptions=True)
                if not client.is_closed:
                    try:
                        await client.flush(timeout=2)  # the acknowledgements given last
                    except (nats.errors.Error, TimeoutError) as err:
                        logger.warning("JetStream source: the last acknowledgements may not have left: %s", err)
                    await client.close()
            if not self._stopping.is_set():
                # nats-py closes a connection for good on a server error outside its reconnect loop (a login that
                # expired, a refusal after the handshake). A new connection starts afresh; the events held on the
                # old one cannot be acknowledged there any more, so NATS delivers them again after the ack wait.
                self._log.lost("NATS closed the connection (a login refused or expired?); connecting anew")
                self._held.clear()
                self._room.set()

    async def _connect(self) -> NatsClient | None:
        """Connect, retrying with a warning until it works or the hub stops. nats-py then reconnects by itself."""
        delay = self.RETRY_S[0]
        while not self._stopping.is_set():
            try:
                return await nats.connect(
                    servers=self._settings.servers,
                    name=self._client_id,
                    user=self._account.username,
                    password=self._account.secret(),
                    tls=self._tls(),
                    connect_timeout=5,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    disconnected_cb=self._disconnected,
                    reconnected_cb=self._reconnected,
                    error_cb=self._error,
                )
            except (nats.errors.Error, OSError, TimeoutError) as err:
                self._log.failed(describe(err))
            await self._pause(delay)
            delay = min(delay * 2, self.RETRY_S[1])
        return None

    async def _consume(self, client: NatsClient) -> None:
        js = client.jetstream(timeout=5)
        subscription = None
        delay = self.RETRY_S[0]
        while subscription is None and not self._stopping.is_set() and not client.is_closed:
            try:
                await self._ensure_consumer(js)
                subscription = await js.pull_subscribe_bind(self._settings.durable, self._settings.stream)
            except NotFoundError:
                self._log.failed(
                    f"stream {self._settings.stream} not found: NATS makes it at the account's first MQTT login "
                    "(the hub's live connection, or a station's)"
                )
            except (nats.errors.Error, TimeoutError) as err:
                self._log.failed(f"JetStream consumer {self._settings.durable}: {describe(err)}")
            if subscription is None:
                await self._pause(delay)
                delay = min(delay * 2, self.RETRY_S[1])
        if subscription is None:
            return
        self._log.connected()
        self._ready.set()
        progress = asyncio.create_task(self._keep_in_progress())
        try:
            await self._pull(client, subscription)
        finally:
            progress.cancel()

    async def _ensure_consumer(self, js: nats.js.JetStreamContext) -> None:
        """The durable consumer as configured: made when missing, told apart when it filters other subjects."""
        wanted = event_filter()
        try:
            info = await js.consumer_info(self._settings.stream, self._settings.durable)
        except NotFoundError:
            await js.stream_info(self._settings.stream)  # NotFoundError for a missing stream: waited for above
            await js.add_consumer(
                self._settings.stream,
                ConsumerConfig(
                    durable_name=self._settings.durable,
                    filter_subject=wanted,
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_wait=self._settings.ack_wait_s,
                    max_ack_pending=-1,  # every hub instance bounds its own share (max_in_flight)
                ),
            )
            logger.info("JetStream consumer %s made on %s (%s)", self._settings.durable, self._settings.stream, wanted)
            return
        if info.config.filter_subject != wanted:
            logger.warning(
                "JetStream consumer %s filters %r, not %r: events outside it never reach the hub",
                self._settings.durable,
                info.config.filter_subject,
                wanted,
            )

    async def _pull(self, client: NatsClient, subscription: nats.js.JetStreamContext.PullSubscription) -> None:
        """Until the hub stops or nats-py gives the connection up (then _main connects anew)."""
        assert self._room is not None and self._deliver is not None
        failing_since: float | None = None
        while not self._stopping.is_set() and not client.is_closed:
            room = self._settings.max_in_flight - len(self._held)
            if room <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            try:
                messages = await subscription.fetch(min(self._settings.fetch_batch, room), timeout=1.0)
            except TimeoutError:
                continue  # nothing to pull within the second
            except nats.errors.Error as err:
                if failing_since is None:
                    failing_since = time.monotonic()
                    self._log.failed(f"pulling from {self._settings.durable}: {describe(err)}")
                await self._pause(self.RETRY_S[0])
                continue
            if failing_since is not None:
                self._log.connected()
                failing_since = None
            now = time.monotonic()
            again = 0
            for message in messages:
                mid = next(self._mids)
                self._held[mid] = _Held(message, now)
                again += (message.metadata.num_delivered or 1) > 1
                self._deliver(InboundMessage(mqtt_topic(message.subject), message.data, mid, 1, False))
            if again:
                self._metrics.redelivered.inc(again)
                logger.info(
                    "JetStream delivered %d events again: another hub stopped before acknowledging them, or their "
                    "ack wait ran out; stored again, they overwrite their own points",
                    again,
                )

    def _ack(self, mids: list[int]) -> None:
        """On the loop: acknowledge and forget. A lost acknowledgement means a redelivery, which overwrites."""
        assert self._room is not None
        messages = [held.message for mid in mids if (held := self._held.pop(mid, None)) is not None]
        task = asyncio.ensure_future(self._send_acks(messages))
        self._acking.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._acking.discard)
        self._room.set()

    async def _send_acks(self, messages: list[Msg]) -> None:
        for message in messages:
            try:
                await message.ack()
            except nats.errors.Error as err:
                logger.warning("JetStream acknowledgement not sent (%s): NATS will redeliver the event", describe(err))

    async def _keep_in_progress(self) -> None:
        """Held messages older than a third of the ack wait are reported in progress: a batch waiting on InfluxDB
        stays with this hub instead of going to another one and being written twice."""
        every = self._settings.ack_wait_s / 3
        while True:
            await asyncio.sleep(every)
            cutoff = time.monotonic() - every
            for held in list(self._held.values()):
                if held.since <= cutoff:
                    try:
                        await held.message.in_progress()
                    except nats.errors.Error:
                        break  # disconnected: NATS redelivers after the ack wait, and the write is idempotent

    async def _pause(self, seconds: float) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._stopping.wait, seconds)

    # -- connection callbacks (on the loop) ------------------------------------------------------------------
    async def _disconnected(self) -> None:
        if not self._stopping.is_set():
            self._log.lost("NATS connection lost")

    async def _reconnected(self) -> None:
        self._log.connected()

    async def _error(self, err: Exception) -> None:
        if not self._stopping.is_set():
            logger.warning("JetStream source %s: %s", self._client_id, describe(err))

    def _tls(self) -> ssl.SSLContext | None:
        if not (self._account.tls or self._account.ca_file):
            return None
        return ssl.create_default_context(cafile=self._account.ca_file)


def describe(err: BaseException) -> str:
    return str(err) or type(err).__name__
