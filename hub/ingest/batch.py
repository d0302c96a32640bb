"""One batch of event messages: validate and store in InfluxDB; say which rollup buckets it touched.

This is the CPU-heavy half of ingest (JSON validation and line protocol cost ~50 µs an event), so it runs
in worker processes (hub/ingest/workers.py), apart from the process that holds the MQTT session. It knows
nothing of MQTT: it takes (topic, payload) pairs and says, by index, which were stored and which refused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from hub.ingest.backoff import Backoff
from hub.storage.influx_v1 import InfluxError, InfluxV1
from hub.storage.points import event_line, grams
from sortcentre.wire import ContractError, EventType, RejectReason, SortingEvent, decode_event

logger = logging.getLogger(__name__)

RawMessage = tuple[str, bytes]  # topic, payload


# NamedTuples, not dataclasses: thousands of these travel back from a worker per batch, and a slotted
# dataclass pickles through dataclasses.fields() once per object (measured: 4% of the hub's receive thread).
class Stored(NamedTuple):
    """A stored event as the hub process needs it (the live views), so that it never parses the JSON again."""

    position: int  # in the batch
    site: str
    station: str
    seq: int
    stream: str
    category: str
    grams: int  # negative for an undo, as stored
    items: int  # 1, or -1 for an undo
    station_ms: int  # station time, ms since the epoch

    @classmethod
    def of(cls, position: int, event: SortingEvent) -> Stored:
        sign = -1 if event.type is EventType.UNDO else 1
        station_ms = round(event.station_time.timestamp() * 1000)  # millisecond precision: exact after rounding
        return cls(
            position,
            event.site,
            event.station,
            event.seq,
            event.stream,
            event.category,
            sign * grams(event.weight_kg),
            sign,
            station_ms,
        )


class Refused(NamedTuple):
    position: int
    reason: RejectReason
    detail: str


@dataclass(slots=True)
class BatchResult:
    """Small and picklable: it travels back from a worker process."""

    completed: bool = True  # False: asked to stop while InfluxDB was failing; nothing may be acknowledged
    stored: list[Stored] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    write_seconds: float = 0.0
    influx_errors: int = 0
    newest: datetime | None = None  # the latest station time among the stored events
    # (site, station, minute) of the stored events: the rollup buckets this batch changed
    touched: list[tuple[str, str, datetime]] = field(default_factory=list)


class BatchWriter:
    def __init__(
        self,
        store: InfluxV1,
        *,
        retry_initial_s: float,
        retry_max_s: float,
        stop_wait: Callable[[float], bool],
    ) -> None:
        """``stop_wait(seconds)`` sleeps and returns True when the hub is stopping (a threading or
        multiprocessing Event's ``wait``)."""
        self._store = store
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._stop_wait = stop_wait

    def process(self, messages: list[RawMessage]) -> BatchResult:
        result = BatchResult()
        lines: list[str] = []
        newest: datetime | None = None
        touched: set[tuple[str, str, int]] = set()
        for index, (topic, payload) in enumerate(messages):
            try:
                event = decode_event(topic, payload)
            except ContractError as exc:
                result.refused.append(Refused(index, exc.reason, exc.detail))
                continue
            lines.append(event_line(event))
            moment = event.station_time
            if newest is None or moment > newest:
                newest = moment
            # Whole seconds are exact in a float timestamp, so this floors to the minute without rounding.
            touched.add((event.site, event.station, int(moment.timestamp()) // 60))
            result.stored.append(Stored.of(index, event))
        result.newest = newest
        result.touched = [(site, station, _minute(m)) for site, station, m in sorted(touched)]
        if lines:
            result.completed = self._write_with_retry(lines, result)
        return result

    def _write_with_retry(self, lines: list[str], result: BatchResult) -> bool:
        """Store the lines; retry with jittered exponential backoff until it succeeded. False only when asked
        to stop first.

        While this waits, nothing is acknowledged, so the broker stops sending once its in-flight window is
        full: that is the backpressure, and memory stays bounded by that window."""
        backoff = Backoff(self._retry_initial_s, self._retry_max_s, self._stop_wait)
        while True:
            started = time.perf_counter()
            try:
                self._store.write(lines)
            except InfluxError as exc:
                result.influx_errors += 1
                if not exc.retryable:
                    # A 400 for the whole batch: InfluxDB will never take some point (a field type conflict,
                    # say). Write one by one so that one bad point cannot hold the others back.
                    self._write_one_by_one(lines, result)
                    return True
                logger.warning(
                    "InfluxDB write of %d points failed (%s); retrying in %.1f s", len(lines), exc, backoff.delay
                )
                if not backoff.pause():
                    return False
            else:
                result.write_seconds = time.perf_counter() - started
                return True

    def _write_one_by_one(self, lines: list[str], result: BatchResult) -> None:
        kept: list[Stored] = []
        for stored, point in zip(result.stored, lines, strict=True):
            try:
                self._store.write([point])
            except InfluxError as exc:
                result.refused.append(Refused(stored.position, RejectReason.STORE_REFUSED, str(exc)))
            else:
                kept.append(stored)
        result.stored = kept


def _minute(minutes_since_epoch: int) -> datetime:
    return datetime.fromtimestamp(minutes_since_epoch * 60, UTC)
