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

from core.contract import (
    ContractError,
    EventType,
    RejectReason,
    SortingEvent,
    StationTimeWindow,
    decode_event,
    grams,
)
from hub.ingest.backoff import Backoff
from hub.storage.influx_v1 import InfluxError, InfluxV1
from hub.storage.points import event_line

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
    writes: int = 0  # /write requests made (more than one when InfluxDB refused a point and the batch was split)
    unexpected_errors: int = 0  # exceptions that were not the contract's (logged with their traceback)
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
        window: StationTimeWindow | None = None,
    ) -> None:
        """``stop_wait(seconds)`` sleeps and returns True when the hub is stopping (a threading or
        multiprocessing Event's ``wait``). ``window``: refuse station times implausibly far from the receive
        time (None: any time the contract takes)."""
        self._store = store
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._stop_wait = stop_wait
        self._window = window

    def process(self, messages: list[RawMessage], received: float | None = None) -> BatchResult:
        """Never raises for what is in a message: a message that makes the hub fail, for whatever reason, is
        refused (and its traceback logged) and the rest of the batch goes on.

        ``received``: when the hub took the batch from its inbox (time.time()), at most ``batch_max_delay_s``
        after each message arrived from the broker; station times must lie within ``window`` around it."""
        moment = datetime.now(UTC) if received is None else datetime.fromtimestamp(received, UTC)
        try:
            return self._process(messages, moment)
        except Exception:
            if len(messages) == 1:
                logger.exception("message on %s made the hub fail; refused", messages[0][0])
                return BatchResult(
                    refused=[Refused(0, RejectReason.INVALID_FIELDS, "the hub failed on it")], unexpected_errors=1
                )
            logger.exception("a batch of %d messages made the hub fail; processing them one by one", len(messages))
        return self._one_by_one(messages, received)

    def _one_by_one(self, messages: list[RawMessage], received: float | None) -> BatchResult:
        """The slow way, only after an unexpected error: each message as its own batch, results merged."""
        merged = BatchResult(unexpected_errors=1)
        for position, message in enumerate(messages):
            one = self.process([message], received)
            merged.completed = merged.completed and one.completed
            merged.stored += [s._replace(position=position) for s in one.stored]
            merged.refused += [r._replace(position=position) for r in one.refused]
            merged.write_seconds += one.write_seconds
            merged.influx_errors += one.influx_errors
            merged.writes += one.writes
            merged.unexpected_errors += one.unexpected_errors
            if one.newest is not None and (merged.newest is None or one.newest > merged.newest):
                merged.newest = one.newest
            merged.touched += one.touched
            if not one.completed:
                break  # stopping: nothing after this may be acknowledged anyway
        merged.touched = sorted(set(merged.touched))
        return merged

    def _process(self, messages: list[RawMessage], received: datetime) -> BatchResult:
        result = BatchResult()
        lines: list[str] = []
        minutes: list[tuple[str, str, int]] = []  # per stored event: its rollup minute
        window = self._window
        for index, (topic, payload) in enumerate(messages):
            try:
                event = decode_event(topic, payload, window=window, received=received)
            except ContractError as exc:
                result.refused.append(Refused(index, exc.reason, exc.detail))
                continue
            lines.append(event_line(event))
            # Whole seconds are exact in a float timestamp, so this floors to the minute without rounding.
            minutes.append((event.site, event.station, int(event.station_time.timestamp()) // 60))
            result.stored.append(Stored.of(index, event))
        if lines:
            kept = self._write(lines, result)
            if kept is None:
                result.completed = False
            elif len(kept) < len(lines):
                result.stored = [result.stored[i] for i in kept]
                minutes = [minutes[i] for i in kept]
        if result.stored:
            newest_ms = max(s.station_ms for s in result.stored)
            result.newest = datetime.fromtimestamp(newest_ms / 1000, UTC)
        result.touched = [(site, station, _minute(m)) for site, station, m in sorted(set(minutes))]
        return result

    def _write(self, lines: list[str], result: BatchResult) -> list[int] | None:
        """Store the lines; return the indexes of those stored (all, unless InfluxDB refused some), or None when
        asked to stop while InfluxDB was failing.

        A retryable failure (network, timeout, 5xx) is retried with jittered exponential backoff. While this
        waits, nothing is acknowledged, so the broker stops sending once its in-flight window is full: that is
        the backpressure, and memory stays bounded by that window.

        A refusal (a 400: InfluxDB will never take some point) splits the batch in halves, and each half again,
        until the refused points are alone: about 2·log2(n) writes per refused point, not n. Those are refused
        (STORE_REFUSED), the rest stored. A point that InfluxDB 1.x took in a "partial write" is written again:
        the same point, overwritten."""
        backoff = Backoff(self._retry_initial_s, self._retry_max_s, self._stop_wait)
        kept: list[int] = []
        parts = [(0, len(lines))]  # [start, end) ranges still to write, first one last
        while parts:
            start, end = parts.pop()
            began = time.perf_counter()
            try:
                result.writes += 1
                self._store.write(lines[start:end])
            except InfluxError as exc:
                result.influx_errors += 1
                if exc.retryable:
                    logger.warning(
                        "InfluxDB write of %d points failed (%s); retrying in %.1f s", end - start, exc, backoff.delay
                    )
                    if not backoff.pause():
                        return None
                    parts.append((start, end))
                elif end - start == 1:
                    stored = result.stored[start]
                    logger.warning(
                        "InfluxDB refused the point of %s/%s seq %d: %s", stored.site, stored.station, stored.seq, exc
                    )
                    result.refused.append(Refused(stored.position, RejectReason.STORE_REFUSED, str(exc)))
                else:
                    middle = (start + end) // 2
                    parts += [(middle, end), (start, middle)]
            else:
                result.write_seconds += time.perf_counter() - began
                kept.extend(range(start, end))
        return kept


def _minute(minutes_since_epoch: int) -> datetime:
    return datetime.fromtimestamp(minutes_since_epoch * 60, UTC)
