"""Payload models of wire contract v1: sorting events, station status and heartbeats.

Both the stations (edge) and the hub import these models; nobody else defines a payload. Parsing is strict:
unknown schema versions, unknown or missing fields, wrong JSON types, impossible weights and oversized
payloads are all rejected with a :class:`ContractError` that names a countable :class:`RejectReason`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from sortcentre.wire.topics import SLUG_PATTERN, StationTopic, TopicError, TopicKind, parse_topic

SCHEMA_VERSION = 1

# An event is about 450 bytes. 8 KiB leaves room for growth and keeps one misbehaving client from
# filling the hub's queues with megabyte messages (they are refused before JSON parsing).
MAX_PAYLOAD_BYTES = 8 * 1024

# No sorting scale in the network weighs more than a pallet scale; anything heavier is a broken reading.
MAX_WEIGHT_KG = 1000.0

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]


def _utc_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# On the wire: ISO 8601 in UTC with milliseconds, e.g. "2026-11-27T09:41:07.123Z". A timezone is required.
UtcTime = Annotated[AwareDatetime, PlainSerializer(_utc_millis, return_type=str, when_used="json")]
Text = Annotated[str, Field(min_length=1, max_length=64)]
WarningCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class RejectReason(StrEnum):
    """Why a message was not accepted; each reason has its own counter at the hub."""

    BAD_TOPIC = "bad_topic"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_SCHEMA_VERSION = "unknown_schema_version"
    INVALID_FIELDS = "invalid_fields"
    TOPIC_MISMATCH = "topic_mismatch"
    STORE_REFUSED = "store_refused"  # valid by contract, but the time-series store refused the point
    TOO_DEEP = "too_deep"  # JSON nested deeper, or with more elements, than any payload of the contract needs
    DUPLICATE_KEY = "duplicate_key"  # a JSON object names one key twice: which one counts is parser-dependent
    IMPLAUSIBLE_TIME = "implausible_time"  # station_time outside the hub's plausibility window (StationTimeWindow)
    RETAINED_EVENT = "retained_event"  # an event the broker kept as retained: events are never retained


class ContractError(ValueError):
    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class _Payload(BaseModel):
    # strict: a weight sent as "1.2" (a string) is a wrong type, not something to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal[1] = 1

    @field_validator("schema_version", mode="before")
    @classmethod
    def _exactly_an_integer(cls, value: object) -> object:
        # Literal[1] alone would take true and 1.0 (both equal 1 in Python).
        if type(value) is not int:
            raise ValueError(f"schema_version {value!r} is not the integer {SCHEMA_VERSION}")
        return value

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class EventType(StrEnum):
    SORTED = "sorted"  # the sorter confirmed or corrected a category for an item on the scale
    UNDO = "undo"  # the sorter took back an earlier event (``undoes``); totals subtract it


class Suggestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    label: Slug
    confidence: float = Field(ge=0.0, le=1.0)
    model_version: Text


class SortingEvent(_Payload):
    """One confirmed item (or the undo of one), as journaled by the station and stored by the hub."""

    type: EventType
    event_id: UUID
    site: Slug
    station: Slug
    stream: Slug
    category: Slug
    weight_kg: float = Field(gt=0.0, le=MAX_WEIGHT_KG, description="stable net weight, tare applied")
    suggestion: Suggestion | None = Field(description="what vision suggested, null for no suggestion")
    accepted: bool | None = Field(description="sorter took the suggestion; null when there was none")
    seq: int = Field(ge=1, le=2**53, description="per-station sequence number, never reused")
    boot_id: UUID
    station_time: UtcTime = Field(description="station clock, UTC, millisecond precision")
    undoes: UUID | None = Field(description="for type=undo: the event_id taken back, else null")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.suggestion is None) != (self.accepted is None):
            raise ValueError("accepted must be null exactly when suggestion is null")
        if self.accepted and self.suggestion is not None and self.suggestion.label != self.category:
            raise ValueError("accepted=true but category differs from the suggested label")
        if (self.type is EventType.UNDO) != (self.undoes is not None):
            raise ValueError("undoes is required for type=undo and must be null otherwise")
        return self


class StationState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"  # the broker publishes this as the station's last will
    STOPPED = "stopped"  # clean exit


class StationStatus(_Payload):
    """Retained on ``.../status``: what a supervisor sees before any heartbeat arrives."""

    site: Slug
    station: Slug
    state: StationState
    since: UtcTime
    software_version: Text


class DeviceHealth(StrEnum):
    OK = "ok"
    FAULT = "fault"
    ABSENT = "absent"


class Heartbeat(_Payload):
    """Sent every few seconds on ``.../heartbeat`` (QoS 0: the next one replaces a lost one)."""

    site: Slug
    station: Slug
    boot_id: UUID
    station_time: UtcTime
    uptime_s: float = Field(ge=0)
    scale: DeviceHealth
    camera: DeviceHealth
    model_version: Text | None
    journal_depth: int = Field(ge=0, description="events journaled but not yet acknowledged by the broker")
    oldest_unsent_age_s: float | None = Field(ge=0)
    clock_synced: bool
    events_made: int = Field(ge=0, description="events journaled since the journal was created")
    events_sent: int = Field(ge=0, description="events the broker acknowledged (PUBACK) since then")
    warnings: list[WarningCode] = Field(
        max_length=16, description="what needs a person: journal_full, scale_fault, ..."
    )
    software_version: Text


def now_utc_ms() -> datetime:
    """The station clock at millisecond precision, the resolution of ``station_time`` on the wire."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond - now.microsecond % 1000)


_MODELS: dict[TopicKind, type[_Payload]] = {
    TopicKind.EVENT: SortingEvent,
    TopicKind.STATUS: StationStatus,
    TopicKind.HEARTBEAT: Heartbeat,
}


def decode(topic: str, payload: bytes) -> tuple[StationTopic, _Payload]:
    """Validate one received message against the contract; raise ContractError with a reason."""
    try:
        ref = parse_topic(topic)
    except TopicError as exc:
        raise ContractError(RejectReason.BAD_TOPIC, str(exc)) from None
    model = _MODELS.get(ref.kind)
    if model is None:
        raise ContractError(RejectReason.BAD_TOPIC, f"no payload model for {ref.kind.value} topics")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError(RejectReason.TOO_LARGE, f"{len(payload)} bytes > limit {MAX_PAYLOAD_BYTES}")
    try:
        # The common case first: one parse that validates everything. Only a message that fails it (or leaves
        # the version out) is parsed again, to say exactly what is wrong with it.
        message = model.model_validate_json(payload)
    except ValidationError:
        message = _classify_rejection(model, payload)
    if "schema_version" not in message.model_fields_set:
        message = _classify_rejection(model, payload)
    site, station = getattr(message, "site", None), getattr(message, "station", None)
    if (site, station) != (ref.site, ref.station):
        raise ContractError(
            RejectReason.TOPIC_MISMATCH,
            f"payload says {site}/{station}, topic says {ref.site}/{ref.station}",
        )
    return ref, message


def _classify_rejection(model: type[_Payload], payload: bytes) -> _Payload:
    """Why a message does not validate, as a ContractError with the most telling reason."""
    try:
        raw: Any = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ContractError(RejectReason.NOT_JSON, f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ContractError(RejectReason.NOT_AN_OBJECT, f"JSON {type(raw).__name__}, expected an object")
    version = raw.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise ContractError(
            RejectReason.UNKNOWN_SCHEMA_VERSION, f"schema_version {version!r}; this side speaks {SCHEMA_VERSION}"
        )
    try:
        message = model.model_validate_json(payload)
    except ValidationError as exc:
        raise ContractError(RejectReason.INVALID_FIELDS, _short(exc)) from None
    return message


@dataclass(frozen=True, slots=True)
class StationTimeWindow:
    """How far an event's ``station_time`` may lie from the hub's receive time and still be stored.

    A station clock can be wrong (a Raspberry Pi without a real-time clock boots in the past), and a time far
    off would land in a bucket nobody looks at, or outside what the store can hold. Late replays older than
    ``past`` (a station offline for over a year) are accepted only once an operator widens the window."""

    past: timedelta = timedelta(days=400)
    future: timedelta = timedelta(days=1)

    def check(self, station_time: datetime, received: datetime) -> None:
        if not received - self.past <= station_time <= received + self.future:
            raise ContractError(
                RejectReason.IMPLAUSIBLE_TIME,
                f"station_time {_utc_millis(station_time)} is outside {self.past.days} days before to "
                f"{self.future.days} days after the hub's time {_utc_millis(received)}",
            )


def decode_event(
    topic: str, payload: bytes, *, window: StationTimeWindow | None = None, received: datetime | None = None
) -> SortingEvent:
    """Decode an event message; with ``window``, also refuse a station time implausibly far from ``received``
    (default: now)."""
    ref, message = decode(topic, payload)
    if not isinstance(message, SortingEvent):
        raise ContractError(RejectReason.BAD_TOPIC, f"{ref.kind.value} topic where an event was expected")
    if window is not None:
        window.check(message.station_time, received or datetime.now(UTC))
    return message


def _short(exc: ValidationError) -> str:
    """One line naming each bad field, for logs and dead-letter listings."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
