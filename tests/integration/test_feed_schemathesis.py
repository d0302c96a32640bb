"""Schemathesis against the feed's own OpenAPI schema (/api/v1/feeds/openapi.json): at least 500 generated
requests, valid and invalid, with an API key, on the real hub and InfluxDB, and none may get a 5xx.

Random dates mostly lie centuries apart, and the feed refuses those with a 400 before it reads anything; so
half of the valid cases get their dates moved near the present and a range of up to about a year, to reach
InfluxDB and the grouping code as well as the parameter checks."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.transport.mqtt import MqttClient
from hub.service import Hub
from tests.integration.generated_cases import for_each_case
from tests.integration.test_feeds import REFERENCE, STATIONS, Fleet, feed_app, publish

# Valid and invalid (schema-violating) requests; the sum is what the acceptance asks for, with a margin for
# the few cases Hypothesis may reject while generating.
POSITIVE_EXAMPLES = 420
NEGATIVE_EXAMPLES = 130
REQUIRED = 500
# No 5xx is the acceptance; the conformance checks hold the schema to what the feed answers, since partners
# build their clients from it.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def near_the_present(case: Case) -> Case:
    """Every other case: `from` moved to 2020-2027, `to` up to 400 days after it (over the 366-day limit now
    and then). Derived from the generated value, so Hypothesis can still replay and shrink a case."""
    query: dict[str, Any] = case.query or {}
    try:
        first = date.fromisoformat(str(query.get("from")))
    except ValueError:
        return case
    if first.toordinal() % 2:
        return case
    first = date(2020 + first.year % 8, first.month, min(first.day, 28))
    query["from"], query["to"] = first.isoformat(), (first + timedelta(days=first.toordinal() % 400)).isoformat()
    return case


def test_no_server_errors_over_generated_requests(hub: Hub, station: MqttClient, tmp_path: Path) -> None:
    fleet = Fleet(seed=17)
    now = datetime.now(UTC).replace(microsecond=0)
    events = [fleet.event(now - timedelta(days=n % 60, seconds=60 + n), station=s) for n in range(15) for s in STATIONS]
    publish(hub, station, events)
    app = feed_app(hub, tmp_path)
    _key, secret = app.state.keys.create(
        ["volumes:read"], municipalities=[m.slug for m in REFERENCE.municipalities], label="schemathesis"
    )
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/feeds/openapi.json", app)
    operation = schema["/api/v1/feeds/volumes"]["GET"]

    sent: dict[str, int] = {}
    statuses: dict[int, int] = {}

    def run(mode: GenerationMode, examples: int) -> None:
        def check(case: Case) -> None:
            response = case.call(headers=headers)
            sent[mode.value] = sent.get(mode.value, 0) + 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        for_each_case(operation, mode, examples, near_the_present, check)

    started = time.monotonic()
    run(GenerationMode.POSITIVE, POSITIVE_EXAMPLES)
    run(GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
    elapsed = time.monotonic() - started
    total = sum(sent.values())
    print(f"schemathesis: {total} requests {sent} in {elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}")  # noqa: T201
    assert total >= REQUIRED, sent
    assert not any(status >= 500 for status in statuses)
    assert statuses.get(200, 0) >= 80, statuses  # the queries reached InfluxDB, not only the parameter checks
    assert statuses.get(400, 0) >= 25, statuses  # and invalid requests were refused as such (400, never 422)
    assert 422 not in statuses, statuses
