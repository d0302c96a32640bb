"""Every parameter any caller (a partner key above all) can send is bounded in the schema, so it is refused
(422) before the hub parses or queries anything: strings by a length or a bounded pattern, numbers by a
range. What a valid request may cost is bounded further by the feed's settings (tests/unit/hub/feeds)."""

from __future__ import annotations

import re
from typing import Any, cast

from hub.api.app import create_app
from hub.api.deps import HubState
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1

# An anchored pattern without an unbounded repeat (+, *, {n,}) matches strings of a bounded length only.
_UNBOUNDED = re.compile(r"(?<!\\)[+*]|\{\d+,\}")


def bounded(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return bounded(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "anyOf" in schema:
        return all(bounded(part, components) for part in schema["anyOf"])
    kind = schema.get("type")
    if kind == "null" or "enum" in schema:
        return True
    if kind == "string":
        if schema.get("format") in ("date", "date-time"):
            return True  # parsed as a date or moment; the range is the range check's (hub/feeds/ranges.py)
        pattern = schema.get("pattern", "")
        fixed = pattern.startswith("^") and pattern.endswith("$") and not _UNBOUNDED.search(pattern)
        return "maxLength" in schema or fixed
    if kind == "integer":
        return "maximum" in schema and "minimum" in schema
    return False


def test_every_parameter_of_the_hubs_api_is_bounded() -> None:
    state = HubState(cast(InfluxV1, None), cast(LiveStations, None), DeadLetters(), IngestMetrics())
    schema = create_app(state).openapi()
    components = schema["components"]["schemas"]
    seen = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                seen.append((method, path, parameter["name"]))
                assert bounded(parameter["schema"], components), (method, path, parameter)
    assert ("get", "/api/v1/feeds/volumes", "cursor") in seen and len(seen) >= 25
    login = components["LoginIn"]["properties"]
    assert all("maxLength" in field for field in login.values())
