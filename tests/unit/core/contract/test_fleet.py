"""Messages from the hub to one station: remote config and model manifest (core/contract/fleet.py)."""

import base64
import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.contract import ContractError, RejectReason, topic
from core.contract.fleet import MAX_HUB_MESSAGE_BYTES, ModelManifest, RemoteConfig, decode_from_hub
from core.contract.topics import TopicKind

SITE, STATION = "zwolle", "zwolle-plastic-1"
CONFIG_TOPIC = topic(SITE, STATION, TopicKind.CONFIG)
MODEL_TOPIC = topic(SITE, STATION, TopicKind.MODEL)
SIGNATURE = base64.b64encode(bytes(64)).decode()


def manifest_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": 2,
        "site": SITE,
        "station": STATION,
        "stream": "plastics",
        "version": "plastics-2026.12.1",
        "sha256": "ab" * 32,
        "size_bytes": 123_456,
        "url": "/api/models/plastics-2026.12.1/model.onnx",
        "signature": SIGNATURE,
        "issued_at": "2026-12-04T07:00:00.000Z",
    }
    data.update(changes)
    return data


def config_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": 2,
        "site": SITE,
        "station": STATION,
        "version": "c-1",
        "issued_at": "2026-12-04T07:00:00.000Z",
        "settings": {"vision": {"thresholds": {"plastics": 0.8}}, "blind_share": 0.05},
    }
    data.update(changes)
    return data


def reason_of(where: str, payload: bytes) -> RejectReason:
    with pytest.raises(ContractError) as caught:
        decode_from_hub(where, payload)
    return caught.value.reason


def test_both_messages_round_trip() -> None:
    _, manifest = decode_from_hub(MODEL_TOPIC, json.dumps(manifest_dict()).encode())
    assert isinstance(manifest, ModelManifest)
    assert decode_from_hub(MODEL_TOPIC, manifest.to_json())[1] == manifest
    _, config = decode_from_hub(CONFIG_TOPIC, json.dumps(config_dict()).encode())
    assert isinstance(config, RemoteConfig) and config.settings["blind_share"] == 0.05


def test_the_signed_message_names_the_bytes_and_not_the_station() -> None:
    one = ModelManifest.model_validate(manifest_dict())
    other = ModelManifest.model_validate(manifest_dict(station="zwolle-plastic-2"))
    assert one.signed_message() == other.signed_message()
    assert b"ab" * 32 in one.signed_message() and b"123456" in one.signed_message()
    assert ModelManifest.model_validate(manifest_dict(size_bytes=1)).signed_message() != one.signed_message()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sha256": "AB" * 32}, RejectReason.INVALID_FIELDS),
        ({"sha256": "ab" * 31}, RejectReason.INVALID_FIELDS),
        ({"url": "/api/models/../../etc/passwd"}, RejectReason.INVALID_FIELDS),
        ({"url": "https://elsewhere.example/model.onnx"}, RejectReason.INVALID_FIELDS),
        ({"url": "//elsewhere.example/model.onnx"}, RejectReason.INVALID_FIELDS),
        ({"size_bytes": 0}, RejectReason.INVALID_FIELDS),
        ({"size_bytes": 10**12}, RejectReason.INVALID_FIELDS),
        ({"signature": "not base64"}, RejectReason.INVALID_FIELDS),
        ({"station": "zwolle-plastic-2"}, RejectReason.TOPIC_MISMATCH),
        ({"schema_version": 1}, RejectReason.UNKNOWN_SCHEMA_VERSION),
        ({"extra": 1}, RejectReason.INVALID_FIELDS),
    ],
)
def test_a_bad_manifest_is_refused_with_its_reason(changes: dict[str, Any], reason: RejectReason) -> None:
    assert reason_of(MODEL_TOPIC, json.dumps(manifest_dict(**changes)).encode()) is reason


def test_a_station_topic_is_not_a_hub_topic() -> None:
    assert reason_of(topic(SITE, STATION, TopicKind.EVENT), b"{}") is RejectReason.BAD_TOPIC


def test_bounds_come_before_parsing() -> None:
    assert reason_of(CONFIG_TOPIC, b" " * (MAX_HUB_MESSAGE_BYTES + 1)) is RejectReason.TOO_LARGE
    assert reason_of(CONFIG_TOPIC, b"[" * 5000 + b"]" * 5000) is RejectReason.TOO_DEEP
    twice = json.dumps(config_dict()).replace('"version": "c-1"', '"version": "c-0", "version": "c-1"')
    assert reason_of(CONFIG_TOPIC, twice.encode()) is RejectReason.DUPLICATE_KEY


@given(st.binary(max_size=512))
def test_any_bytes_give_a_contract_error_or_a_message(payload: bytes) -> None:
    with contextlib.suppress(ContractError):  # anything else would fail the test
        decode_from_hub(CONFIG_TOPIC, payload)


@pytest.mark.parametrize("kind", [TopicKind.CONFIG, TopicKind.MODEL])
def test_example_messages_in_docs_are_valid(kind: TopicKind) -> None:
    """docs/mqtt.md shows these messages; keep the doc and the contract in step."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[4] / "docs" / "mqtt.md").read_text()
    block = text.split(f"```json {kind.value}\n", 1)[1].split("```", 1)[0]
    decode_from_hub(topic(SITE, STATION, kind), block.encode())
