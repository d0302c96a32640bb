"""What the routers need, injected through FastAPI dependencies (set up by create_app)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1


@dataclass
class HubState:
    store: InfluxV1
    live: LiveStations
    dead_letters: DeadLetters
    metrics: IngestMetrics


def _state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


StateDep = Annotated[HubState, Depends(_state)]
