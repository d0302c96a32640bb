"""The wire events a station makes: a sorted item, and the undo that takes one back.

Both are built inside the journal's transaction (``Journal.append`` hands over the next sequence number), stamped
with the station's clock in UTC and its boot id. A field the contract refuses raises pydantic's ValidationError.
"""

from __future__ import annotations

import uuid

from uuid6 import uuid7

from config.station import Identity
from core.contract import EventType, SortingEvent, Suggestion
from edge.stations.clock import now_utc_ms


def sorted_event(
    ident: Identity,
    boot_id: uuid.UUID,
    seq: int,
    category: str,
    weight_kg: float,
    suggestion: Suggestion | None,
) -> SortingEvent:
    """An item sorted into ``category``. It was *accepted* when the sorter chose the suggested label (confirm key
    or the suggestion's own category key); with no suggestion, or one not shown (a blind check), there was
    nothing to accept (None)."""
    return SortingEvent(
        type=EventType.SORTED,
        event_id=uuid7(),
        site=ident.site,
        station=ident.id,
        stream=ident.stream,
        category=category,
        weight_kg=weight_kg,
        suggestion=suggestion,
        accepted=None if suggestion is None or not suggestion.shown else suggestion.label == category,
        seq=seq,
        boot_id=boot_id,
        station_time=now_utc_ms(),
        undoes=None,
    )


def undo_event(original: SortingEvent, boot_id: uuid.UUID, seq: int) -> SortingEvent:
    """Takes ``original`` back: its category, weight and suggestion, so the hub can subtract it exactly."""
    return SortingEvent.model_validate(
        original.model_dump()
        | {
            "type": EventType.UNDO,
            "event_id": uuid7(),
            "seq": seq,
            "boot_id": boot_id,
            "station_time": now_utc_ms(),
            "undoes": original.event_id,
        }
    )
