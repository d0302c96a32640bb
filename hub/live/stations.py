"""What the hub knows right now about each station, from retained status, heartbeats and events."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from config.dashboard import ClockCheck
from core.contract import (
    ContractError,
    Heartbeat,
    RejectReason,
    SortingEvent,
    StationStatus,
    TopicKind,
    decode,
    subscription,
)
from core.transport.protocol import InboundMessage, MqttLike
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.ingest import StoredBatch
from hub.ingest.metrics import IngestMetrics
from hub.live.clock_check import ClockSamples, ClockVerdict, judge
from hub.live.sequence import SequenceTracker
from hub.supervision import Supervisor

if TYPE_CHECKING:
    from hub.fleet.registry import StationRegistry

logger = logging.getLogger(__name__)

StationKey = tuple[str, str]  # (site, station)
# Told which stations changed (status, heartbeat or stored events); runs in the MQTT or ingest thread, so it
# must only hand over (hub/live/broadcast.py).
ChangeListener = Callable[[frozenset[StationKey]], None]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass
class StationRecord:
    """What the hub knows of one station, updated in place: read and written only under ``LiveStations``' lock."""

    site: str
    station: str
    state: str = "unknown"
    state_since: datetime | None = None
    heartbeat: Heartbeat | None = None
    heartbeat_received: datetime | None = None
    last_event: SortingEvent | None = None
    events_stored: int = 0
    sequence: SequenceTracker = field(default_factory=SequenceTracker)
    # Receive time minus station time of the last heartbeats (hub/live/clock_check.py), judged by ``clock_check``.
    clock_check: ClockCheck = field(default_factory=ClockCheck)
    clock: ClockSamples = field(init=False)
    unregistered: bool = False  # heard of, but not a station in service in the registry (hub/fleet/registry.py)

    def __post_init__(self) -> None:
        self.clock = ClockSamples(self.clock_check.heartbeats)

    @property
    def clock_offset_s(self) -> float | None:
        return self.clock.offset_s

    def as_dict(self) -> dict[str, object]:
        hb = self.heartbeat
        return {
            "site": self.site,
            "station": self.station,
            "state": self.state,
            "state_since": self.state_since.isoformat() if self.state_since else None,
            "heartbeat_received": self.heartbeat_received.isoformat() if self.heartbeat_received else None,
            "health": hb.model_dump(mode="json", exclude={"schema_version", "site", "station"}) if hb else None,
            "last_event": self.last_event.model_dump(mode="json") if self.last_event else None,
            "events_stored_since_hub_start": self.events_stored,
            "delivery": self.sequence.as_dict(),
            "clock_offset_s": None if self.clock_offset_s is None else round(self.clock_offset_s, 3),
            "clock_drift_s_per_h": _rounded(self.clock.drift_s_per_h),
            "clock_suspect": self.clock_suspect,
            "clock_unsynced": self.clock_unsynced,
            "unregistered": self.unregistered,
        }

    @property
    def clock_suspect(self) -> bool:
        """The station's clock is further off than ``clock_check.offset_alert_s``: a warning."""
        return self._verdict().skewed

    @property
    def clock_unsynced(self) -> bool:
        """NTP has not synchronised the station's clock and it is measurably off, not yet by much: a notice."""
        return self._verdict().unsynced

    def _verdict(self) -> ClockVerdict:
        synced = None if self.heartbeat is None else self.heartbeat.clock_synced
        return judge(self.clock.offset_s, synced, self.clock_check)

    def frozen(self) -> LiveStation:
        return LiveStation(
            site=self.site,
            station=self.station,
            state=self.state,
            state_since=self.state_since,
            heartbeat=self.heartbeat,
            heartbeat_received=self.heartbeat_received,
            last_event=self.last_event,
            missing_events=self.sequence.missing,
            highest_seq=self.sequence.highest,
            clock_offset_s=self.clock_offset_s,
            clock_drift_s_per_h=self.clock.drift_s_per_h,
            clock_suspect=self.clock_suspect,
            clock_unsynced=self.clock_unsynced,
            unregistered=self.unregistered,
        )


@dataclass(frozen=True, slots=True)
class LiveStation:
    """One station as the live view knows it at one moment: a frozen copy of its record, safe to read outside
    the lock (the payload models are frozen too)."""

    site: str
    station: str
    state: str = "unknown"
    state_since: datetime | None = None
    heartbeat: Heartbeat | None = None
    heartbeat_received: datetime | None = None
    last_event: SortingEvent | None = None
    missing_events: int = 0
    highest_seq: int = 0
    clock_offset_s: float | None = None
    clock_drift_s_per_h: float | None = None
    clock_suspect: bool = False  # further off than the clock check's offset_alert_s: a warning
    clock_unsynced: bool = False  # NTP not synchronised, and off by more than unsynced_notice_s: a notice
    unregistered: bool = False

    @property
    def key(self) -> StationKey:
        return (self.site, self.station)


@dataclass
class LiveStations:
    """Fed by a plain (auto-ack) MQTT client for status/heartbeat and by the ingest for stored events."""

    dead_letters: DeadLetters
    metrics: IngestMetrics | None = None
    supervisor: Supervisor | None = None
    # Stations tracked at most: a station account that invents stations or sites must not grow memory and
    # dashboard tiles without bound. Status and heartbeats of further stations are refused; stored events
    # of further stations are still stored, only not shown live.
    max_stations: int = 1000
    registry: StationRegistry | None = None  # told of every status and heartbeat; None: no flag "unregistered"
    clock_check: ClockCheck = field(default_factory=ClockCheck)  # how a station's clock is judged
    _records: dict[tuple[str, str], StationRecord] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    listeners: list[ChangeListener] = field(default_factory=list)

    def attach(self, mqtt: MqttLike) -> None:
        mqtt.subscribe(subscription(TopicKind.STATUS), self._on_message, qos=1)
        mqtt.subscribe(subscription(TopicKind.HEARTBEAT), self._on_message, qos=0)

    def _record(self, site: str, station: str) -> StationRecord | None:
        """The station's record, made on first sight; None when ``max_stations`` are tracked already."""
        key = (site, station)
        view = self._records.get(key)
        if view is None:
            if len(self._records) >= self.max_stations:
                return None
            view = self._records[key] = StationRecord(site, station, clock_check=self.clock_check)
        return view

    def _refuse(self, message: InboundMessage, reason: RejectReason, detail: str) -> None:
        self.dead_letters.add(message.topic, message.payload, reason, detail)
        if self.metrics is not None:
            self.metrics.messages_rejected.labels(reason.value).inc()

    def _on_message(self, message: InboundMessage) -> None:
        """paho's network thread of the live client: an exception here would end it (and the live view with
        it), so nothing may escape. A message that makes this fail is dead-lettered and counted."""
        try:
            self._handle(message)
        except Exception as exc:
            logger.exception("live view failed on a message on %s; refused", message.topic)
            if self.supervisor is not None:
                self.supervisor.unexpected("live-status")
            try:
                self._refuse(message, RejectReason.INVALID_FIELDS, f"the hub failed on it: {type(exc).__name__}")
            except Exception:  # not even the dead letter: logged above, and the thread goes on
                logger.exception("could not dead-letter a message on %s", message.topic)

    def _handle(self, message: InboundMessage) -> None:
        try:
            ref, payload = decode(message.topic, message.payload)
        except ContractError as exc:
            self._refuse(message, exc.reason, exc.detail)
            return
        with self._lock:
            view = self._record(ref.site, ref.station)
        if view is None:
            self._refuse(
                message,
                RejectReason.INVALID_FIELDS,
                f"too many stations: the live view tracks {self.max_stations} (dashboard.max_stations)",
            )
            return
        with self._lock:
            if isinstance(payload, StationStatus):
                view.state, view.state_since = payload.state.value, payload.since
                logger.info("station %s/%s is %s", ref.site, ref.station, payload.state.value)
            elif isinstance(payload, Heartbeat):
                received = datetime.now(UTC)
                view.heartbeat, view.heartbeat_received = payload, received
                view.clock.add(received, payload.station_time)
                offset = view.clock.offset_s
                if self.metrics is not None and offset is not None:
                    self.metrics.clock_offset.labels(ref.station).set(offset)
        if isinstance(payload, StationStatus | Heartbeat):
            unregistered = self._unregistered(ref.site, ref.station, payload)
            if unregistered is not None:
                with self._lock:
                    view.unregistered = unregistered
        self._notify(frozenset({(ref.site, ref.station)}))

    def _unregistered(self, site: str, station: str, payload: StationStatus | Heartbeat) -> bool | None:
        """Tell the registry the station was seen; whether the dashboard flags it as unregistered, None when
        there is no registry or it failed (a registry that cannot write must not stop the live view)."""
        registry = self.registry
        if registry is None:
            return None
        heartbeat = payload if isinstance(payload, Heartbeat) else None
        try:
            record = registry.seen(
                site,
                station,
                software_version=payload.software_version,
                model_version=None if heartbeat is None else heartbeat.model_version,
                config_version=None if heartbeat is None else heartbeat.config_version,
                at=datetime.now(UTC),
            )
            return registry.flagged(record)
        except (sqlite3.Error, OSError) as exc:
            logger.warning("station registry could not record %s/%s: %s", site, station, exc)
            return None

    def on_batch_stored(self, batch: StoredBatch) -> None:
        latest = batch.latest_per_station()  # decoded outside the lock: the API reads meanwhile
        with self._lock:
            touched: dict[tuple[str, str], StationRecord] = {}
            for stored in batch.stored:
                view = touched.get((stored.site, stored.station)) or self._record(stored.site, stored.station)
                if view is None:
                    continue  # beyond max_stations: stored, not shown live
                touched[(stored.site, stored.station)] = view
                view.events_stored += 1
                view.sequence.observe(stored.seq)
            for event in latest:
                view = self._record(event.site, event.station)
                if view is None:
                    continue
                if view.last_event is None or event.seq >= view.last_event.seq:
                    view.last_event = event
            if self.metrics is not None:
                for view in touched.values():
                    self.metrics.missing_events.labels(view.station).set(view.sequence.missing)
                    self.metrics.duplicate_events.labels(view.station).set(view.sequence.duplicates)
        self._notify(frozenset(touched))

    def _notify(self, keys: frozenset[StationKey]) -> None:
        """Outside the lock: a listener may read the views back."""
        if not keys:
            return
        for listener in self.listeners:
            try:
                listener(keys)
            except Exception:  # a broken listener must not stop the ingest or the MQTT thread
                logger.exception("station change listener failed")

    def stations(self, sites: Collection[str] | None = None) -> list[LiveStation]:
        """Frozen copies of the stations of ``sites`` (None: every site), sorted by site and station."""
        with self._lock:
            found = [v.frozen() for v in self._records.values() if sites is None or v.site in sites]
        return sorted(found, key=lambda v: v.key)

    def as_dicts(self, site: str | None = None) -> list[dict[str, object]]:
        """The stations of ``site`` (None: every site) as JSON-ready dicts (``GET /api/v1/stations``)."""
        with self._lock:
            views = sorted(self._records.values(), key=lambda v: (v.site, v.station))
            return [v.as_dict() for v in views if site is None or v.site == site]
