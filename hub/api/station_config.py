"""A station's sorting settings held at the hub (remote config, docs/fleet.md), for admins:

- ``GET /api/v1/stations/{station}/config``: the version the hub holds, its settings, its history, and what the
  station last said (its heartbeat's ``config_version`` and ``config_error``);
- ``PUT /api/v1/stations/{station}/config``: new settings, validated with the station's own models first (a bad
  one is 422 naming the key, and neither stored nor published), stored as the next version and published;
- ``/stations/{station}/config``: the page to edit them.

The same endpoints answer at ``/api/stations/{station}/config``, the path issue 15 names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from config.remote import SettingsError
from core.contract.topics import SLUG_PATTERN
from core.package_data import data_path
from hub.api.deps import AdminDep, HubState, StateDep
from hub.auth.web import principal_from_request
from hub.fleet.config_store import ConfigVersion
from hub.fleet.remote_config import RemoteConfigs

router = APIRouter(tags=["fleet"])

PAGE = data_path("hub", "web", "static", "station-config.html")
HISTORY = 20  # versions listed with the current one

StationId = Annotated[str, Path(pattern=SLUG_PATTERN, description="station id")]
Status = Literal["in_step", "pending", "refused", "unknown", "file"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "admins only, of this site"},
    503: {"description": "this hub runs without remote config"},
}


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str | None = Field(
        None, pattern=SLUG_PATTERN, description="the station's site; needed only for a station the hub has not heard"
    )
    settings: dict[str, Any] = Field(
        description="config.remote.SortingSettings (docs/fleet.md): keys left out keep the station file's value"
    )


class VersionOut(BaseModel):
    version: str
    site: str
    changed_by: str
    changed_at: datetime


class HeldOut(VersionOut):
    settings: dict[str, Any]


class ReportedOut(BaseModel):
    config_version: str | None = Field(description="the remote config the station runs; null: its file's settings")
    config_error: str | None = Field(description="why the station refused the latest config, naming the key")
    heartbeat_received: datetime | None


class StationConfigOut(BaseModel):
    station: str
    site: str | None
    held: HeldOut | None = Field(description="the version the hub holds; null: none yet (the station runs its file)")
    reported: ReportedOut | None = Field(description="what the station's latest heartbeat said; null: none heard")
    status: Status = Field(
        description="in_step: runs the held version; pending: runs another (or has not said yet); refused: said "
        "why it refused one; unknown: no heartbeat; file: no version held, no refusal"
    )
    history: list[VersionOut]


class PutOut(HeldOut):
    published: bool = Field(description="handed to the broker now; false: goes out when the hub reconnects")


def _configs(state: HubState) -> RemoteConfigs:
    if state.remote_config is None:
        raise HTTPException(503, "this hub runs without remote config")
    return state.remote_config


def _live(state: HubState, station: str) -> tuple[str | None, ReportedOut | None]:
    """The station's site and what its latest heartbeat said, from the live view."""
    view = next((v for v in state.live.stations() if v.station == station), None)
    if view is None:
        return None, None
    hb = view.heartbeat
    if hb is None:
        return view.site, None
    return view.site, ReportedOut(
        config_version=hb.config_version, config_error=hb.config_error, heartbeat_received=view.heartbeat_received
    )


def status_of(held: str | None, reported: ReportedOut | None) -> Status:
    if reported is not None and reported.config_error:
        return "refused"
    if reported is None:
        return "unknown" if held is not None else "file"
    if held is None:
        return "file" if reported.config_version is None else "pending"
    return "in_step" if reported.config_version == held else "pending"


def _held(version: ConfigVersion) -> HeldOut:
    return HeldOut(
        version=version.version,
        site=version.site,
        changed_by=version.changed_by,
        changed_at=version.changed_at,
        settings=version.settings,
    )


@router.get("/api/v1/stations/{station}/config", responses=_ERRORS)
def get_config(station: StationId, state: StateDep, user: AdminDep) -> StationConfigOut:
    configs = _configs(state)
    held = configs.store.latest(station)
    site, reported = _live(state, station)
    site = held.site if held is not None else site
    if site is not None:
        user.scope(site)
    history = [
        VersionOut(version=v.version, site=v.site, changed_by=v.changed_by, changed_at=v.changed_at)
        for v in configs.store.history(station, HISTORY)
    ]
    return StationConfigOut(
        station=station,
        site=site,
        held=_held(held) if held is not None else None,
        reported=reported,
        status=status_of(held.version if held else None, reported),
        history=history,
    )


@router.put(
    "/api/v1/stations/{station}/config",
    responses=_ERRORS
    | {
        400: {"description": "a body that is not JSON"},
        409: {"description": "the body names another site than the station's"},
        422: {"description": "settings a station would refuse: the detail names the key; nothing stored"},
    },
)
def put_config(station: StationId, body: ConfigIn, state: StateDep, user: AdminDep) -> PutOut:
    configs = _configs(state)
    held = configs.store.latest(station)
    live_site, _reported = _live(state, station)
    known = held.site if held is not None else live_site
    if body.site is not None and known is not None and body.site != known:
        raise HTTPException(409, f"station {station} is at site {known}, not {body.site}")
    site = body.site or known
    if site is None:
        raise HTTPException(422, f"the hub has not heard of station {station}: name its site in the body")
    user.scope(site)
    try:
        stored, published = configs.put(station, site, body.settings, user.username)
    except SettingsError as exc:
        raise HTTPException(422, str(exc)) from None
    return PutOut(**_held(stored).model_dump(), published=published)


# The unversioned paths issue 15 names; the docs give the versioned ones.
router.add_api_route("/api/stations/{station}/config", get_config, methods=["GET"], include_in_schema=False)
router.add_api_route("/api/stations/{station}/config", put_config, methods=["PUT"], include_in_schema=False)


@router.get("/stations/{station}/config", include_in_schema=False)
def config_page(station: StationId, request: Request) -> Response:
    """The page for admins; its data comes from the API above, which checks the role itself."""
    try:
        principal = principal_from_request(request)
    except HTTPException as exc:
        if exc.status_code != 401:
            raise
        return RedirectResponse(f"/login?next=/stations/{station}/config", status_code=303)
    if not principal.is_admin:
        raise HTTPException(403, "admins only")
    return FileResponse(PAGE)
