"""The point schema of sorting events in InfluxDB (documented in docs/storage.md).

A point's identity in InfluxDB is measurement + tag set + timestamp; a second write of the same identity
overwrites the first. Everything in that identity comes from the event itself, so a redelivered event lands
on the same point instead of adding one:

* tags: site, station, stream, category, type (bounded sets: no event id or sequence number as a tag), and
  for an event with a vision suggestion also model_version and suggested (so agreement can be counted with
  GROUP BY: InfluxQL cannot group by fields). They come from the event too, so identity still holds;
* on a blind check (the suggestion computed but not shown) also ``shown`` = ``false``, and no ``accepted`` field
  (nothing was offered to accept). A shown suggestion has no ``shown`` tag, as before blind checks existed, so
  points written earlier read as shown and an event stored before the upgrade and redelivered after it lands on
  the same point;
* timestamp: the station time in whole milliseconds, times 10^6, plus ``seq mod 10^6`` in the nanosecond
  digits. The sequence number is unique per station, so two events of one station in the same millisecond
  still get two points (unless a station made a million events in one millisecond).

Weights are stored as integer grams (``weight_g``) so sums are exact to the gram; an undo is stored as its
own point with negative ``weight_g`` and ``items`` = -1, so a plain ``sum()`` gives corrected totals.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.contract import EventType, SortingEvent, grams
from hub.storage.line_protocol import FieldValue, line

MEASUREMENT = "sorting_event"
_SEQ_SLOTS = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp_ns(event: SortingEvent) -> int:
    # Integer arithmetic on timedelta: float timestamps would round some milliseconds the wrong way.
    ms = (event.station_time - _EPOCH) // timedelta(milliseconds=1)
    return ms * 1_000_000 + event.seq % _SEQ_SLOTS


# InfluxDB 1.x keeps a backslash in a tag value as it is (``\\`` stays two characters) and reads one before the
# separator as escaping it, so a tag value ending in a backslash cannot be written at all; control characters
# would end the line. Both become "_" in the model_version tag (the wire allows any text there; real versions
# are plain names such as "ppocrv4-markings-1"). Same version, same tag: identity is unchanged.
_TAG_UNSAFE = str.maketrans({c: "_" for c in ["\\", *map(chr, range(32)), chr(127)]})


# Line protocol's escapes for a tag value, as hub/storage/line_protocol.py writes them.
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})


def tag_value(text: str) -> str:
    """Free text made safe as a tag value (before line protocol's escaping of comma, space and equals sign)."""
    return text.translate(_TAG_UNSAFE)


def event_fields(event: SortingEvent) -> tuple[dict[str, str], dict[str, FieldValue]]:
    """Tags and fields of an event's point: the schema in one place (docs/storage.md)."""
    sign = -1 if event.type is EventType.UNDO else 1
    fields: dict[str, FieldValue] = {
        "weight_g": sign * grams(event.weight_kg),
        "items": sign,
        "seq": event.seq,
        "event_id": str(event.event_id),
        "boot_id": str(event.boot_id),
    }
    if event.suggestion is not None:
        fields["confidence"] = event.suggestion.confidence
        if event.suggestion.shown:
            fields["accepted"] = bool(event.accepted)
    if event.undoes is not None:
        fields["undoes"] = str(event.undoes)
    tags = {
        "site": event.site,
        "station": event.station,
        "stream": event.stream,
        "category": event.category,
        "type": event.type.value,
    }
    if event.suggestion is not None:
        tags["model_version"] = tag_value(event.suggestion.model_version)
        tags["suggested"] = event.suggestion.label
        if not event.suggestion.shown:
            tags["shown"] = "false"
    return tags, fields


def event_line_generic(event: SortingEvent) -> str:
    """The point through the general serializer: the reference that ``event_line`` must equal."""
    tags, fields = event_fields(event)
    return line(MEASUREMENT, tags, fields, timestamp_ns(event))


def event_line(event: SortingEvent) -> str:
    """The same line as ``event_line_generic``, about three times faster: this runs once per event.

    Tags and the keys are slugs or fixed names (the wire contract's pattern has no comma, space or equals
    sign), and ids are UUIDs, so only the free-text ``model_version`` tag needs escaping. Keys are written in
    sorted order, as the generic serializer does; tests/unit/hub/storage/test_points.py checks both agree."""
    sign = -1 if event.type is EventType.UNDO else 1
    suggestion = event.suggestion
    shown = ""
    if suggestion is None:
        version = ""
        suggested = ""
        accepted = ""
        confidence = ""
    else:
        version = f",model_version={tag_value(suggestion.model_version).translate(_KEY)}"
        suggested = f",suggested={suggestion.label}"
        confidence = f"confidence={suggestion.confidence!r},"
        if suggestion.shown:
            accepted = f"accepted={'true' if event.accepted else 'false'},"
        else:
            accepted = ""
            shown = ",shown=false"
    undoes = "" if event.undoes is None else f',undoes="{event.undoes}"'
    return (
        f"{MEASUREMENT},category={event.category}{version}{shown},site={event.site},station={event.station},"
        f"stream={event.stream}{suggested},type={event.type.value} "
        f'{accepted}boot_id="{event.boot_id}",{confidence}event_id="{event.event_id}",items={sign}i,'
        f"seq={event.seq}i{undoes},weight_g={sign * grams(event.weight_kg)}i "
        f"{timestamp_ns(event)}"
    )
