"""What the routers need, injected through FastAPI dependencies (set up by create_app).

``UserDep`` is the logged-in person (a ``Principal``, hub/auth/principal.py); every router except health and
login takes it, and scopes what it answers to ``Principal.sites``. ``current_user`` is implemented in
``hub.auth``; tests of a router alone may replace it with
``app.dependency_overrides[current_user] = lambda: Principal(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request

from config.dashboard import DashboardSettings
from config.feeds import FeedSettings
from hub.auth.principal import Principal
from hub.auth.web import principal_from_request
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.activity import Activity
from hub.live.broadcast import Broadcaster
from hub.live.stations import LiveStations
from hub.reference import ReferenceData, load_reference
from hub.storage.influx_v1 import InfluxV1
from hub.supervision import Supervisor

if TYPE_CHECKING:
    from hub.auth.logins import Logins
    from hub.captures.uploads import CaptureUploads
    from hub.feeds.periods import PeriodStore
    from hub.fleet.learning import LearningLoop
    from hub.fleet.models import ModelStore
    from hub.fleet.registry import StationRegistry
    from hub.fleet.remote_config import RemoteConfigs
    from hub.keys.store import KeyStore
    from hub.live.acks import AlertAcks


@dataclass
class HubState:
    store: InfluxV1
    live: LiveStations
    dead_letters: DeadLetters
    metrics: IngestMetrics
    logins: Logins | None = None  # users, sessions and the login rate limit; None: nobody can log in
    # The dashboard (hub/live/); the defaults serve an app built without a running Hub: live views, no numbers.
    activity: Activity = field(default_factory=lambda: Activity(None))
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))  # when the hub began listening
    # Feeds and reports (docs/feeds.md): reference data, partners' API keys; None: no key is accepted.
    reference: ReferenceData = field(default_factory=lambda: load_reference(None))
    keys: KeyStore | None = None
    periods: PeriodStore | None = None  # closed months and their frozen figures; None: the feed answers 503
    feeds: FeedSettings = field(default_factory=FeedSettings)
    supervisor: Supervisor = field(default_factory=Supervisor)  # the hub's threads; /healthz fails once one died
    models: ModelStore | None = None  # bundles served to the stations (docs/fleet.md); None: /api/models/ is 404
    registry: StationRegistry | None = None  # the station registry (docs/fleet.md); None: /api/v1/fleet answers 503
    captures: CaptureUploads | None = None  # uploads from the stations (docs/fleet.md); None: PUT answers 503
    remote_config: RemoteConfigs | None = None  # stations' sorting settings (docs/fleet.md); None: the API answers 503
    learning: LearningLoop | None = None  # training and rollouts (docs/fleet.md); None: /api/fleet/train answers 503
    acks: AlertAcks | None = None  # acknowledged alerts (hub/live/acks.py); None: POST /api/v1/alerts/ack answers 503
    # The ingest's source and why no event can reach it now (hub/ingest/source.py); for /api/v1/health.
    ingest_source: str | None = None
    ingest_problem: Callable[[], str | None] = lambda: None


def _state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


StateDep = Annotated[HubState, Depends(_state)]


def current_user(request: Request) -> Principal:
    """The person behind the request's session cookie (``hub.auth``), or 401."""
    return principal_from_request(request)


UserDep = Annotated[Principal, Depends(current_user)]


def require_admin(user: UserDep) -> Principal:
    if not user.is_admin:
        raise HTTPException(403, "admins only")
    return user


AdminDep = Annotated[Principal, Depends(require_admin)]
