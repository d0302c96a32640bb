"""Ingest: MQTT event messages -> validate -> batch -> InfluxDB ``/write`` -> MQTT acknowledgement.

A message is acknowledged (PUBACK) only after the batch that holds it was stored, so a hub killed mid-batch
loses nothing: the broker redelivers what was never acknowledged, and redelivered events overwrite their
own points (hub/storage/points.py). Acks go out in the order the messages came in (MQTT 3.1.1 §4.6),
rejected messages included, which is why they travel through the same queue as good ones.

Memory stays bounded without a bounded queue: the broker sends at most its ``max_inflight_messages``
unacknowledged QoS 1 messages to one client, and we hold on to exactly those.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.storage.influx_v1 import InfluxError, InfluxV1
from hub.storage.points import event_line
from hub.storage.rollups import refresh as refresh_rollups
from sortcentre.mqtt import InboundMessage, MqttClient
from sortcentre.wire import (
    ContractError,
    RejectReason,
    SortingEvent,
    TopicKind,
    decode_event,
    shared_subscription,
    subscription,
)

logger = logging.getLogger(__name__)


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_max_events: int = Field(5000, ge=1, le=100_000, description="write a batch when it holds this many")
    batch_max_delay_s: float = Field(0.2, gt=0, le=10, description="...or when its oldest event waited this long")
    retry_initial_s: float = Field(0.2, gt=0, description="first backoff after a failed write")
    retry_max_s: float = Field(10.0, gt=0, description="longest backoff between write attempts")
    rollups: bool = Field(True, description="keep the minute/hour/day rollups (docs/storage.md) up to date")
    share_group: str | None = Field(
        None,
        description="shared-subscription group, to split the load over several ingest workers (none: one worker)",
    )


@dataclass(frozen=True, slots=True)
class Received:
    message: InboundMessage
    event: SortingEvent | None  # None: rejected; the message is still acknowledged in order


EventListener = Callable[[list[SortingEvent]], None]


class Ingest:
    def __init__(
        self,
        mqtt: MqttClient,
        store: InfluxV1,
        settings: IngestSettings,
        metrics: IngestMetrics,
        dead_letters: DeadLetters,
    ) -> None:
        self._mqtt = mqtt
        self._store = store
        self._settings = settings
        self._metrics = metrics
        self._dead_letters = dead_letters
        self._queue: queue.Queue[InboundMessage] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self.listeners: list[EventListener] = []

    def start(self) -> None:
        self._thread.start()
        group = self._settings.share_group
        # A plain subscription in a persistent session survives a Mosquitto restart; a shared one does not
        # (Mosquitto 2.0 restores no shared subscription from its persistence file, so events published
        # between the restart and the workers' reconnect would be dropped). See docs/broker.md.
        filter_ = shared_subscription(group, TopicKind.EVENT) if group else subscription(TopicKind.EVENT)
        self._mqtt.subscribe(filter_, self._on_message)
        self._mqtt.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Store and acknowledge what was received, then disconnect."""
        self._stop.set()
        self._thread.join(timeout)
        self._mqtt.stop()

    def _on_message(self, message: InboundMessage) -> None:
        # paho's network thread: only hand over, never block here.
        self._queue.put(message)

    # -- writer thread ---------------------------------------------------------------------------------
    def _run(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            batch = self._collect()
            if batch:
                self._store_and_ack(batch)

    def _collect(self) -> list[Received]:
        batch: list[Received] = []
        try:
            first = self._queue.get(timeout=0.1)
        except queue.Empty:
            return batch
        batch.append(self._validate(first))
        deadline = time.monotonic() + self._settings.batch_max_delay_s
        while len(batch) < self._settings.batch_max_events:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            batch.append(self._validate(message))
        self._metrics.queue_depth.set(self._queue.qsize())
        return batch

    def _validate(self, message: InboundMessage) -> Received:
        try:
            return Received(message, decode_event(message.topic, message.payload))
        except ContractError as exc:
            self._dead_letters.add(message.topic, message.payload, exc.reason, exc.detail)
            self._metrics.messages_rejected.labels(exc.reason.value).inc()
            return Received(message, None)

    def _store_and_ack(self, batch: list[Received]) -> None:
        events = [r.event for r in batch if r.event is not None]
        if events and not self._write_with_retry(batch):
            logger.error("stopping while InfluxDB is down: %d events stay unacknowledged at the broker", len(events))
            return
        for received in batch:
            if received.message.qos > 0:
                self._mqtt.ack(received.message.mid, received.message.qos)
        if events:
            self._metrics.events_stored.inc(len(events))
            self._metrics.batch_size.observe(len(events))
            for listener in self.listeners:
                listener(events)

    def _write_with_retry(self, batch: list[Received]) -> bool:
        """Store the batch and refresh the rollup buckets it touched; retry with jittered exponential backoff
        until both succeeded. False only when asked to stop first.

        While we wait nothing is acknowledged, so the broker stops sending once its in-flight window is
        full: that is the backpressure, and the hub's memory stays bounded by that window. The rollups are
        refreshed before the acknowledgement too, so a hub killed in between leaves no stale bucket: the
        broker redelivers and the refresh runs again."""
        lines = [event_line(r.event) for r in batch if r.event is not None]
        moments = [r.event.station_time for r in batch if r.event is not None]
        delay = self._settings.retry_initial_s
        written = False
        while True:
            started = time.perf_counter()
            try:
                if not written:
                    self._store.write(lines)
                    written = True
                    self._metrics.batch_seconds.observe(time.perf_counter() - started)
                if self._settings.rollups:
                    refresh_rollups(self._store, moments)
                return True
            except InfluxError as exc:
                self._metrics.influx_errors.inc()
                if not written and not exc.retryable:
                    # A 400 for the whole batch: InfluxDB will never take some point (a field type conflict,
                    # say). Write one by one so that one bad point cannot hold the others back.
                    self._write_one_by_one(batch)
                    written = True
                    continue
                logger.warning(
                    "InfluxDB %s failed (%s); retrying in %.1f s",
                    "rollup refresh" if written else f"write of {len(lines)} points",
                    exc,
                    delay,
                )
                if self._stop.wait(delay * random.uniform(0.5, 1.0)):
                    return False
                delay = min(delay * 2, self._settings.retry_max_s)

    def _write_one_by_one(self, batch: list[Received]) -> None:
        for received in batch:
            if received.event is None:
                continue
            try:
                self._store.write([event_line(received.event)])
            except InfluxError as exc:
                message = received.message
                self._dead_letters.add(message.topic, message.payload, RejectReason.STORE_REFUSED, str(exc))
                self._metrics.messages_rejected.labels(RejectReason.STORE_REFUSED.value).inc()
