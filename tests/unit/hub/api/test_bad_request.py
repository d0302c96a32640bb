"""The partner API (volume feed and reports) in the hub's own app: every parameter its OpenAPI schema lists,
sent with a bad value (and each required one left out), is a 400 whose one-sentence message names the
parameter; never FastAPI's 422 or pydantic's raw errors. The parameters are read from the schema, so a new
one is walked without touching this test. Also: 401 with WWW-Authenticate for a client without a key, and
the login redirect for a browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.api.bad_request import PARTNER_PREFIXES, describe
from hub.api.deps import HubState
from hub.feeds.periods import PeriodStore
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.keys import KeyStore
from hub.keys.ratelimit import TokenBucket
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1
from tests.unit.hub.feeds.conftest import FakeInflux

GOOD = {"from": "2026-10-01", "to": "2026-11-30", "kind": "bkn"}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    keys = KeyStore(tmp_path / "keys.sqlite", TokenBucket(100_000, 100_000))
    _, secret = keys.create(["volumes:read", "reports:read"], sites=["dalfsen"], label="test")
    state = HubState(
        cast(InfluxV1, FakeInflux()),
        cast(LiveStations, None),
        DeadLetters(),
        IngestMetrics(),
        keys=keys,
        periods=PeriodStore(tmp_path / "periods.sqlite"),
    )
    with TestClient(create_app(state)) as client:
        yield client, secret


def _concrete(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _concrete(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "anyOf" in schema:
        return _concrete(next(s for s in schema["anyOf"] if s.get("type") != "null"), components)
    return schema


def bad_value(schema: dict[str, Any]) -> str:
    """A value the schema itself refuses."""
    if "enum" in schema:
        return "not-one-of-them"
    if schema.get("format") == "date":
        return "2026-02-30"
    if schema.get("type") == "integer":
        return str(schema["minimum"] - 1) if "minimum" in schema else "many"
    if "pattern" in schema:
        return "Not A Slug!"
    if "maxLength" in schema:
        return "x" * (schema["maxLength"] + 1)
    raise AssertionError(f"no bad value known for {schema}: teach this test one")


def partner_parameters(client: TestClient) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    schema = cast(FastAPI, client.app).openapi()
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        if path.startswith(PARTNER_PREFIXES):
            for operation in operations.values():
                assert "422" not in operation["responses"], path  # they answer 400, and say so
                for parameter in operation.get("parameters", []):
                    found.append((path, parameter, _concrete(parameter["schema"], components)))
    return found


def _request(
    client: TestClient, secret: str, path: str, values: dict[str, str], where: dict[str, str]
) -> tuple[int, str]:
    url = path
    query = {}
    for name, value in values.items():
        if where.get(name) == "path":
            url = url.replace("{" + name + "}", value)
        else:
            query[name] = value
    answer = client.get(url, params=query, headers={"Authorization": f"Bearer {secret}"})
    return answer.status_code, answer.json()["detail"] if answer.status_code >= 400 else answer.text


def test_every_parameter_with_a_bad_value_is_400_naming_it(hub: tuple[TestClient, str]) -> None:
    client, secret = hub
    walked = partner_parameters(client)
    names = {(path, p["name"]) for path, p, _s in walked}
    assert {("/api/v1/feeds/volumes", "to"), ("/api/v1/reports/{kind}", "kind")} <= names and len(names) >= 13
    for path, parameter, schema in walked:
        where = {p["name"]: p["in"] for other, p, _s in walked if other == path}
        required = {p["name"]: GOOD[p["name"]] for other, p, _s in walked if other == path and p.get("required")}
        name = parameter["name"]
        cases = [required | {name: bad_value(schema)}]
        if parameter.get("required") and parameter["in"] != "path":
            cases.append({k: v for k, v in required.items() if k != name})
        for values in cases:
            status, detail = _request(client, secret, path, values, where)
            assert status == 400, (path, values, status, detail)
            assert f"'{name}'" in detail, (path, values, detail)
            assert isinstance(detail, str) and "\n" not in detail and "'loc'" not in detail, detail


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/v1/feeds/volumes", {"from": "2026-10-01"}, "'to' is missing: give a date as YYYY-MM-DD"),
        ("/api/v1/reports/cbs", {"from": "2026-10-01"}, "'to' is missing"),
        ("/api/v1/reports/cbs", {"from": "yesterday", "to": "2026-11-01"}, "'from' is not valid: give a date"),
        ("/api/v1/reports/pdf", {"from": "2026-10-01", "to": "2026-11-01"}, "'kind' must be one of"),
        ("/api/v1/feeds/volumes", GOOD | {"group_by": "colour"}, "group_by"),
        ("/api/v1/feeds/volumes", GOOD | {"cursor": "nonsense"}, "cursor"),
        ("/api/v1/feeds/volumes", GOOD | {"limit": "5000"}, "limit"),
        ("/api/v1/feeds/volumes", GOOD | {"municipality": "Atlantis"}, "municipality"),
        ("/api/v1/reports/bkn", GOOD | {"municipality": "Atlantis"}, "municipality"),
        ("/api/v1/feeds/volumes", {"from": "2026-11-30", "to": "2026-10-01"}, "from"),
    ],
)
def test_plain_sentences(hub: tuple[TestClient, str], path: str, params: dict[str, str], named: str) -> None:
    client, secret = hub
    answer = client.get(path, params=params, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 400 and named in answer.json()["detail"], answer.text


def test_the_dashboards_own_routes_keep_422(hub: tuple[TestClient, str]) -> None:
    client, _secret = hub
    assert client.post("/api/v1/login", json={"username": "jan"}).status_code == 422


def test_describe_counts_the_rest() -> None:
    errors = [
        {"type": "missing", "loc": ("query", "to"), "msg": "Field required", "input": None},
        {"type": "missing", "loc": ("query", "from"), "msg": "Field required", "input": None},
    ]
    assert describe(errors) == "query parameter 'to' is missing: give a date as YYYY-MM-DD; and 1 more problem(s)"
    long = [{"type": "string_too_long", "loc": ("query", "site"), "msg": "String should have at most 40 characters"}]
    assert describe([long[0] | {"input": "y" * 5000}]).endswith("'" + "y" * 40 + "…')")


def test_a_client_without_a_key_gets_401_with_www_authenticate(hub: tuple[TestClient, str]) -> None:
    client, _secret = hub
    for path in ("/api/v1/feeds/volumes", "/api/v1/reports/bkn"):
        for accept in ("application/json", "text/csv", "*/*"):
            answer = client.get(path, params=GOOD, headers={"Accept": accept}, follow_redirects=False)
            assert answer.status_code == 401, (path, accept, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert "Authorization: Bearer" in answer.json()["detail"] and "log in first" not in answer.text


def test_a_browser_without_a_session_goes_to_the_login_page_and_back(hub: tuple[TestClient, str]) -> None:
    client, _secret = hub
    page = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what Chromium sends for a link
    answer = client.get("/api/v1/reports/bkn", params=GOOD, headers={"Accept": page}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2Fapi%2Fv1%2Freports%2Fbkn%3Ffrom%3D2026-10-01")
