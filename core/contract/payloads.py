"""Payload models of wire contract v1: sorting events, station status and heartbeats (schema versions 1 and 2).

Both the stations (edge) and the hub import these models; nobody else defines a payload. Parsing is strict:
unknown schema versions, unknown or missing fields, wrong JSON types, impossible weights and times, duplicate
keys, deep nesting and oversized payloads are all rejected with a :class:`ContractError` that names a countable
:class:`RejectReason`. :func:`decode` raises nothing else, whatever the bytes and the topic: each source of
another exception is bounded before it is reached (size, then nesting, then one parse), and
tests/unit/core/contract/test_decode_properties.py and tests/unit/core/contract/fuzz_decode.py check it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self, get_args
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from core.contract.topics import SLUG_PATTERN, StationTopic, TopicError, TopicKind, parse_topic

# What this side writes. The hub reads every version in KNOWN_SCHEMA_VERSIONS, so stations can be upgraded after
# the hub: version 2 adds fields (a suggestion's ``shown``, a heartbeat's remote-config and model state) and a
# version-1 payload may not carry them.
SCHEMA_VERSION: Literal[2] = 2
KNOWN_SCHEMA_VERSIONS = frozenset({1, 2})

# An event is about 450 bytes. 8 KiB leaves room for growth and keeps one misbehaving client from
# filling the hub's queues with megabyte messages (they are refused before JSON parsing).
MAX_PAYLOAD_BYTES = 8 * 1024

# The deepest payload of the contract is two levels (an event's ``suggestion`` object, a heartbeat's ``warnings``
# list) and the largest has about 35 values (a heartbeat with 16 warnings). The limits leave room for growth and
# are checked on the raw bytes before any recursive parser runs: 2 KB of ``[`` once made ``json.loads`` raise
# RecursionError, which killed the hub's worker on every redelivery.
MAX_DEPTH = 8
MAX_ELEMENTS = 256  # values in all arrays and objects together (an object member counts once)

# No sorting scale in the network weighs more than a pallet scale; anything heavier is a broken reading.
MAX_WEIGHT_KG = 1000.0

# Counters stay exact in a double: the dashboard's JavaScript reads every JSON number as one, and a bigger
# integer (an 8 KiB payload can hold an 8,000-digit one) would break str() on the hub (Python's 4,300-digit limit).
MAX_COUNT = 2**53

# Every time on the wire lies in [TIME_MIN, TIME_MAX). InfluxDB holds 1677-09-21..2262-04-11 (signed 64-bit
# nanoseconds); a point outside it is refused forever and a year such as 9999 overflowed the hub's datetime
# arithmetic. Within that range, nothing this network weighs happened before the Unix epoch (a clock that
# reads earlier is broken: a Raspberry Pi without a real-time clock boots at the epoch or later), and 2200
# keeps a margin of 62 years below the store's end, so the hub's arithmetic (offsets, buckets, a window of
# days) never comes near it. The hub's plausibility window (StationTimeWindow) narrows this much further.
TIME_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(2200, 1, 1, tzinfo=UTC)

# RFC 3339 §5.6 date-time, as we profile it: upper-case "T" and "Z", an offset of hours and minutes, at most
# nanoseconds. [0-9], not \d: \d also matches other scripts' digits.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)

_YEAR_FLOOR, _YEAR_CEILING = f"{TIME_MIN.year - 1:04d}", f"{TIME_MAX.year:04d}"

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]


def _utc_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _wire_time(value: object) -> object:
    """A time from RFC 3339 text and nothing else, within [TIME_MIN, TIME_MAX). Pydantic's own parsing (JSON
    mode) also takes a space for "T", a digit string or a number as Unix seconds, a lower-case "z" and an
    offset without a colon; and any year from 0001 to 9999."""
    if isinstance(value, str):
        if _RFC3339.fullmatch(value) is None:
            raise ValueError("a time must be RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM")
        # Before a datetime is built: 0001 or 9999 with an offset would overflow on conversion to UTC later.
        # A year of margin on each side for the offset (four ASCII digits compare as text); exact bounds below.
        if not _YEAR_FLOOR <= value[:4] <= _YEAR_CEILING:
            raise ValueError(f"time {value} is outside {TIME_MIN.year}..{TIME_MAX.year - 1}")
        # RFC 3339 text is what fromisoformat reads (a bad day or hour raises ValueError; digits past
        # microseconds are cut off: the wire carries milliseconds). It always has a zone.
        moment = datetime.fromisoformat(value)
    elif isinstance(value, datetime):  # built in Python (the station)
        moment = value
        if moment.utcoffset() is None:
            return moment  # naive: cannot be compared with the bounds, and AwareDatetime refuses it next
    else:
        raise ValueError(f"a time must be RFC 3339 text, not a JSON {type(value).__name__}")
    if not TIME_MIN <= moment < TIME_MAX:
        raise ValueError(f"time {moment.isoformat()} is outside {TIME_MIN.year}..{TIME_MAX.year - 1} (UTC)")
    return moment


# On the wire: RFC 3339, in UTC with milliseconds when a station writes it, e.g. "2026-11-27T09:41:07.123Z".
# A zone is required; [TIME_MIN, TIME_MAX) bounds it.
UtcTime = Annotated[
    AwareDatetime,
    BeforeValidator(_wire_time),
    PlainSerializer(_utc_millis, return_type=str, when_used="json"),
]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


def grams(weight_kg: float) -> int:
    """A weight in the store's unit: whole grams, Python's round() (half to even: 0.0005 kg is 0 g, 0.0015 kg
    is 2 g). The one rounding of the project: the contract refuses a weight that is 0 g by it, the hub stores it."""
    return round(weight_kg * 1000)


Text = Annotated[str, Field(min_length=1, max_length=64)]
WarningCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Reason = Annotated[str, Field(min_length=1, max_length=300)]  # a sentence for a person: why something was refused


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


# A detail quotes the payload (a key, a value); it goes to logs, dead letters and the admin API as UTF-8 text.
_MAX_DETAIL_CHARS = 500


class ContractError(ValueError):
    def __init__(self, reason: RejectReason, detail: str) -> None:
        # Lone surrogates (a JSON key "\ud800" reaches Python as one) cannot be encoded: escape them.
        detail = detail[:_MAX_DETAIL_CHARS].encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class _Payload(BaseModel):
    # strict: a weight sent as "1.2" (a string) is a wrong type, not something to coerce. No NaN or Infinity
    # (nor 1e400, which parses as Infinity): no reading is infinite, and JSON cannot carry them on to a browser.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    schema_version: Literal[1, 2] = SCHEMA_VERSION
    # Fields that version 1 does not have: a version-1 payload that names one is refused.
    SINCE_V2: ClassVar[frozenset[str]] = frozenset()

    @field_validator("schema_version", mode="before")
    @classmethod
    def _exactly_an_integer(cls, value: object) -> object:
        # Literal[1, 2] alone would take true and 1.0 (both equal 1 in Python).
        if type(value) is not int:
            raise ValueError(f"schema_version {value!r} is not an integer of {sorted(KNOWN_SCHEMA_VERSIONS)}")
        return value

    @model_validator(mode="after")
    def _fields_of_its_version(self) -> Self:
        if self.schema_version == 1:
            newer = sorted(self.SINCE_V2 & self.model_fields_set)
            if newer:
                raise ValueError(f"{', '.join(newer)} needs schema_version 2")
        return self

    def to_json(self) -> bytes:
        """The payload on the wire, in its own schema version: a version-1 payload leaves out the newer fields."""
        if self.schema_version == 1:
            return self.model_dump_json(exclude=self._not_in_v1()).encode()
        return self.model_dump_json().encode()

    def _not_in_v1(self) -> Any:
        return set(self.SINCE_V2)


class EventType(StrEnum):
    SORTED = "sorted"  # the sorter confirmed or corrected a category for an item on the scale
    UNDO = "undo"  # the sorter took back an earlier event (``undoes``); totals subtract it


class Suggestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    label: Slug
    confidence: float = Field(ge=0.0, le=1.0)
    model_version: Text
    # Version 2. False on a blind check: the station computed the suggestion but did not show it, so the sorter
    # chose unprompted and the item measures the model's accuracy free of the bias to accept what is shown.
    shown: bool = True


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

    def _not_in_v1(self) -> Any:
        return {"suggestion": {"shown"}}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.schema_version == 1 and self.suggestion is not None and "shown" in self.suggestion.model_fields_set:
            raise ValueError("suggestion.shown needs schema_version 2")
        shown = self.suggestion is not None and self.suggestion.shown
        if shown != (self.accepted is not None):
            raise ValueError("accepted must be null exactly when no suggestion was shown (none, or a blind check)")
        if self.accepted and self.suggestion is not None and self.suggestion.label != self.category:
            raise ValueError("accepted=true but category differs from the suggested label")
        if (self.type is EventType.UNDO) != (self.undoes is not None):
            raise ValueError("undoes is required for type=undo and must be null otherwise")
        return self

    @field_validator("weight_kg")
    @classmethod
    def _at_least_a_gram(cls, value: float) -> float:
        # The hub stores whole grams: 0.0004 kg would be stored as an item of 0 g.
        if grams(value) < 1:
            raise ValueError(f"weight_kg {value} is 0 g in whole grams, the unit the hub stores")
        return value


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

    SINCE_V2: ClassVar[frozenset[str]] = frozenset({"config_version", "config_error", "model_error"})

    site: Slug
    station: Slug
    boot_id: UUID
    station_time: UtcTime
    uptime_s: float = Field(ge=0)
    scale: DeviceHealth
    camera: DeviceHealth
    model_version: Text | None
    journal_depth: Count = Field(description="events journaled but not yet acknowledged by the broker")
    oldest_unsent_age_s: float | None = Field(ge=0)
    clock_synced: bool
    events_made: Count = Field(description="events journaled since the journal was created")
    events_sent: Count = Field(description="events the broker acknowledged (PUBACK) since then")
    warnings: list[WarningCode] = Field(
        max_length=16, description="what needs a person: journal_full, scale_fault, ..."
    )
    software_version: Text
    # Version 2: the fleet (docs/fleet.md).
    config_version: Text | None = Field(
        None, description="the remote config the station applied; null: none received, the file's settings"
    )
    config_error: Reason | None = Field(None, description="why the latest remote config was refused, naming the key")
    model_error: Reason | None = Field(None, description="why the latest model offered was refused")


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
    """Validate one received message against the contract; raise ContractError with a reason, and nothing else."""
    try:
        ref = parse_topic(topic)
    except TopicError as exc:
        raise ContractError(RejectReason.BAD_TOPIC, str(exc)) from None
    model = _MODELS.get(ref.kind)
    if model is None:
        raise ContractError(RejectReason.BAD_TOPIC, f"no payload model for {ref.kind.value} topics")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError(RejectReason.TOO_LARGE, f"{len(payload)} bytes > limit {MAX_PAYLOAD_BYTES}")
    skeleton = bounded_skeleton(payload)
    try:
        # The common case first: one parse that validates everything. Only a message that fails it (or leaves
        # the version out, or names a key twice) is parsed again, to say exactly what is wrong with it.
        message = model.model_validate_json(payload)
    except ValidationError:
        message = _classify_rejection(model, payload)
    if "schema_version" not in message.model_fields_set:
        message = _classify_rejection(model, payload)
    if skeleton.count(b":") != _keys_of(message):
        # Outside strings, every ":" of valid JSON follows a key; the model saw fewer keys than that, so the
        # parser kept one of two values for a key (the last: jiter and json.loads both do).
        _classify_rejection(model, payload)  # names the key
        raise ContractError(RejectReason.DUPLICATE_KEY, "an object names a key twice")
    site, station = getattr(message, "site", None), getattr(message, "station", None)
    if (site, station) != (ref.site, ref.station):
        raise ContractError(
            RejectReason.TOPIC_MISMATCH,
            f"payload says {site}/{station}, topic says {ref.site}/{ref.station}",
        )
    return ref, message


# A JSON string, escapes included; one that is never closed runs to the end (so the scan stays linear: a
# pattern that failed on it would be retried from every later quote).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
# An innermost array or object: one with no bracket inside.
_INNERMOST = re.compile(rb"\[[^\[\]{}]*\]|\{[^\[\]{}]*\}")
_BRACKETS = re.compile(rb"[\[\]{}]")


def bounded_skeleton(payload: bytes, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS) -> bytes:
    """The payload with its strings' contents left out, after checking that its nesting and element count stay
    within ``max_depth`` and ``max_elements``; raise TOO_DEEP otherwise. No recursion, no parse: this runs first.

    Outside strings, valid JSON has a bracket for each array and object, a comma between two values and a
    colon after each key, so counting them in the skeleton is exact for valid JSON; for anything else it
    bounds what a parser could reach before it finds the error."""
    # The common case, 3x faster than the scan: with no backslash, quotes alternate between opening and closing
    # strings. With one, only the scan tells where an escaped quote leaves a string open.
    skeleton = _JSON_STRING.sub(b"", payload) if b"\\" in payload else b"".join(payload.split(b'"')[::2])
    containers = skeleton.count(b"[") + skeleton.count(b"{")
    elements = skeleton.count(b",") + containers + 1
    if elements > max_elements:
        raise ContractError(RejectReason.TOO_DEEP, f"{elements} or more JSON values > limit {max_elements}")
    if containers > max_depth:
        # Only now the exact depth: take away the innermost arrays and objects, one level per pass. Brackets
        # still left after MAX_DEPTH passes are nested deeper, or do not pair up (a parser would still recurse
        # into them before it notices).
        rest = skeleton
        for _ in range(max_depth):
            rest, found = _INNERMOST.subn(b"0", rest)
            if not found:
                break
        if _BRACKETS.search(rest) is not None:
            raise ContractError(
                RejectReason.TOO_DEEP, f"JSON nested deeper than {max_depth} levels, or brackets that do not pair"
            )
    return skeleton


def _keys_of(message: BaseModel) -> int:
    """How many keys the JSON of a valid message had, if it named none twice: with extra="forbid", one per set
    field, and those of its nested objects (one level: no nested model nests another, checked below)."""
    keys = len(message.model_fields_set)
    for name in _NESTED[type(message)]:
        inner = getattr(message, name)
        if inner is not None:
            keys += len(inner.model_fields_set)
    return keys


def _nested_models(model: type[BaseModel]) -> tuple[str, ...]:
    def is_model(annotation: object) -> bool:
        return isinstance(annotation, type) and issubclass(annotation, BaseModel)

    return tuple(
        name
        for name, field in model.model_fields.items()
        if is_model(field.annotation) or any(is_model(a) for a in get_args(field.annotation))
    )


_NESTED: dict[type[BaseModel], tuple[str, ...]] = {
    m: _nested_models(m) for m in (SortingEvent, StationStatus, Heartbeat)
}
# _keys_of counts one level of nesting: a model nested two deep would need it to recurse.
assert not _nested_models(Suggestion), "a nested model with its own nested model: make _keys_of recurse"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object hook: refuse an object that names a key twice (RFC 8259 §4 leaves which one counts
    to the parser, so the station and the hub could read two different events)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ContractError(RejectReason.DUPLICATE_KEY, f"key {twice!r} appears twice in one object")
    return found


def _classify_rejection(model: type[_Payload], payload: bytes) -> _Payload:
    """Why a message does not validate, as a ContractError with the most telling reason. Called only after
    bounded_skeleton: json.loads recurses once per nesting level."""
    try:
        raw: Any = json.loads(payload.decode("utf-8"), object_pairs_hook=_unique_keys)
    except ContractError:
        raise
    except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError, an integer over Python's 4,300 digits
        raise ContractError(RejectReason.NOT_JSON, f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ContractError(RejectReason.NOT_AN_OBJECT, f"JSON {type(raw).__name__}, expected an object")
    version = raw.get("schema_version")
    if type(version) is not int or version not in KNOWN_SCHEMA_VERSIONS:
        shown = repr(version) if type(version) is not int else "an integer"  # repr of a 4,300-digit int raises
        raise ContractError(
            RejectReason.UNKNOWN_SCHEMA_VERSION,
            f"schema_version {shown[:40]}; this side reads {sorted(KNOWN_SCHEMA_VERSIONS)}",
        )
    try:
        message = model.model_validate_json(payload)
    except ValidationError as exc:
        raise ContractError(RejectReason.INVALID_FIELDS, short_errors(exc)) from None
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
        """Raise IMPLAUSIBLE_TIME unless ``received - past <= station_time <= received + future`` (both aware)."""
        # Differences, not received - past: a window of many years near the calendar's end must not overflow.
        if not (received - station_time <= self.past and station_time - received <= self.future):
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


def short_errors(exc: ValidationError) -> str:
    """One line naming each bad field, for logs and dead-letter listings."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
