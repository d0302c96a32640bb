"""Schema versions 1 and 2 side by side: the hub reads both, version 2's fields stay out of version 1."""

import json
from typing import Any

import pytest

from core.contract import SCHEMA_VERSION, ContractError, RejectReason, Suggestion, decode, decode_event, topic
from core.contract.payloads import Heartbeat
from core.contract.topics import TopicKind
from local_servers.fleet import make_event

EVENT_TOPIC = topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT)
HEARTBEAT_TOPIC = topic("zwolle", "zwolle-plastic-1", TopicKind.HEARTBEAT)
PP = Suggestion(label="pp", confidence=0.9, model_version="m-1")


def event_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(make_event(7, suggestion=PP, accepted=True).to_json())
    data.update(changes)
    return data


def reason_of(payload: dict[str, Any], where: str = EVENT_TOPIC) -> RejectReason:
    with pytest.raises(ContractError) as caught:
        decode(where, json.dumps(payload).encode())
    return caught.value.reason


def test_a_station_writes_version_2_with_shown() -> None:
    data = event_dict()
    assert SCHEMA_VERSION == 2 and data["schema_version"] == 2 and data["suggestion"]["shown"] is True


def test_a_version_1_event_without_shown_is_read_as_shown() -> None:
    data = event_dict(schema_version=1)
    del data["suggestion"]["shown"]
    event = decode_event(EVENT_TOPIC, json.dumps(data).encode())
    assert event.schema_version == 1 and event.suggestion is not None and event.suggestion.shown
    assert json.loads(event.to_json()) == data  # written back in its own version


def test_a_version_1_event_may_not_carry_shown() -> None:
    assert reason_of(event_dict(schema_version=1)) is RejectReason.INVALID_FIELDS


def test_a_blind_check_carries_the_hidden_suggestion_and_no_acceptance() -> None:
    hidden = Suggestion(label="pp", confidence=0.9, model_version="m-1", shown=False)
    event = make_event(8, suggestion=hidden, accepted=None)
    assert decode_event(EVENT_TOPIC, event.to_json()) == event
    refused = event_dict(suggestion={**event_dict()["suggestion"], "shown": False}, accepted=False)
    assert reason_of(refused) is RejectReason.INVALID_FIELDS  # the sorter never saw it: nothing to accept


def heartbeat_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": 2,
        "site": "zwolle",
        "station": "zwolle-plastic-1",
        "boot_id": "00000000-0000-0000-0000-000000000001",
        "station_time": "2026-12-04T07:00:00.000Z",
        "uptime_s": 10.0,
        "scale": "ok",
        "camera": "ok",
        "model_version": "m-1",
        "journal_depth": 0,
        "oldest_unsent_age_s": None,
        "clock_synced": True,
        "events_made": 1,
        "events_sent": 1,
        "warnings": [],
        "software_version": "0.1.0",
    }
    data.update(changes)
    return data


def test_a_heartbeat_reports_the_fleet_state_in_version_2() -> None:
    data = heartbeat_dict(config_version="c-3", config_error="categories.0.key: unknown key", model_error=None)
    _, message = decode(HEARTBEAT_TOPIC, json.dumps(data).encode())
    assert isinstance(message, Heartbeat) and message.config_version == "c-3"
    assert message.config_error == "categories.0.key: unknown key"


@pytest.mark.parametrize("field", ["config_version", "config_error", "model_error"])
def test_a_version_1_heartbeat_may_not_carry_them(field: str) -> None:
    assert reason_of(heartbeat_dict(schema_version=1, **{field: "x"}), HEARTBEAT_TOPIC) is RejectReason.INVALID_FIELDS


def test_a_version_1_heartbeat_is_still_read() -> None:
    _, message = decode(HEARTBEAT_TOPIC, json.dumps(heartbeat_dict(schema_version=1)).encode())
    assert isinstance(message, Heartbeat) and message.config_version is None
    assert "config_version" not in json.loads(message.to_json())


@pytest.mark.parametrize("version", [0, 3, 99])
def test_other_versions_are_refused(version: int) -> None:
    assert reason_of(event_dict(schema_version=version)) is RejectReason.UNKNOWN_SCHEMA_VERSION
