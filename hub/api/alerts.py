"""GET /api/v1/alerts (the alerts now, and grouped by cause) and POST /api/v1/alerts/ack (a supervisor takes them
on). Shapes in hub/live/board.py, described in docs/dashboard.md ("Alerts")."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from hub.api.dashboard import SiteQuery, board_for
from hub.api.deps import StateDep, UserDep
from hub.live.board import AlertGroupOut, AlertOut, alert_groups

router = APIRouter(prefix="/api/v1/alerts", tags=["dashboard"])

# An alert id is "<kind>:<site>/<station>": two slugs and a kind fit well inside this.
MAX_ID_LENGTH = 200
# More alerts than a hub shows at once (1000 stations' worth would be a page nobody reads line by line).
MAX_IDS = 1000


class AlertsOut(BaseModel):
    generated: datetime
    alerts: list[AlertOut]
    alert_groups: list[AlertGroupOut]


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(
        min_length=1,
        max_length=MAX_IDS,
        description="ids of current alerts (``alerts[].id``); a group's ``alerts`` acknowledges the whole group",
    )


class AckOut(BaseModel):
    acknowledged: list[str]  # the ids acknowledged by this request; the others were already, by whoever did first
    alerts: list[AlertOut]  # every current alert of the person's sites, as GET answers


@router.get("", response_model=AlertsOut)
def get_alerts(state: StateDep, user: UserDep, site: SiteQuery = None) -> AlertsOut:
    board = board_for(state)
    found = board.current_alerts(user.scope(site))
    return AlertsOut(generated=board.clock(), alerts=found, alert_groups=alert_groups(found))


@router.post(
    "/ack",
    response_model=AckOut,
    responses={
        400: {"description": "a body that is not JSON"},
        404: {"description": "not a current alert of your sites"},
    },
)
async def acknowledge(state: StateDep, user: UserDep, body: AckIn) -> AckOut:
    """Supervisors (and admins) acknowledge current alerts of their own sites; who and when is kept and shown."""
    if state.acks is None:
        raise HTTPException(503, "this hub keeps no acknowledgements")
    if any(len(i) > MAX_ID_LENGTH for i in body.ids):
        raise HTTPException(400, f"ids: an alert id is at most {MAX_ID_LENGTH} characters")
    board = board_for(state)
    # The board takes the live views' lock and the store writes SQLite: never on the event loop.
    current = {a.id: a for a in await asyncio.to_thread(board.current_alerts, user.scope(None))}
    unknown = [i for i in dict.fromkeys(body.ids) if i not in current]
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise HTTPException(404, f"ids: {len(unknown)} not a current alert of your sites ({shown})")
    chosen = [(i, current[i].site) for i in dict.fromkeys(body.ids)]
    try:
        made = await asyncio.to_thread(state.acks.acknowledge, chosen, user.username, board.clock())
    except sqlite3.Error as exc:
        raise HTTPException(503, f"the acknowledgement could not be stored: {exc}") from exc
    # Every open dashboard and wall screen shows it at once, not at the next re-check.
    state.broadcaster.publish(frozenset((a.site, a.station) for i, a in current.items() if i in body.ids))
    after = await asyncio.to_thread(board.current_alerts, user.scope(None))
    return AckOut(acknowledged=[a.alert_id for a in made], alerts=after)
