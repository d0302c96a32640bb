"""Ingest: event messages (hub/ingest/source.py: MQTT or JetStream) -> batch -> worker (validate, InfluxDB
``/write``, rollups) -> acknowledgement (PUBACK, or JetStream's ack).

A message is acknowledged (PUBACK) only after the batch that holds it was stored, so a hub killed mid-batch
loses nothing: the broker redelivers what was never acknowledged, and redelivered events overwrite their
own points (hub/storage/points.py). Acks go out in the order the messages came in (MQTT 3.1.1 §4.6),
rejected messages included, which is why batches finish in order even when a later one was stored first.

This process holds the one MQTT session (or JetStream consumer) and does little per message; batches are
validated and written by worker processes (hub/ingest/workers.py). Memory stays bounded without a bounded
queue: the broker sends at most its ``max_inflight_messages`` unacknowledged QoS 1 messages to one client
(JetStream: ``max_in_flight``), and we hold on to exactly those (docs/broker.md gives the bound).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from config.ingest import IngestSettings
from core.contract import RejectReason, SortingEvent, decode_event
from core.transport.protocol import InboundMessage
from hub.ingest.backoff import Backoff
from hub.ingest.batch import BatchResult, RawMessage, Refused, Stored
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.ingest.source import EventSource
from hub.ingest.workers import Workers
from hub.storage.influx_v1 import InfluxError, InfluxV1
from hub.storage.rollups import refresh_isolating
from hub.supervision import Guard, Supervisor

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What one batch stored, for the live views: by index into its messages, decoded only on demand."""

    messages: list[InboundMessage]
    stored: list[Stored]

    def events(self) -> list[SortingEvent]:
        return [self._event(s) for s in self.stored]

    def latest_per_station(self) -> list[SortingEvent]:
        """Each station's event with the highest sequence number in this batch."""
        latest: dict[tuple[str, str], Stored] = {}
        for s in self.stored:
            key = (s.site, s.station)
            if key not in latest or s.seq >= latest[key].seq:
                latest[key] = s
        return [self._event(s) for s in latest.values()]

    def _event(self, stored: Stored) -> SortingEvent:
        message = self.messages[stored.position]
        return decode_event(message.topic, message.payload)


StoredListener = Callable[[StoredBatch], None]
WorkersFactory = Callable[[Callable[[int, BatchResult], None]], Workers]


@dataclass(slots=True)
class _Pending:
    messages: list[InboundMessage]
    # Where the worker's positions lie in ``messages`` when some never went to the worker (retained events,
    # the echo of our own clearing of one); None: all went, in order.
    sent: list[int] | None = None
    result: BatchResult | None = None
    refreshed: bool = False  # the rollup buckets it touched were recomputed after it was written
    submitted: float = field(default_factory=time.monotonic)


class Inbox:
    """Received messages on their way from paho's network thread to the collector.

    A deque (append and popleft are atomic) and an Event that says something arrived: queue.Queue took a
    lock and a notify per message on both sides, and the collector one timed get() per message. Here the
    network thread appends and sets the Event only when it is clear, and the collector takes a whole batch.
    """

    POLL_S = 0.005  # while a batch fills up: a batch that reached its count leaves at most this much later

    def __init__(self) -> None:
        self._items: deque[InboundMessage] = deque()
        self._arrived = threading.Event()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, message: InboundMessage) -> None:
        self._items.append(message)
        if not self._arrived.is_set():
            self._arrived.set()

    def take(self, max_items: int, max_delay_s: float, idle_s: float) -> list[InboundMessage]:
        """Up to ``max_items``, waiting at most ``max_delay_s`` after the first is there for more to come;
        [] when nothing came within ``idle_s``."""
        if not self._items:
            self._arrived.clear()
            if not self._items and not self._arrived.wait(idle_s):  # checked again after clear(): no lost wake-up
                return []
        deadline = time.monotonic() + max_delay_s
        while len(self._items) < max_items and (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(remaining, self.POLL_S))
        return [self._items.popleft() for _ in range(min(len(self._items), max_items))]


class Ingest:
    def __init__(
        self,
        source: EventSource,
        store: InfluxV1,
        settings: IngestSettings,
        metrics: IngestMetrics,
        dead_letters: DeadLetters,
        workers: WorkersFactory,
        supervisor: Supervisor | None = None,
    ) -> None:
        self._source = source
        self._supervisor = supervisor or Supervisor(metrics)
        self._store = store
        self._settings = settings
        self._metrics = metrics
        self._dead_letters = dead_letters
        self._workers = workers(self._on_result)
        self._inbox = Inbox()
        self._stop = threading.Event()
        self._workers_stopped = threading.Event()  # stopping: give up retrying InfluxDB
        # Each thread is supervised: one that ends before the hub stops ends the hub (hub/supervision.py).
        self._collector = self._supervisor.thread(self._collect_loop, "ingest-collect")
        self._pending: dict[int, _Pending] = {}  # insertion order = receive order
        self._pending_lock = threading.Lock()
        self._next_id = 0
        self._halted = False  # a batch could not be stored before stopping: acknowledge nothing after it
        self._to_refresh: queue.Queue[int] = queue.Queue()
        self._refresher = self._supervisor.thread(self._refresh_loop, "ingest-rollups")
        # Stored batches go to the listeners (the live views) on their own thread, in order: a slow or raising
        # listener then never holds up acknowledgements, which leave from the results threads.
        self._stored: queue.Queue[StoredBatch | None] = queue.Queue()
        self._notifier = self._supervisor.thread(self._notify_loop, "ingest-listeners")
        self._clearing: set[str] = set()  # event topics whose retained message we cleared; their echo is ours
        self.listeners: list[StoredListener] = []

    def start(self) -> None:
        self._workers.start()
        self._collector.start()
        self._refresher.start()
        self._notifier.start()
        self._source.start(self._on_message)

    def wait_ready(self, timeout: float) -> bool:
        """Wait until events published from now on reach this ingest."""
        return self._source.wait_ready(timeout)

    def source_problem(self) -> str | None:
        """Why no event can reach this ingest now (its source's word), or None."""
        return self._source.problem()

    def stop(self, timeout: float = 15.0) -> None:
        """Store and acknowledge what was received, then disconnect. While InfluxDB is down, give up after
        ``timeout``: what was not stored stays unacknowledged at the broker."""
        self._supervisor.stopping()
        self._stop.set()
        deadline = time.monotonic() + timeout
        self._collector.join(timeout / 2)
        # After a failure nothing may finish any more (a dead thread): no use waiting for it.
        while self._pending and time.monotonic() < deadline and self._supervisor.healthy:
            time.sleep(0.05)
        self._workers_stopped.set()
        self._workers.stop(timeout / 2)
        self._collector.join(1)
        self._refresher.join(1)
        self._stored.put(None)
        self._notifier.join(5)
        self._source.stop()

    def _on_message(self, message: InboundMessage) -> None:
        # The source's network thread: only hand over, never block here.
        self._inbox.put(message)

    # -- collector thread --------------------------------------------------------------------------------
    def _collect_loop(self) -> None:
        """Not guarded: an unexpected error here would leave taken messages that are never acknowledged, so
        it ends the thread, and with it the hub (hub/supervision.py); the broker redelivers."""
        while not (self._stop.is_set() and not self._inbox):
            batch = self._collect()
            if not batch:
                continue
            received = time.time()
            pending = _Pending(batch)
            # Retained events and empty payloads are rare: one cheap test per message, the rest only for them.
            raws: list[RawMessage] = [(m.topic, m.payload) for m in batch if m.payload and not m.retain]
            if len(raws) < len(batch):
                pending.sent = [i for i, m in enumerate(batch) if not self._held_back(m)]
                raws = [(batch[i].topic, batch[i].payload) for i in pending.sent]
            with self._pending_lock:
                batch_id = self._next_id
                self._next_id += 1
                self._pending[batch_id] = pending
            if not self._workers.submit(batch_id, raws, received):
                return  # stopping while every worker is stuck on InfluxDB: leave it to the broker

    def _held_back(self, message: InboundMessage) -> bool:
        """Retained events (dead-lettered when the batch finishes) and the echo of our own clearing of one
        (acknowledged, nothing else) do not go to the workers."""
        if message.retain:
            return True
        if not message.payload and message.topic in self._clearing:
            self._clearing.discard(message.topic)
            logger.info("retained event on %s cleared at the broker", message.topic)
            return True
        return False

    def _collect(self) -> list[InboundMessage]:
        batch = self._inbox.take(self._settings.batch_max_events, self._settings.batch_max_delay_s, idle_s=0.1)
        self._metrics.queue_depth.set(len(self._inbox))
        return batch

    # -- results, from the workers' threads ------------------------------------------------------------------
    def _on_result(self, batch_id: int, result: BatchResult) -> None:
        needs_refresh = self._settings.rollups and result.completed and bool(result.touched)
        with self._pending_lock:
            pending = self._pending[batch_id]
            pending.result = result
            pending.refreshed = not needs_refresh
            self._advance()
        if needs_refresh:
            self._to_refresh.put(batch_id)

    def _advance(self) -> None:
        """Finish batches strictly in order, so acknowledgements leave in receive order. Holds the lock."""
        while self._pending:
            head_id, head = next(iter(self._pending.items()))
            if head.result is None or not head.refreshed:
                break
            del self._pending[head_id]
            self._finish(head, head.result)

    # -- rollups: one refresher for all workers ------------------------------------------------------------
    def _refresh_loop(self) -> None:
        """Recompute the rollup buckets of stored batches before they are acknowledged (docs/storage.md).

        Group commit: every batch written while a refresh ran is refreshed by the next one, so at high rates
        one refresh serves several batches. One refresher also means two refreshes of a bucket never overlap
        (an overlap could let the older read land last and drop the other's events from the rollup). A hub
        killed between writing and refreshing never acknowledged the batch: the broker redelivers it."""
        while not self._workers_stopped.is_set():
            try:
                batch_ids = [self._to_refresh.get(timeout=0.1)]
            except queue.Empty:
                continue
            while True:
                try:
                    batch_ids.append(self._to_refresh.get_nowait())
                except queue.Empty:
                    break
            with self._pending_lock:
                touched = {t for b in batch_ids if (r := self._pending[b].result) is not None for t in r.touched}
            # The events are stored; a refresh that fails in a way nobody foresaw costs rollups (rebuilt with
            # hub.storage.rollups.rebuild), never the acknowledgement: counted, logged, and on to the next.
            with Guard(self._supervisor, "ingest-rollups", f"the rollup refresh of {len(touched)} buckets"):
                if not self._refresh_with_retry(sorted(touched)):
                    return
            with self._pending_lock:
                for batch_id in batch_ids:
                    self._pending[batch_id].refreshed = True
                self._advance()

    def _refresh_with_retry(self, touched: list[tuple[str, str, datetime]]) -> bool:
        """Retry what InfluxDB may take later; a bucket it refuses is counted and logged, and given up."""
        backoff = Backoff(self._settings.retry_initial_s, self._settings.retry_max_s, self._workers_stopped.wait)
        while True:
            try:
                refused = refresh_isolating(self._store, touched)
            except InfluxError as exc:
                self._metrics.influx_errors.inc()
                logger.warning("rollup refresh failed (%s); retrying in %.1f s", exc, backoff.delay)
                if not backoff.pause():
                    logger.error("stopping while InfluxDB is down: refreshed batches stay unacknowledged")
                    return False
            else:
                for bucket in refused:
                    self._metrics.rollup_refused.labels(bucket.layer).inc()
                    logger.error(
                        "rollup %s bucket of %s/%s at %s not recomputed (the events are stored): %s",
                        bucket.layer,
                        bucket.site,
                        bucket.station,
                        bucket.moment.isoformat(),
                        bucket.error,
                    )
                return True

    def _finish(self, pending: _Pending, result: BatchResult) -> None:
        """Dead letters, acknowledgements and metrics of a batch; the live views later, on their own thread.
        Runs under ``_pending_lock``, on a results or the refresher thread: nothing here may block."""
        messages = pending.messages
        if pending.sent is not None:
            self._held_back_letters(pending, result)
        for refused in result.refused:
            message = messages[refused.position]
            self._dead_letters.add(message.topic, message.payload, refused.reason, refused.detail)
            self._metrics.messages_rejected.labels(refused.reason.value).inc()
        self._metrics.influx_errors.inc(result.influx_errors)
        if result.unexpected_errors:
            self._supervisor.unexpected("ingest-worker")
        if not result.completed or self._halted:
            if not self._halted:
                logger.error("stopping while InfluxDB is down: %d events stay unacknowledged", len(result.stored))
            self._halted = True
            return
        self._source.ack_in_order([message.mid for message in messages if message.qos > 0])
        if result.stored:
            self._metrics.events_stored.inc(len(result.stored))
            self._metrics.batch_size.observe(len(result.stored))
            self._metrics.batch_seconds.observe(result.write_seconds)
            self._metrics.batch_latency.observe(time.monotonic() - pending.submitted)
            if result.newest is not None:
                self._metrics.ingest_lag.set((datetime.now(UTC) - result.newest).total_seconds())
            if self.listeners:
                if self._stored.qsize() < MAX_UNHEARD_BATCHES:
                    self._stored.put(StoredBatch(messages, result.stored))
                else:
                    self._supervisor.unexpected("ingest-listeners")
                    logger.error("listeners are %d batches behind: the live views miss one", MAX_UNHEARD_BATCHES)

    def _held_back_letters(self, pending: _Pending, result: BatchResult) -> None:
        """Positions back to the batch's own, and refusals for the retained events that never went to a worker."""
        sent = pending.sent
        assert sent is not None
        result.stored = [s._replace(position=sent[s.position]) for s in result.stored]
        result.refused = [r._replace(position=sent[r.position]) for r in result.refused]
        went = set(sent)
        for position, message in enumerate(pending.messages):
            if position in went or not message.retain:
                continue
            result.refused.append(
                Refused(position, RejectReason.RETAINED_EVENT, "an event kept by the broker as retained")
            )
            self._clear_retained(message.topic)

    def _clear_retained(self, topic: str) -> None:
        """Publish an empty retained message: the broker forgets the retained event, so it is not replayed to the
        hub at every subscribe. The broker sends the empty message on to us once; ``_held_back`` takes it."""
        self._clearing.add(topic)
        if not self._source.clear_retained(topic):
            self._clearing.discard(topic)
            logger.warning("could not clear the retained event on %s at the broker", topic)

    # -- listeners: their own thread ------------------------------------------------------------------------
    def _notify_loop(self) -> None:
        while (batch := self._stored.get()) is not None:
            for listener in self.listeners:
                # One raising listener is logged and counted; the others and the acknowledgements go on.
                with Guard(
                    self._supervisor, "ingest-listeners", f"listener {getattr(listener, '__qualname__', listener)}"
                ):
                    listener(batch)


# Stored batches waiting for the listeners, at most: beyond it a batch is skipped for the live views (they
# re-read InfluxDB every resync_interval_s), so a stuck listener cannot grow memory.
MAX_UNHEARD_BATCHES = 1000
