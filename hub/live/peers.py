"""Several hub instances, one picture: each tells the others what it stored (core/contract/stored_notices.py).

Used when the hubs share a JetStream consumer (``ingest.source = "jetstream"``). After a batch is stored, its
events go out as notices over the hub's live MQTT connection (QoS 1); a notice from another hub is turned back
into a :class:`~hub.ingest.ingest.StoredBatch` and handed to the same listeners as the hub's own batches (the
live stations and the activity totals), which count an event once even when it comes again.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from core.contract import ContractError, TopicKind, decode_event, topic
from core.contract.stored_notices import (
    MAX_NOTICE_BYTES,
    MAX_NOTICE_EVENTS,
    STORED_TOPIC,
    NoticeStation,
    StoredNotice,
)
from core.transport.protocol import InboundMessage, MqttLike
from hub.ingest.batch import Stored
from hub.ingest.ingest import StoredBatch, StoredListener

logger = logging.getLogger(__name__)


class PeerHubs:
    def __init__(self, hub_id: str, mqtt: MqttLike, listeners: list[StoredListener]) -> None:
        self._hub_id = hub_id
        self._mqtt = mqtt
        self._listeners = listeners
        self.refused = 0  # notices that could not be read (logged)

    def attach(self) -> None:
        self._mqtt.subscribe(STORED_TOPIC, self._on_message, qos=1)

    # -- out: after this hub stored a batch (the ingest's listener thread) ------------------------------------
    def on_batch_stored(self, batch: StoredBatch) -> None:
        stored = batch.stored
        for start in range(0, len(stored), MAX_NOTICE_EVENTS):
            part = StoredBatch(batch.messages, stored[start : start + MAX_NOTICE_EVENTS])
            if self._mqtt.publish(STORED_TOPIC, notice_of(self._hub_id, part), qos=1) is None:
                logger.warning("could not tell the other hubs of %d stored events (MQTT queue full)", len(part.stored))

    # -- in: another hub's notice (the live connection's network thread) ---------------------------------------
    def _on_message(self, message: InboundMessage) -> None:
        try:
            batch = batch_of(message.payload, self._hub_id)
        except (ValidationError, ContractError, ValueError) as exc:
            self.refused += 1
            logger.warning("refused a stored notice from another hub (%d bytes): %s", len(message.payload), exc)
            return
        if batch is None:
            return
        for listener in self._listeners:
            try:
                listener(batch)
            except Exception:  # one broken listener must not keep the others from the notice
                logger.exception("listener failed on another hub's stored notice")


def notice_of(hub_id: str, batch: StoredBatch) -> bytes:
    """The notice of a stored batch (at most MAX_NOTICE_EVENTS events)."""
    latest = batch.latest_per_station()
    index = {(event.site, event.station): i for i, event in enumerate(latest)}
    stations = [NoticeStation(site=e.site, station=e.station, latest=e.to_json().decode()) for e in latest]
    rows = [
        (index[(s.site, s.station)], s.seq, s.stream, s.category, s.grams, s.items, s.station_ms) for s in batch.stored
    ]
    return StoredNotice(hub=hub_id, stations=stations, events=rows).model_dump_json().encode()


def batch_of(payload: bytes, own_hub: str) -> StoredBatch | None:
    """The StoredBatch another hub's notice describes; None for this hub's own. Raises on a notice that breaks
    the contract: too large, malformed, or a last event that is not its station's valid event."""
    if len(payload) > MAX_NOTICE_BYTES:
        raise ValueError(f"larger than {MAX_NOTICE_BYTES} bytes")
    notice = StoredNotice.model_validate_json(payload)
    if notice.hub == own_hub:
        return None
    messages = []
    for entry in notice.stations:
        where = topic(entry.site, entry.station, TopicKind.EVENT)
        data = entry.latest.encode()
        decode_event(where, data)  # the contract's own checks, topic against payload included
        messages.append(InboundMessage(where, data, 0, 1, False))
    stored = []
    for position, (station, seq, stream, category, grams, items, station_ms) in enumerate(notice.events):
        if station >= len(notice.stations):
            raise ValueError(f"event {position} names station {station} of {len(notice.stations)}")
        entry = notice.stations[station]
        stored.append(Stored(station, entry.site, entry.station, seq, stream, category, grams, items, station_ms))
    return StoredBatch(messages, stored)
