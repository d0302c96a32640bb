"""The fleet for admins: GET /api/v1/fleet, the station registry with each station's live state (docs/fleet.md,
section Registry). Its page is static (/static/fleet.html, no data of its own), as the login page is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from hub.api.deps import AdminDep, StateDep

router = APIRouter(tags=["fleet"])


class FleetStationOut(BaseModel):
    id: str
    site: str
    stream: str | None
    added_at: datetime | None
    retired_at: datetime | None
    first_seen: datetime | None
    last_seen: datetime | None
    software_version: str | None
    config_version: str | None
    model_version: str | None
    broker_account: str | None
    unregistered: bool  # heard of by the hub, never added by an admin
    retired: bool
    state: str  # the live view's: online | offline | stopped | unknown (not heard since the hub started)


class FleetOut(BaseModel):
    stations: list[FleetStationOut]


@router.get(
    "/api/v1/fleet",
    responses={403: {"description": "admins only"}, 503: {"description": "this hub runs without a registry"}},
)
def fleet(state: StateDep, _admin: AdminDep) -> FleetOut:
    """Every station in the registry: added, heard of (``unregistered``) or retired, with its versions."""
    if state.registry is None:
        raise HTTPException(503, "this hub runs without a station registry")
    live = {view.key: view.state for view in state.live.stations()}
    stations: list[dict[str, Any]] = [
        {**record.as_dict(), "state": live.get((record.site, record.id), "unknown")} for record in state.registry.list()
    ]
    return FleetOut(stations=[FleetStationOut(**station) for station in stations])


# The same answer at the unversioned path issue 15 names; the docs give the versioned one.
router.add_api_route("/api/fleet", fleet, include_in_schema=False, response_model=FleetOut)
