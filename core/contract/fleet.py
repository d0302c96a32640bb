"""Messages from the hub to one station (contract v1, schema version 2): its remote config and its model.

Both are retained on the station's own topics (``.../config``, ``.../model``), so a station that was offline or
rebooted gets the latest one when it connects. The hub is trusted more than a station, but a station still bounds
what it parses: size, nesting and element count before JSON, strict models after, and a ContractError with a
reason for anything else. ``settings`` is a JSON object the station validates with the same config models as its
file (config/remote.py); the contract only carries it. A model manifest is signed by the hub's Ed25519 key over
``ModelManifest.signed_message()``; the station checks the signature against the public key pinned in its own
config before it downloads anything (docs/fleet.md).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.contract.payloads import (
    MAX_DEPTH,
    ContractError,
    RejectReason,
    Slug,
    Text,
    UtcTime,
    bounded_skeleton,
    short_errors,
)
from core.contract.topics import HUB_TO_STATION, StationTopic, TopicError, TopicKind, parse_topic

# A station's sorting settings (a dozen categories, thresholds, grading rules) are a few KiB.
MAX_HUB_MESSAGE_BYTES = 64 * 1024
MAX_HUB_MESSAGE_ELEMENTS = 4096
# The largest model a station will download: a classifier head is a few hundred KiB, a whole backbone tens of MiB.
MAX_MODEL_BYTES = 256 * 1024 * 1024

SHA256_PATTERN = r"^[0-9a-f]{64}$"
# Ed25519 signatures are 64 bytes: 88 characters of standard base64 with padding.
SIGNATURE_PATTERN = r"^[A-Za-z0-9+/]{86}==$"
# Where the station fetches the model: a path on the hub's own URL (never another host: no "//" to start a
# network path); _no_parent_steps refuses "..".
MODEL_PATH_PATTERN = r"^/[A-Za-z0-9_.-][A-Za-z0-9/_.-]{0,199}$"


class _HubMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    schema_version: Literal[2] = 2
    site: Slug
    station: Slug

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class RemoteConfig(_HubMessage):
    """The sorting settings the hub holds for one station (categories, vision thresholds, grading rules, capture
    consent, blind-check share). The station's TOML file keeps the hardware and the credentials."""

    version: Text = Field(description="the hub's name for this config; the station reports it once applied")
    issued_at: UtcTime
    settings: dict[str, Any] = Field(description="validated by the station with config.remote's models")


class ModelManifest(_HubMessage):
    """The model one station should run. Another version on the same topic replaces it; the previous model's
    manifest again is a rollback (the station keeps the previous file, so it needs no download)."""

    stream: Slug
    version: Text
    sha256: str = Field(pattern=SHA256_PATTERN, description="of the model file, lowercase hex")
    size_bytes: int = Field(ge=1, le=MAX_MODEL_BYTES)
    url: str = Field(pattern=MODEL_PATH_PATTERN, description="path on the hub's URL to download the file from")
    signature: str = Field(pattern=SIGNATURE_PATTERN, description="Ed25519 over signed_message(), base64")
    issued_at: UtcTime

    @field_validator("url")
    @classmethod
    def _no_parent_steps(cls, value: str) -> str:
        if ".." in value.split("/"):
            raise ValueError("a model url may not step up a folder ('..')")
        return value

    def signed_message(self) -> bytes:
        """What the hub signs: everything that says which bytes to run, and nothing that differs per station
        (one signature serves the whole site)."""
        return f"sortcentre-model\n{self.stream}\n{self.version}\n{self.sha256}\n{self.size_bytes}".encode()


_MODELS: dict[TopicKind, type[_HubMessage]] = {TopicKind.CONFIG: RemoteConfig, TopicKind.MODEL: ModelManifest}


def decode_from_hub(topic: str, payload: bytes) -> tuple[StationTopic, RemoteConfig | ModelManifest]:
    """Validate a message the station received on its config or model topic; raise ContractError, nothing else."""
    try:
        ref = parse_topic(topic)
    except TopicError as exc:
        raise ContractError(RejectReason.BAD_TOPIC, str(exc)) from None
    if ref.kind not in HUB_TO_STATION:
        raise ContractError(RejectReason.BAD_TOPIC, f"{ref.kind.value} is not a topic the hub sends on")
    if len(payload) > MAX_HUB_MESSAGE_BYTES:
        raise ContractError(RejectReason.TOO_LARGE, f"{len(payload)} bytes > limit {MAX_HUB_MESSAGE_BYTES}")
    bounded_skeleton(payload, MAX_DEPTH, MAX_HUB_MESSAGE_ELEMENTS)
    try:
        raw = json.loads(payload.decode("utf-8"), object_pairs_hook=_unique_keys)
    except ContractError:
        raise
    except ValueError as exc:
        raise ContractError(RejectReason.NOT_JSON, f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ContractError(RejectReason.NOT_AN_OBJECT, f"JSON {type(raw).__name__}, expected an object")
    if type(raw.get("schema_version")) is not int or raw.get("schema_version") != 2:
        raise ContractError(RejectReason.UNKNOWN_SCHEMA_VERSION, "hub messages are schema_version 2")
    try:
        message = _MODELS[ref.kind].model_validate_json(payload)
    except ValidationError as exc:
        raise ContractError(RejectReason.INVALID_FIELDS, short_errors(exc)) from None
    if (message.site, message.station) != (ref.site, ref.station):
        raise ContractError(
            RejectReason.TOPIC_MISMATCH,
            f"payload says {message.site}/{message.station}, topic says {ref.site}/{ref.station}",
        )
    assert isinstance(message, RemoteConfig | ModelManifest)
    return ref, message


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ContractError(RejectReason.DUPLICATE_KEY, "an object names a key twice")
    return found
