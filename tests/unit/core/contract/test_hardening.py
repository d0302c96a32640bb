"""The contract bounds what the store can hold (issue 13): times, weights, duplicate keys, nesting.

Each test here failed on the contract before the hardening (a637ada): it accepted the payload, or raised
something other than ContractError."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from core.contract import (
    MAX_COUNT,
    MAX_DEPTH,
    MAX_ELEMENTS,
    TIME_MAX,
    TIME_MIN,
    ContractError,
    Heartbeat,
    RejectReason,
    SortingEvent,
    StationStatus,
    StationTimeWindow,
    decode,
    decode_event,
    grams,
)
from core.contract.topics import TopicKind
from local_servers.fleet import make_event
from tests.unit.core.contract.decode_inputs import TOPICS, VALID

STATUS: dict[str, Any] = VALID[TopicKind.STATUS]
HEARTBEAT: dict[str, Any] = VALID[TopicKind.HEARTBEAT] | {"warnings": []}

# The time field of each payload kind.
TIME_FIELD = {TopicKind.EVENT: "station_time", TopicKind.STATUS: "since", TopicKind.HEARTBEAT: "station_time"}


def payload_dict(kind: TopicKind, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any]
    if kind is TopicKind.EVENT:
        base = json.loads(make_event(7).to_json())
    else:
        base = dict(STATUS if kind is TopicKind.STATUS else HEARTBEAT)
    return base | changes


def encode(data: object) -> bytes:
    return json.dumps(data, allow_nan=True).encode()


def reason_of(kind: TopicKind, payload: bytes) -> RejectReason:
    with pytest.raises(ContractError) as caught:
        decode(TOPICS[kind], payload)
    return caught.value.reason


ALL_KINDS = pytest.mark.parametrize("kind", list(TIME_FIELD))


# -- times: RFC 3339 only, within what the store holds -------------------------------------------------------------
@ALL_KINDS
@pytest.mark.parametrize(
    "value",
    [
        "2026-11-27 10:00:00.000Z",  # a space for "T": pydantic took it
        "1700000000",  # a digit string: pydantic read it as Unix seconds
        "1700000000.5",
        "2026-11-27t10:00:00.000z",  # lower case
        "2026-11-27T10:00:00+0100",  # offset without a colon
        "2026-11-27T10:00Z",  # no seconds
        "2026-11-27T10:00:00.000Z\n",
        "２０２６-11-27T10:00:00Z",  # full-width digits
        "2026-11-27",
        "2026-11-27T10:00:00.1234567890Z",  # past nanoseconds
        1700000000,
        1700000000.5,
        True,
        None,
        ["2026-11-27T10:00:00Z"],
    ],
)
def test_only_rfc3339_text_is_a_time(kind: TopicKind, value: object) -> None:
    assert reason_of(kind, encode(payload_dict(kind, **{TIME_FIELD[kind]: value}))) is RejectReason.INVALID_FIELDS


@ALL_KINDS
@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00.000Z",
        "0001-01-01T00:00:00+14:00",  # would overflow on conversion to UTC
        "1677-09-21T00:12:43.145Z",  # InfluxDB's first nanosecond: before the epoch all the same
        "1969-12-31T23:59:59.999Z",
        "1970-01-01T00:30:00+01:00",  # 1969 in UTC
        "2200-01-01T00:00:00.000Z",
        "2200-01-01T00:30:00-01:00",  # 2200 in UTC
        "2262-04-12T00:00:00.000Z",  # past InfluxDB's last nanosecond
        "2300-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z",
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_times_outside_what_the_store_holds_are_refused(kind: TopicKind, value: str) -> None:
    assert reason_of(kind, encode(payload_dict(kind, **{TIME_FIELD[kind]: value}))) is RejectReason.INVALID_FIELDS


@ALL_KINDS
@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("1970-01-01T00:00:00.000Z", TIME_MIN),
        ("1969-12-31T23:30:00-01:00", datetime(1970, 1, 1, 0, 30, tzinfo=UTC)),
        ("2199-12-31T23:59:59.999Z", TIME_MAX - timedelta(milliseconds=1)),
        ("2200-01-01T00:30:00+01:00", TIME_MAX - timedelta(minutes=30)),
        ("2026-11-27T10:00:00+23:59", datetime(2026, 11, 26, 10, 1, tzinfo=UTC)),
        ("2026-11-27T10:00:00-00:00", datetime(2026, 11, 27, 10, tzinfo=UTC)),
        ("2026-11-27T10:00:00Z", datetime(2026, 11, 27, 10, tzinfo=UTC)),
        ("2026-11-27T10:00:00.123456789Z", datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_within_bounds_are_accepted(kind: TopicKind, value: str, utc: datetime) -> None:
    _, message = decode(TOPICS[kind], encode(payload_dict(kind, **{TIME_FIELD[kind]: value})))
    moment = getattr(message, TIME_FIELD[kind])
    assert moment == utc
    # What the hub does with a time may not overflow anywhere in the range.
    assert moment.astimezone(UTC).timestamp() == utc.timestamp()
    assert -(2**63) < (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000 < 2**63
    assert message.to_json()  # the station's serializer takes it too


def test_the_bounds_also_hold_for_payloads_built_in_python() -> None:
    """The station builds its payloads in Python: it cannot make one the hub refuses (it fails loudly instead)."""
    for moment in [
        datetime(1969, 12, 31, 23, tzinfo=UTC),
        TIME_MAX,
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    ]:
        with pytest.raises(ValueError, match=r"outside 1970\.\.2199"):
            make_event(1, when=moment)
    with pytest.raises(ValueError, match="timezone"):
        make_event(1, when=datetime(2026, 11, 27, 10))  # naive: refused as before, no TypeError from the bounds


# -- weights the store would keep as 0 g -------------------------------------------------------------------------
@pytest.mark.parametrize("weight", [0.0004, 0.0005, 1e-300, 5e-324])
def test_a_weight_of_zero_grams_is_refused(weight: float) -> None:
    assert grams(weight) == 0
    assert reason_of(TopicKind.EVENT, encode(payload_dict(TopicKind.EVENT, weight_kg=weight))) is (
        RejectReason.INVALID_FIELDS
    )
    with pytest.raises(ValueError, match="0 g"):
        make_event(1, weight_kg=weight)


@pytest.mark.parametrize(
    ("weight", "expected_g"), [(0.0006, 1), (0.001, 1), (0.0015, 2), (0.214, 214), (1000.0, 10**6)]
)
def test_the_smallest_weights_that_round_to_a_gram_are_accepted(weight: float, expected_g: int) -> None:
    event = decode_event(TOPICS[TopicKind.EVENT], encode(payload_dict(TopicKind.EVENT, weight_kg=weight)))
    assert grams(event.weight_kg) == expected_g


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_heartbeat_figures_are_finite(literal: bytes) -> None:
    # uptime_s only had ge=0: Infinity and 1e400 (read as Infinity) were accepted.
    raw = encode(HEARTBEAT).replace(b'"uptime_s": 6190.4', b'"uptime_s": ' + literal)
    assert literal in raw
    assert reason_of(TopicKind.HEARTBEAT, raw) is RejectReason.INVALID_FIELDS


@pytest.mark.parametrize("field", ["journal_depth", "events_made", "events_sent"])
def test_heartbeat_counters_stay_exact_in_a_double(field: str) -> None:
    decode(TOPICS[TopicKind.HEARTBEAT], encode(payload_dict(TopicKind.HEARTBEAT, **{field: MAX_COUNT})))
    too_big = payload_dict(TopicKind.HEARTBEAT, **{field: MAX_COUNT + 1})
    assert reason_of(TopicKind.HEARTBEAT, encode(too_big)) is RejectReason.INVALID_FIELDS
    huge = encode(HEARTBEAT).replace(f'"{field}": '.encode(), f'"{field}": {"9" * 5000}, "x": '.encode())
    assert reason_of(TopicKind.HEARTBEAT, huge) in (RejectReason.INVALID_FIELDS, RejectReason.NOT_JSON)


# -- duplicate keys ----------------------------------------------------------------------------------------------
def event_text(**changes: Any) -> str:
    return json.dumps(payload_dict(TopicKind.EVENT, **changes))


@pytest.mark.parametrize(
    "payload",
    [
        # The second weight used to win: the hub stored 0.25 kg whatever the station meant by 5.0.
        event_text().replace('"weight_kg": 0.25', '"weight_kg": 5.0, "weight_kg": 0.25'),
        event_text().replace('"weight_kg": 0.25', '"weight_kg": 0.25, "weight_kg": 0.25'),  # even the same value
        event_text().replace('"weight_kg": 0.25', '"weight_kg" : 5.0, "weight_kg"\n:\t0.25'),  # with spaces
        event_text().replace('"weight_kg": 0.25', '"weight_kg": 5.0, "weight\\u005fkg": 0.25'),  # escaped name
        event_text().replace('"category": "pp"', '"category": "ps", "category": "pp"'),
        event_text(suggestion={"label": "pp", "confidence": 0.9, "model_version": "m"}, accepted=True).replace(
            '"confidence": 0.9', '"confidence": 0.1, "confidence": 0.9'
        ),  # in a nested object
        event_text().replace('"schema_version": 2', '"schema_version": 2, "schema_version": 2'),
        event_text().replace('"seq": 7', '"seq": 7, "seq": "x"'),  # and an invalid value beside it
    ],
)
def test_a_key_named_twice_is_refused(payload: str) -> None:
    assert reason_of(TopicKind.EVENT, payload.encode()) is RejectReason.DUPLICATE_KEY


@pytest.mark.parametrize("kind", [TopicKind.STATUS, TopicKind.HEARTBEAT])
def test_a_key_named_twice_is_refused_in_status_and_heartbeat(kind: TopicKind) -> None:
    text = json.dumps(payload_dict(kind))
    twice = text.replace('"software_version": "0.1.0"', '"software_version": "9", "software_version": "0.1.0"')
    assert reason_of(kind, twice.encode()) is RejectReason.DUPLICATE_KEY


def test_text_that_looks_like_keys_is_not_a_duplicate() -> None:
    looks = '"a": 1, "seq": 2, {"weight_kg": [[[[[[[[[[[[ \\" : , , "'
    event = make_event(7).model_copy(update={"boot_id": uuid.UUID(int=2)})
    data = json.loads(event.to_json()) | {
        "suggestion": {"label": "pp", "confidence": 0.5, "model_version": looks[:64]},
        "accepted": True,
    }
    decoded = decode_event(TOPICS[TopicKind.EVENT], json.dumps(data).encode())
    assert decoded.suggestion is not None and decoded.suggestion.model_version == looks[:64]


# -- nesting and element count, before any recursive parser ------------------------------------------------------
@ALL_KINDS
@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 1000 + b"]" * 1000,  # made json.loads raise RecursionError, which killed the hub's worker
        b"[" * 5000,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b'{"schema_version": 1, "x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"warnings": [' + b"1," * MAX_ELEMENTS + b"1]}",
        b"[" + b"{}," * 1000 + b"{}]",
        b'"' + b'\\"' * 2000 + b'"' + b"[" * 100,  # escaped quotes: the brackets after them are outside strings
    ],
)
def test_deep_or_wide_json_is_refused_before_it_is_parsed(kind: TopicKind, payload: bytes) -> None:
    assert reason_of(kind, payload) is RejectReason.TOO_DEEP


@ALL_KINDS
def test_nesting_up_to_the_limit_is_parsed(kind: TopicKind) -> None:
    deepest = payload_dict(kind)
    deepest["extra"] = json.loads("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))
    assert reason_of(kind, encode(deepest)) is RejectReason.INVALID_FIELDS  # parsed, refused for the extra field
    brackets_in_strings = payload_dict(kind, software_version="[{" * 32) if kind is not TopicKind.EVENT else None
    if brackets_in_strings is not None:
        decode(TOPICS[kind], encode(brackets_in_strings))


def test_the_largest_legal_heartbeat_is_within_the_limits() -> None:
    warnings = [f"w{i}" for i in range(16)]
    decode(TOPICS[TopicKind.HEARTBEAT], encode(payload_dict(TopicKind.HEARTBEAT, warnings=warnings)))


# -- the plausibility window -------------------------------------------------------------------------------------
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "inside"),
    [
        (timedelta(0), True),
        (-timedelta(days=400), True),
        (-timedelta(days=400, milliseconds=1), False),
        (timedelta(days=1), True),
        (timedelta(days=1, milliseconds=1), False),
        (-timedelta(days=20_000), False),
    ],
)
def test_station_time_window(offset: timedelta, inside: bool) -> None:
    window = StationTimeWindow()
    event_topic = TOPICS[TopicKind.EVENT]
    payload = make_event(1, when=NOW + offset).to_json()
    if inside:
        assert decode_event(event_topic, payload, window=window, received=NOW).station_time == NOW + offset
    else:
        with pytest.raises(ContractError) as caught:
            decode_event(event_topic, payload, window=window, received=NOW)
        assert caught.value.reason is RejectReason.IMPLAUSIBLE_TIME
        assert "400 days before" in caught.value.detail
    assert decode_event(event_topic, payload, received=NOW)  # no window: the contract's bounds only


def test_window_defaults_to_now_and_can_be_widened_without_overflow() -> None:
    old = make_event(1, when=datetime(1971, 1, 1, tzinfo=UTC)).to_json()
    with pytest.raises(ContractError):
        decode_event(TOPICS[TopicKind.EVENT], old, window=StationTimeWindow())
    wide = StationTimeWindow(past=timedelta.max, future=timedelta.max)  # received +- a window beyond year 9999
    assert decode_event(TOPICS[TopicKind.EVENT], old, window=wide).station_time.year == 1971


def test_a_status_is_not_an_event() -> None:
    with pytest.raises(ContractError) as caught:
        decode_event(TOPICS[TopicKind.STATUS], encode(STATUS))
    assert caught.value.reason is RejectReason.BAD_TOPIC


def test_models_round_trip_with_bounds() -> None:
    for model, data in [(StationStatus, STATUS), (Heartbeat, HEARTBEAT)]:
        message = model.model_validate_json(encode(data))
        assert model.model_validate_json(message.to_json()) == message
    assert SortingEvent.model_validate_json(make_event(3).to_json()).seq == 3
