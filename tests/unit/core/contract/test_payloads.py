import json
import uuid
from typing import Any

import pytest

from core.contract import (
    MAX_PAYLOAD_BYTES,
    ContractError,
    EventType,
    Heartbeat,
    RejectReason,
    SortingEvent,
    StationStatus,
    Suggestion,
    decode,
    decode_event,
    topic,
)
from core.contract.topics import TopicKind
from local_servers.fleet import make_event

EVENT_TOPIC = topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT)


def event_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(make_event(7).to_json())
    data.update(changes)
    return data


def reason_of(payload: bytes, where: str = EVENT_TOPIC) -> RejectReason:
    with pytest.raises(ContractError) as caught:
        decode_event(where, payload)
    return caught.value.reason


def test_event_round_trip_is_lossless() -> None:
    event = make_event(3, suggestion=Suggestion(label="pp", confidence=0.91, model_version="m-1"), accepted=True)
    assert decode_event(EVENT_TOPIC, event.to_json()) == event


@pytest.mark.parametrize("kind", [TopicKind.EVENT, TopicKind.STATUS, TopicKind.HEARTBEAT])
def test_example_payloads_in_docs_are_valid(kind: TopicKind) -> None:
    """docs/mqtt.md shows these payloads; keep the doc and the contract in step."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[4] / "docs" / "mqtt.md").read_text()
    block = text.split(f"```json {kind.value}\n", 1)[1].split("```", 1)[0]
    decode(topic("zwolle", "zwolle-plastic-1", kind), block.encode())


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json at all", RejectReason.NOT_JSON),
        (b"\xff\xfe\x00", RejectReason.NOT_JSON),
        (b"[1, 2]", RejectReason.NOT_AN_OBJECT),
        (json.dumps(event_dict(schema_version=3)).encode(), RejectReason.UNKNOWN_SCHEMA_VERSION),
        (json.dumps(event_dict(schema_version="1")).encode(), RejectReason.UNKNOWN_SCHEMA_VERSION),
        (json.dumps(event_dict(schema_version=True)).encode(), RejectReason.UNKNOWN_SCHEMA_VERSION),
        (json.dumps(event_dict(schema_version=1.0)).encode(), RejectReason.UNKNOWN_SCHEMA_VERSION),
        (
            json.dumps({k: v for k, v in event_dict().items() if k != "schema_version"}).encode(),
            RejectReason.UNKNOWN_SCHEMA_VERSION,
        ),
        (json.dumps({k: v for k, v in event_dict().items() if k != "weight_kg"}).encode(), RejectReason.INVALID_FIELDS),
        (
            json.dumps({k: v for k, v in event_dict().items() if k != "suggestion"}).encode(),
            RejectReason.INVALID_FIELDS,
        ),
        (json.dumps(event_dict(weight_kg=-0.5)).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(weight_kg=0)).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(weight_kg=25_000)).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(weight_kg="0.5")).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(seq="7")).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(seq=0)).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(event_id="nope")).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(station_time="2026-11-27T10:00:00")).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(category="PP!")).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(extra_field=1)).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(type="deleted")).encode(), RejectReason.INVALID_FIELDS),
        (json.dumps(event_dict(station="dalfsen-plastic-1")).encode(), RejectReason.TOPIC_MISMATCH),
        (b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", RejectReason.TOO_LARGE),
    ],
)
def test_bad_events_are_rejected_with_a_reason(payload: bytes, reason: RejectReason) -> None:
    assert reason_of(payload) is reason


def test_accepted_must_match_suggestion() -> None:
    no_suggestion_but_accepted = event_dict(accepted=True)
    assert reason_of(json.dumps(no_suggestion_but_accepted).encode()) is RejectReason.INVALID_FIELDS
    accepted_other_label = event_dict(
        suggestion={"label": "ps", "confidence": 0.9, "model_version": "m"}, accepted=True, category="pp"
    )
    assert reason_of(json.dumps(accepted_other_label).encode()) is RejectReason.INVALID_FIELDS
    corrected = event_dict(suggestion={"label": "ps", "confidence": 0.9, "model_version": "m"}, accepted=False)
    assert decode_event(EVENT_TOPIC, json.dumps(corrected).encode()).accepted is False


def test_undo_needs_the_event_it_undoes() -> None:
    assert reason_of(json.dumps(event_dict(type="undo")).encode()) is RejectReason.INVALID_FIELDS
    undo = decode_event(EVENT_TOPIC, json.dumps(event_dict(type="undo", undoes=str(uuid.uuid4()))).encode())
    assert undo.type is EventType.UNDO


def test_topic_errors_and_wrong_kind() -> None:
    assert reason_of(b"{}", "sortcentre/v9/zwolle/zwolle-plastic-1/event") is RejectReason.BAD_TOPIC
    status_topic = topic("zwolle", "zwolle-plastic-1", TopicKind.STATUS)
    assert reason_of(make_event(1).to_json(), status_topic) in (RejectReason.INVALID_FIELDS, RejectReason.BAD_TOPIC)


def test_status_and_heartbeat_decode() -> None:
    from core.contract import DeviceHealth, StationState, now_utc_ms

    status = StationStatus(
        site="ommen",
        station="ommen-textile-1",
        state=StationState.OFFLINE,
        since=now_utc_ms(),
        software_version="0.1.0",
    )
    ref, decoded = decode(topic("ommen", "ommen-textile-1", TopicKind.STATUS), status.to_json())
    assert decoded == status and ref.kind is TopicKind.STATUS
    heartbeat = Heartbeat(
        site="ommen",
        station="ommen-textile-1",
        boot_id=uuid.uuid4(),
        station_time=now_utc_ms(),
        uptime_s=3.0,
        scale=DeviceHealth.OK,
        camera=DeviceHealth.ABSENT,
        model_version=None,
        journal_depth=0,
        oldest_unsent_age_s=None,
        clock_synced=True,
        events_made=4,
        events_sent=4,
        warnings=["clock_unsynced"],
        software_version="0.1.0",
    )
    assert decode(topic("ommen", "ommen-textile-1", TopicKind.HEARTBEAT), heartbeat.to_json())[1] == heartbeat


def test_event_is_small() -> None:
    event = make_event(
        2**40, suggestion=Suggestion(label="hdpe", confidence=0.5, model_version="x" * 64), accepted=False
    )
    assert len(event.to_json()) < MAX_PAYLOAD_BYTES / 8
    assert isinstance(SortingEvent.model_json_schema(), dict)
