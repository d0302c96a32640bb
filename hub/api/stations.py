"""GET /api/v1/stations (live state) and the operational endpoints: health, metrics, dead letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from core.contract.topics import SLUG_PATTERN
from hub.api.deps import AdminDep, StateDep, UserDep
from hub.auth.web import metrics_reader

router = APIRouter()


@router.get("/api/v1/stations", tags=["stations"])
def list_stations(
    state: StateDep, user: UserDep, site: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None
) -> list[dict[str, Any]]:
    sites = user.scope(site)
    if site is not None:
        return state.live.as_dicts(site)
    return [view for view in state.live.as_dicts() if sites is None or view["site"] in sites]


@router.get("/api/v1/health", tags=["operations"], responses={503: {"description": "a hub thread died"}})
def health(state: StateDep, response: Response) -> dict[str, Any]:
    """The one endpoint without a login: load balancers and `make demo` ask it whether the hub is up.

    503 once one of the hub's threads died (ingest, rollups, live view: hub/supervision.py), with the reason:
    such a hub acknowledges nothing and is on its way out, for systemd to restart it. InfluxDB or the broker
    being away is not a failure of the hub (ingest waits and retries), so it only shows: ``influx: false``, and
    ``ingest.problem`` says why no event can arrive (on NATS also: not bound to the consumer yet)."""
    ingest = {"source": state.ingest_source, "problem": state.ingest_problem()}
    failures = state.supervisor.failures()
    if failures:
        response.status_code = 503
        return {"status": "failed", "reasons": failures, "influx": state.store.ping(), "ingest": ingest}
    return {"status": "ok", "influx": state.store.ping(), "ingest": ingest}


@router.get("/healthz", tags=["operations"], responses={503: {"description": "a hub thread died"}})
def healthz(state: StateDep, response: Response) -> dict[str, Any]:
    """The same answer as /api/v1/health, where probes and `make demo` look for it."""
    return health(state, response)


@router.get("/api/v1/admin/dead-letters", tags=["operations"])
def dead_letters(
    state: StateDep, _admin: AdminDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    return {
        "counts": state.dead_letters.counts(),
        "latest": [letter.as_dict() for letter in state.dead_letters.latest(limit)],
    }


@router.get(
    "/metrics",
    tags=["operations"],
    dependencies=[Depends(metrics_reader)],
    response_class=PlainTextResponse,  # Prometheus' text format, which the schema says
    responses={401: {"description": "no session and no (or a wrong) metrics token"}, 403: {"description": "admins"}},
)
def metrics(state: StateDep) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
