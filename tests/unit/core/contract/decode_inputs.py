"""Inputs for the properties and the fuzz run over decode(): valid payloads of each kind, and strategies that
break them in every way the contract must survive. Shared by test_decode_properties.py and fuzz_decode.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from core.contract import (
    ContractError,
    Heartbeat,
    RejectReason,
    SortingEvent,
    StationStatus,
    decode,
    grams,
    topic,
)
from core.contract.topics import TopicKind

SITE, STATION = "zwolle", "zwolle-plastic-1"
KINDS = (TopicKind.EVENT, TopicKind.STATUS, TopicKind.HEARTBEAT)
TOPICS = {kind: topic(SITE, STATION, kind) for kind in KINDS}

VALID: dict[TopicKind, dict[str, Any]] = {
    TopicKind.EVENT: {
        "schema_version": 1,
        "type": "sorted",
        "event_id": "0193a0c4-6f1e-7b2a-9c3d-5e8f1a2b3c4d",
        "site": SITE,
        "station": STATION,
        "stream": "plastic",
        "category": "pp",
        "weight_kg": 0.214,
        "suggestion": {"label": "pp", "confidence": 0.93, "model_version": "plastics-2026.11.1"},
        "accepted": True,
        "seq": 1842,
        "boot_id": "4b6f2d0e-8a51-4c3e-9f27-1d5e6a7b8c90",
        "station_time": "2026-11-27T09:41:07.123Z",
        "undoes": None,
    },
    TopicKind.STATUS: {
        "schema_version": 1,
        "site": SITE,
        "station": STATION,
        "state": "online",
        "since": "2026-11-27T07:58:00.000Z",
        "software_version": "0.1.0",
    },
    TopicKind.HEARTBEAT: {
        "schema_version": 1,
        "site": SITE,
        "station": STATION,
        "boot_id": "4b6f2d0e-8a51-4c3e-9f27-1d5e6a7b8c90",
        "station_time": "2026-11-27T09:41:10.000Z",
        "uptime_s": 6190.4,
        "scale": "ok",
        "camera": "absent",
        "model_version": None,
        "journal_depth": 0,
        "oldest_unsent_age_s": None,
        "clock_synced": True,
        "events_made": 1842,
        "events_sent": 1842,
        "warnings": ["clock_unsynced"],
        "software_version": "0.1.0",
    },
}


def valid_payload(kind: TopicKind) -> bytes:
    return json.dumps(VALID[kind]).encode()


def only_contract_errors(where: str, payload: bytes) -> None:
    """decode() gives a usable message or a ContractError with a reason and storable text, nothing else."""
    try:
        _, message = decode(where, payload)
    except ContractError as exc:
        assert isinstance(exc.reason, RejectReason)
        exc.detail.encode("utf-8")  # goes to logs, dead letters and JSON: no lone surrogates
        return
    # Accepted: what the hub then does with it may not raise either.
    assert isinstance(message, SortingEvent | StationStatus | Heartbeat)
    message.to_json().decode("utf-8")
    moment = message.since if isinstance(message, StationStatus) else message.station_time
    nanoseconds = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
    assert -(2**63) < nanoseconds < 2**63  # InfluxDB's range
    assert moment.astimezone(UTC).timestamp() >= 0
    if isinstance(message, SortingEvent):
        assert grams(message.weight_kg) >= 1


# -- strategies ------------------------------------------------------------------------------------------------
# Any character, surrogates included (hypothesis leaves them out by default).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(any_text, children, max_size=5),
    max_leaves=30,
)


def to_bytes(value: object, ascii_only: bool) -> bytes:
    """JSON text as a station might send it: escaped, or raw UTF-8 (lone surrogates make it invalid UTF-8)."""
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


json_documents = st.builds(to_bytes, json_values, st.booleans())

times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC) | st.timezones()
)
fixed_offsets = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-(24 * 60 - 1), 24 * 60 - 1))


def time_texts(moment: datetime, style: int) -> str:
    text = moment.isoformat()
    return [
        text,
        text.replace("T", " "),
        text.replace("+00:00", "Z"),
        text.lower(),
        str(int(moment.timestamp())),
        text[:10],
        text.replace(":", "", 2),
    ][style % 7]


odd_raw_values = st.sampled_from(
    [
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"1e400",
        b"-1e400",
        b"1e-400",
        b"-0",
        b"-0.0",
        b"9" * 5000,
        b"9007199254740993",
        b"0.0004",
        b"0.0005",
        b"5e-324",
        b"1.7976931348623157e308",
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 500 + b"1" + b"}" * 500,
        b'"\\ud800"',
        b'"\\udfff\\ud800"',
        b'"\xed\xa0\x80"',
        b'"\xff"',
        b'"\\u0000"',
        b'"0001-01-01T00:00:00+14:00"',
        b'"9999-12-31T23:59:59-14:00"',
        b'"2300-01-01T00:00:00.000Z"',
        b'"2026-11-27 10:00:00Z"',
        b'"1700000000"',
        b"1700000000",
        b'"2026-11-27"',
        b"true",
        b"null",
        b"{}",
        b"[]",
        b'""',
    ]
)
raw_values = (
    odd_raw_values
    | st.builds(to_bytes, json_values, st.booleans())
    | st.builds(lambda m, s: json.dumps(time_texts(m, s)).encode(), times, st.integers(0, 6))
    | st.builds(lambda f: json.dumps(f, allow_nan=True).encode(), st.floats())
)


@st.composite
def mutated_payloads(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid payload of one kind with fields replaced, dropped, named twice, renamed, reordered or nested."""
    kind = draw(st.sampled_from(KINDS))
    members = [(json.dumps(k).encode(), json.dumps(v).encode()) for k, v in VALID[kind].items()]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(members) - 1))
        key, _value = members[i]
        action = draw(st.sampled_from(["replace", "drop", "twice", "rename", "escape-key", "nest", "move"]))
        if action == "replace":
            members[i] = (key, draw(raw_values))
        elif action == "drop":
            del members[i]
        elif action == "twice":
            members.insert(draw(st.integers(0, len(members))), (key, draw(raw_values | st.just(members[i][1]))))
        elif action == "rename":
            members[i] = (json.dumps(draw(any_text)).encode("utf-8", "surrogatepass"), members[i][1])
        elif action == "escape-key":  # the same key spelt with escapes
            name = json.loads(key)
            members[i] = (('"' + "".join(f"\\u{ord(c):04x}" for c in name) + '"').encode(), members[i][1])
        elif action == "nest":
            depth = draw(st.integers(1, 40) | st.just(3800))
            members[i] = (key, b"[" * depth + members[i][1] + b"]" * depth)
        else:
            members.insert(draw(st.integers(0, len(members) - 1)), members.pop(i))
        if not members:
            break
    separator = draw(st.sampled_from([b": ", b":", b" :\n\t"]))
    body = b"{" + b", ".join(k + separator + v for k, v in members) + b"}"
    where = draw(st.just(TOPICS[kind]) | st.sampled_from(list(TOPICS.values())))
    return where, body


topics = (
    st.sampled_from(list(TOPICS.values()))
    | any_text
    | st.builds(lambda site, station, kind: f"sortcentre/v1/{site}/{station}/{kind}", any_text, any_text, any_text)
)
