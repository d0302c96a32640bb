"""GET /api/v1/stations (live state) and the operational endpoints: health, metrics, dead letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hub.api.deps import StateDep
from sortcentre.wire.topics import SLUG_PATTERN

router = APIRouter()


@router.get("/api/v1/stations", tags=["stations"])
def list_stations(
    state: StateDep, site: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None
) -> list[dict[str, Any]]:
    return state.live.snapshot(site)


@router.get("/api/v1/health", tags=["operations"])
def health(state: StateDep) -> dict[str, Any]:
    return {"status": "ok", "influx": state.store.ping()}


@router.get("/api/v1/admin/dead-letters", tags=["operations"])
def dead_letters(state: StateDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    return {
        "counts": state.dead_letters.counts(),
        "latest": [letter.as_dict() for letter in state.dead_letters.latest(limit)],
    }


@router.get("/metrics", tags=["operations"])
def metrics(state: StateDep) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
