"""The fleet for admins: GET /api/v1/fleet (the station registry with each station's live state) and its page,
/fleet (docs/fleet.md, section Registry)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel

from core.package_data import data_path
from hub.api.deps import AdminDep, StateDep
from hub.auth.web import principal_from_request

router = APIRouter(tags=["fleet"])

PAGE = data_path("hub", "web", "static", "fleet.html")


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


@router.get("/fleet", include_in_schema=False)
def fleet_page(request: Request) -> Response:
    """The page for admins; the data comes from /api/v1/fleet, which checks the role itself."""
    try:
        principal = principal_from_request(request)
    except HTTPException as exc:
        if exc.status_code != 401:
            raise
        return RedirectResponse("/login?next=/fleet", status_code=303)
    if not principal.is_admin:
        raise HTTPException(403, "admins only")
    return FileResponse(PAGE)
