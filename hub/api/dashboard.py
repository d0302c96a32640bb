"""GET /api/v1/dashboard (tiles and alerts now) and GET /api/v1/live (the same, pushed as server-sent events).

Both answer only for the sites the person may see (``Principal.scope``); the shapes are built in
hub/live/board.py and described in docs/dashboard.md.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from core.contract.topics import SLUG_PATTERN
from hub.api.deps import HubState, StateDep, UserDep
from hub.live.board import Board, DashboardOut, Sites
from hub.live.broadcast import Broadcaster

router = APIRouter(prefix="/api/v1", tags=["dashboard"])

SiteQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN, description="only this site")]

# 15 s: well inside the idle timeouts of browsers and proxies, so a quiet hub does not look like a dead one.
KEEPALIVE_S = 15.0
# Alerts also start by time passing (a station silent for N minutes) with no message to announce it: each
# stream re-checks its alerts this often when nothing else happened.
ALERT_RECHECK_S = 5.0
# A browser that stops reading must not hold a server task forever.
SEND_TIMEOUT_S = 10.0
# The page reconnects this soon after the stream drops (a hub restart).
RECONNECT_MS = 1000


def board_for(state: HubState) -> Board:
    held = state.remote_config.store.held if state.remote_config is not None else None
    return Board(state.live, state.activity, state.dashboard, state.started, held_configs=held, acks=state.acks)


@router.get("/dashboard", response_model=DashboardOut)
def get_dashboard(state: StateDep, user: UserDep, site: SiteQuery = None) -> DashboardOut:
    scope = user.scope(site)
    return board_for(state).dashboard(user.scope(None), scope)


@router.get("/live", response_class=EventSourceResponse)
async def live(state: StateDep, user: UserDep, site: SiteQuery = None) -> EventSourceResponse:
    scope = user.scope(site)  # a foreign site is refused here, before the stream starts
    stream = board_changes(board_for(state), state.broadcaster, user.scope(None), scope)
    return EventSourceResponse(stream, ping=KEEPALIVE_S, send_timeout=SEND_TIMEOUT_S)


async def board_changes(
    board: Board, broadcaster: Broadcaster, visible: Sites, scope: Sites
) -> AsyncIterator[ServerSentEvent]:
    """``snapshot`` first, then an ``update`` whenever a station of the scope changed or the alerts did."""
    # Subscribed before the dashboard is read, so a change that lands in between is sent, not lost.
    subscription = broadcaster.subscribe()
    try:
        # The board takes the live views' lock: never on the event loop.
        first = await asyncio.to_thread(board.dashboard, visible, scope)
        yield ServerSentEvent(data=first.model_dump_json(), event="snapshot", retry=RECONNECT_MS)
        sent_alerts = json.dumps([a.model_dump(mode="json") for a in first.alerts])
        while True:
            changed = await subscription.next(ALERT_RECHECK_S)
            if changed is None:
                return  # the hub is stopping
            update = await asyncio.to_thread(board.update, scope, changed)
            alerts = json.dumps([a.model_dump(mode="json") for a in update.alerts])
            if not update.stations and alerts == sent_alerts:
                continue  # another site's change, or nothing new
            sent_alerts = alerts
            yield ServerSentEvent(data=update.model_dump_json(), event="update")
    finally:
        subscription.close()
