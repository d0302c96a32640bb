"""The wall screen (docs/dashboard.md, "Wall screen"): the page ``/wall?site=...``, its read-only data, the pairing
of a screen, and the admins' routes that pair and revoke screens.

A wall screen shows one site's live view without a login: an admin pairs it with a screen token
(``hub.auth.screens``), the page hands the token over once (POST /api/v1/wall/pair) and the browser keeps it in
an HttpOnly cookie. Only the three ``/api/v1/wall/...`` reads below look at that cookie, and only for the token's
own site; every other route knows the session cookie alone, so a screen reads nothing else and writes nothing.
A logged-in person may open the wall too, for the sites they may see.

The data is the dashboard's own (``hub.api.dashboard``: the same board and the same event stream) and the
dashboard's today chart (``hub.storage.history``): no second data path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from core.contract.topics import SLUG_PATTERN
from core.package_data import data_path
from hub.api import dashboard
from hub.api.deps import AdminDep, StateDep
from hub.api.errors import STORE_ERRORS, ErrorOut, store_error
from hub.api.history import HistoryOut, as_json
from hub.auth.screens import MAX_LABEL_LENGTH, MAX_TOKEN_LENGTH, Screen, ScreenError, ScreenStore, pair_path
from hub.auth.web import COOKIE, client_address, logins_of, principal_from_request
from hub.live.board import DashboardOut
from hub.storage.history import Group, history
from hub.storage.influx_v1 import InfluxError
from hub.storage.throughput import Period

logger = logging.getLogger(__name__)
router = APIRouter()

WALL_PAGE = data_path("hub", "web", "static", "wall.html")
SCREEN_COOKIE = "sortcentre_screen"
SCREEN_COOKIE_PATH = "/api/v1/wall"
# request.state key: the screen token that let this request in (none: a logged-in person).
SCREEN_TOKEN = "wall_screen_token"  # noqa: S105 - a key name, not a secret
# Chromium keeps no cookie longer than 400 days; revoking the token is what ends a screen, not the cookie.
SCREEN_COOKIE_MAX_AGE_S = 400 * 86_400
# A screen's open event stream asks this often whether its token is still good (revoked: the stream ends).
REVALIDATE_S = 30.0
# The page holds no data (it asks the API); it must not be framed by another site nor cached.
PAGE_HEADERS = {"Content-Security-Policy": "frame-ancestors 'none'", "Cache-Control": "no-store"}

SiteQuery = Annotated[
    str | None, Query(pattern=SLUG_PATTERN, description="the site the wall shows (a paired screen: its own)")
]
NOT_PAIRED = "this screen is not paired: an admin pairs it (docs/dashboard.md), or log in"
REVOKED = "this screen's token is revoked or unknown: pair the screen again, or log in"


def screens_of(request: Request) -> ScreenStore:
    """The screens table in the users file, made once per app (no user store: no screen can be paired)."""
    store: ScreenStore | None = getattr(request.app.state, "screens", None)
    if store is None:
        store = ScreenStore(logins_of(request).users.path)
        request.app.state.screens = store
    return store


def wall_scope(request: Request, site: SiteQuery = None) -> frozenset[str]:
    """The one site a wall request may read: a logged-in person's (if it is theirs), else the screen's own.

    Who is asking is settled before the site is looked at, so a request without a login or a screen learns
    nothing, not even which sites exist."""
    if request.cookies.get(COOKIE):
        try:
            user = principal_from_request(request)
        except HTTPException as exc:
            if exc.status_code != 401 or not request.cookies.get(SCREEN_COOKIE):
                raise
        else:
            if site is None:
                raise HTTPException(400, "site: name the site the wall shows (/wall?site=...)")
            user.scope(site)  # 403 for a site that is not theirs
            return frozenset({site})
    token = request.cookies.get(SCREEN_COOKIE)
    if not token:
        raise HTTPException(401, NOT_PAIRED)
    screen = screens_of(request).authenticate(token)
    if screen is None:
        raise HTTPException(401, REVOKED)
    if site is not None and screen.site != site:
        logger.warning("wall screen %s (site %s) asked for site %s", screen.id, screen.site, site)
        raise HTTPException(403, f"this screen shows site {screen.site!r} only")
    setattr(request.state, SCREEN_TOKEN, token)  # read by a screen's event stream, which checks it again later
    return frozenset({screen.site})


WallScope = Annotated[frozenset[str], Depends(wall_scope)]
WALL_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "a logged-in person who names no site"},
    401: {"model": ErrorOut, "description": "neither a paired screen nor a logged-in person"},
    403: {"model": ErrorOut, "description": "another site than the screen's, or than the person's"},
}


@router.get("/wall", include_in_schema=False)
def wall_page() -> FileResponse:
    # Served to anyone: the page pairs itself from its link's fragment, then asks the API, which checks.
    return FileResponse(WALL_PAGE, headers=PAGE_HEADERS)


@router.get("/api/v1/wall/dashboard", tags=["wall"], response_model=DashboardOut, responses=WALL_ERRORS)
def wall_dashboard(state: StateDep, scope: WallScope) -> DashboardOut:
    return dashboard.board_for(state).dashboard(scope, scope)


@router.get("/api/v1/wall/live", tags=["wall"], response_class=EventSourceResponse, responses=WALL_ERRORS)
async def wall_live(state: StateDep, scope: WallScope, request: Request) -> EventSourceResponse:
    stream = dashboard.board_changes(dashboard.board_for(state), state.broadcaster, scope, scope)
    token: str | None = getattr(request.state, SCREEN_TOKEN, None)
    if token is not None:
        # A screen's stream stays open for days: it ends soon after its token is revoked, and the page's next
        # request gets the 401 that sends it to "not paired".
        screens = screens_of(request)
        stream = while_valid(stream, lambda: screens.authenticate(token) is not None)
    return EventSourceResponse(stream, ping=dashboard.KEEPALIVE_S, send_timeout=dashboard.SEND_TIMEOUT_S)


async def while_valid(
    stream: AsyncIterator[ServerSentEvent], valid: Callable[[], bool], every_s: float | None = None
) -> AsyncIterator[ServerSentEvent]:
    """``stream``'s events for as long as ``valid()`` (asked in a thread, at most every ``every_s``, default
    ``REVALIDATE_S``) says yes, whether the stream is busy or quiet."""
    every_s = REVALIDATE_S if every_s is None else every_s
    queue: asyncio.Queue[ServerSentEvent] = asyncio.Queue(maxsize=1)  # the stream waits for a slow browser

    async def pump() -> None:
        try:
            async for event in stream:
                await queue.put(event)
        finally:
            close = getattr(stream, "aclose", None)  # the dashboard's stream unsubscribes from the broadcaster
            if close is not None:
                await close()

    task = asyncio.create_task(pump())
    checked = time.monotonic()
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), max(0.0, checked + every_s - time.monotonic()))
            except TimeoutError:
                event = None
            if event is not None:
                yield event
            elif task.done() and queue.empty():
                return  # the hub is stopping
            if time.monotonic() - checked >= every_s:
                if not await asyncio.to_thread(valid):
                    logger.info("wall screen's live view ended: its token was revoked")
                    return
                checked = time.monotonic()
    finally:
        task.cancel()


@router.get("/api/v1/wall/today", tags=["wall"], response_model=HistoryOut, responses={**STORE_ERRORS, **WALL_ERRORS})
async def wall_today(state: StateDep, scope: WallScope) -> HistoryOut:
    """Today by hour, kg per stream: the dashboard's today chart (GET /api/v1/history?period=day&group=stream)."""
    try:
        found = await asyncio.to_thread(history, state.store, Period.DAY, Group.STREAM, scope)
    except InfluxError as exc:
        raise store_error(exc) from None
    return as_json(found)


# -- pairing -------------------------------------------------------------------------------------------------


class PairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=MAX_TOKEN_LENGTH, description="the screen token from the pairing link")


class PairedOut(BaseModel):
    screen: str = Field(description="the screen's id (not secret)")
    site: str


@router.post(
    "/api/v1/wall/pair",
    tags=["wall"],
    responses={
        400: {"model": ErrorOut, "description": "a body that is not JSON"},
        401: {"model": ErrorOut, "description": "a token that is unknown or revoked"},
        403: {"model": ErrorOut, "description": "sent from a page that is not the hub's own (Origin)"},
    },
)
def pair(body: PairIn, request: Request, response: Response) -> PairedOut:
    """Trades the pairing link's token for the screen cookie (HttpOnly: no script reads it afterwards)."""
    screen = screens_of(request).authenticate(body.token)
    if screen is None:
        logger.warning("refused to pair a wall screen from %s: unknown or revoked token", client_address(request))
        raise HTTPException(401, REVOKED)
    response.set_cookie(
        SCREEN_COOKIE,
        body.token,
        max_age=SCREEN_COOKIE_MAX_AGE_S,
        path=SCREEN_COOKIE_PATH,  # the browser sends it to the wall's reads only; the hub ignores it elsewhere too
        secure=logins_of(request).settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    logger.info("wall screen %s (site %s) paired from %s", screen.id, screen.site, client_address(request))
    return PairedOut(screen=screen.id, site=screen.site)


# -- admins: pair and revoke ---------------------------------------------------------------------------------


class ScreenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str = Field(pattern=SLUG_PATTERN, description="the one site this screen shows")
    label: str = Field("", max_length=MAX_LABEL_LENGTH, description="where it hangs, e.g. 'hal Zwolle'")


class ScreenOut(BaseModel):
    id: str
    site: str
    label: str
    created: datetime
    created_by: str
    last_seen: datetime | None
    revoked_at: datetime | None


class NewScreenOut(ScreenOut):
    token: str = Field(description="shown once: the hub keeps only its SHA-256")
    pair_path: str = Field(description="open this on the screen (prefix the hub's address)")


def screen_out(screen: Screen) -> ScreenOut:
    return ScreenOut(
        id=screen.id,
        site=screen.site,
        label=screen.label,
        created=screen.created,
        created_by=screen.created_by,
        last_seen=screen.last_seen,
        revoked_at=screen.revoked_at,
    )


ADMIN_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "not logged in"},
    403: {"model": ErrorOut, "description": "admins only"},
}


@router.get("/api/v1/screens", tags=["wall"], responses=ADMIN_ERRORS)
def list_screens(_admin: AdminDep, request: Request) -> list[ScreenOut]:
    return [screen_out(screen) for screen in screens_of(request).screens()]


@router.post(
    "/api/v1/screens",
    tags=["wall"],
    status_code=201,
    responses={
        **ADMIN_ERRORS,
        400: {"model": ErrorOut, "description": "not JSON, or a site not in the reference data"},
    },
)
def add_screen(body: ScreenIn, admin: AdminDep, state: StateDep, request: Request) -> NewScreenOut:
    if body.site not in state.reference.sites:
        known = ", ".join(sorted(state.reference.sites))
        raise HTTPException(400, f"site {body.site!r} is not in the reference data (known: {known})")
    try:
        screen, token = screens_of(request).create(body.site, body.label, created_by=admin.username)
    except ScreenError as exc:
        raise HTTPException(400, str(exc)) from None
    return NewScreenOut(**screen_out(screen).model_dump(), token=token, pair_path=pair_path(screen.site, token))


@router.delete(
    "/api/v1/screens/{screen_id}",
    tags=["wall"],
    responses={**ADMIN_ERRORS, 404: {"model": ErrorOut, "description": "no such screen"}},
)
def revoke_screen(screen_id: Annotated[str, Path(max_length=40)], _admin: AdminDep, request: Request) -> ScreenOut:
    try:
        return screen_out(screens_of(request).revoke(screen_id))
    except ScreenError as exc:
        raise HTTPException(404, str(exc)) from None
