"""The dashboard's data: one tile per station (live view joined with its activity) and the current alerts.

The JSON shapes are the API contract of issue 6 (docs/dashboard.md); both ``GET /api/v1/dashboard`` and the
event stream ``GET /api/v1/live`` are built here, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel

from config.dashboard import DashboardSettings
from hub.live.acks import Ack, AlertAcks
from hub.live.activity import Activity, StationActivity
from hub.live.alerts import Alert, alerts
from hub.live.stations import LiveStation, LiveStations, StationKey

Sites = frozenset[str] | None  # None: every site


class Rate(BaseModel):
    kg_per_h: float
    items_per_h: float


class CategoryOut(BaseModel):
    stream: str
    category: str
    kg: float
    items: int


class Today(BaseModel):
    kg: float
    items: int
    by_category: list[CategoryOut]


class SuggestionOut(BaseModel):
    label: str
    confidence: float
    model_version: str


class LastEventOut(BaseModel):
    time: datetime
    type: str
    stream: str
    category: str
    weight_kg: float
    suggestion: SuggestionOut | None
    accepted: bool | None
    seq: int  # the station's sequence number: tells a repeated event from a new one of the same weight


class Tile(BaseModel):
    site: str
    station: str
    state: str  # online | offline | unknown
    state_since: datetime | None
    last_15min: Rate
    today: Today
    last_event: LastEventOut | None
    journal_depth: int | None
    oldest_unsent_age_s: float | None
    scale: str | None
    camera: str | None
    model_version: str | None
    clock_offset_s: float | None  # the median of the last heartbeats' receive time minus station time
    clock_suspect: bool  # a clock alert (warning): further off than dashboard.clock.offset_alert_s
    missing_events: int
    heartbeat_received: datetime | None
    unregistered: bool  # not a station in service in the registry: its events are stored, the tile flags it
    config_version: str | None = None  # the remote config the station runs (docs/fleet.md); null: its file
    config_error: str | None = None  # why it refused the latest one, naming the key
    config_held: str | None = None  # the version the hub holds for it; null: none


class AlertOut(BaseModel):
    id: str
    kind: str
    site: str
    station: str
    since: datetime | None
    detail: str
    severity: str  # critical | warning | notice
    acknowledged_by: str | None = None  # the supervisor who acknowledged it; null: nobody yet
    acknowledged_at: datetime | None = None


class AlertGroupOut(BaseModel):
    """The alerts of one cause (kind and severity) at every station of the view: one line on a page."""

    kind: str
    severity: str
    count: int  # stations
    acknowledged: int  # of them acknowledged
    alerts: list[str]  # their ids, in the order of ``alerts``
    stations: list[str]  # "site/station", in the same order


class DashboardOut(BaseModel):
    generated: datetime
    sites: list[str]
    stations: list[Tile]
    alerts: list[AlertOut]
    alert_groups: list[AlertGroupOut] = []


class UpdateOut(BaseModel):
    generated: datetime
    stations: list[Tile]
    alerts: list[AlertOut]
    alert_groups: list[AlertGroupOut] = []


# A station that exited cleanly ("stopped") is offline to a supervisor; the alerts tell the two apart.
_STATES = {"online": "online", "offline": "offline", "stopped": "offline"}


def tile(site: str, station: str, view: LiveStation | None, activity: StationActivity, held: str | None = None) -> Tile:
    view = view or LiveStation(site, station)  # known only from today's events in InfluxDB
    hb, event = view.heartbeat, view.last_event
    last_event = None
    if event is not None:
        suggestion = event.suggestion
        last_event = LastEventOut(
            time=event.station_time,
            type=event.type.value,
            stream=event.stream,
            category=event.category,
            weight_kg=event.weight_kg,
            suggestion=None if suggestion is None else SuggestionOut(**suggestion.model_dump()),
            accepted=event.accepted,
            seq=event.seq,
        )
    return Tile(
        site=site,
        station=station,
        state=_STATES.get(view.state, "unknown"),
        state_since=view.state_since,
        last_15min=Rate(kg_per_h=activity.kg_per_h, items_per_h=activity.items_per_h),
        today=Today(
            kg=activity.today_kg,
            items=activity.today_items,
            by_category=[
                CategoryOut(stream=c.stream, category=c.category, kg=c.kg, items=c.items) for c in activity.by_category
            ],
        ),
        last_event=last_event,
        journal_depth=None if hb is None else hb.journal_depth,
        oldest_unsent_age_s=None if hb is None else hb.oldest_unsent_age_s,
        scale=None if hb is None else hb.scale.value,
        camera=None if hb is None else hb.camera.value,
        model_version=None if hb is None else hb.model_version,
        clock_offset_s=None if view.clock_offset_s is None else round(view.clock_offset_s, 3),
        clock_suspect=view.clock_suspect,
        missing_events=view.missing_events,
        heartbeat_received=view.heartbeat_received,
        unregistered=view.unregistered,
        config_version=None if hb is None else hb.config_version,
        config_error=None if hb is None else hb.config_error,
        config_held=held,
    )


def alert_out(alert: Alert, ack: Ack | None = None) -> AlertOut:
    return AlertOut(
        id=alert.id,
        kind=alert.kind.value,
        site=alert.site,
        station=alert.station,
        since=alert.since,
        detail=alert.detail,
        severity=alert.severity.value,
        acknowledged_by=None if ack is None else ack.by,
        acknowledged_at=None if ack is None else ack.at,
    )


def alert_groups(found: list[AlertOut]) -> list[AlertGroupOut]:
    """One group per kind and severity, in the order of their first alert (critical first)."""
    groups: dict[tuple[str, str], AlertGroupOut] = {}
    for alert in found:
        group = groups.setdefault(
            (alert.kind, alert.severity),
            AlertGroupOut(kind=alert.kind, severity=alert.severity, count=0, acknowledged=0, alerts=[], stations=[]),
        )
        group.count += 1
        group.acknowledged += alert.acknowledged_by is not None
        group.alerts.append(alert.id)
        group.stations.append(f"{alert.site}/{alert.station}")
    return list(groups.values())


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Board:
    live: LiveStations
    activity: Activity
    settings: DashboardSettings
    watching_since: datetime  # when the hub began listening (alerts: silence before is not the station's)
    clock: Callable[[], datetime] = field(default=_now)
    # Station -> the remote config version the hub holds (hub/fleet/config_store.py); None: no remote config.
    held_configs: Callable[[], Mapping[str, str]] | None = None
    acks: AlertAcks | None = None  # who acknowledged which alert (hub/live/acks.py); None: nobody can

    def _held(self) -> Mapping[str, str]:
        return self.held_configs() if self.held_configs is not None else {}

    def _views(self, scope: Sites) -> dict[StationKey, LiveStation]:
        return {v.key: v for v in self.live.stations(scope)}

    def _tiles(
        self, views: dict[StationKey, LiveStation], scope: Sites, only: Collection[StationKey] | None = None
    ) -> list[Tile]:
        keys = set(views) | set(self.activity.keys(scope))
        if only is not None:
            keys &= set(only)
        held = self._held()
        return [
            tile(site, name, views.get((site, name)), self.activity.station(site, name), held.get(name))
            for site, name in sorted(keys)
        ]

    def alerts(self, views: dict[StationKey, LiveStation], now: datetime, scope: Sites = None) -> list[AlertOut]:
        found = alerts(views.values(), now, self.settings, self.watching_since, self._held())
        acks = self.acks.current([a.id for a in found], scope, now) if self.acks is not None else {}
        return [alert_out(a, acks.get(a.id)) for a in found]

    def current_alerts(self, scope: Sites) -> list[AlertOut]:
        """The alerts of ``scope`` now (``GET /api/v1/alerts``, and what an acknowledgement may name)."""
        return self.alerts(self._views(scope), self.clock(), scope)

    def sites(self, visible: Sites) -> list[str]:
        """The sites the person may see that the hub knows of (live or from today's numbers)."""
        known = {v.site for v in self.live.stations(visible)} | {k[0] for k in self.activity.keys(visible)}
        return sorted(known)

    def dashboard(self, visible: Sites, scope: Sites) -> DashboardOut:
        """``visible``: every site the person may see (for the site list); ``scope``: the ones asked for."""
        now = self.clock()
        views = self._views(scope)
        return DashboardOut(
            generated=now,
            sites=self.sites(visible),
            stations=self._tiles(views, scope),
            alerts=(found := self.alerts(views, now, scope)),
            alert_groups=alert_groups(found),
        )

    def update(self, scope: Sites, changed: Collection[StationKey]) -> UpdateOut:
        """The tiles of ``changed`` stations within ``scope``, and all alerts of ``scope``."""
        now = self.clock()
        views = self._views(scope)
        in_scope = [k for k in changed if scope is None or k[0] in scope]
        return UpdateOut(
            generated=now,
            stations=self._tiles(views, scope, in_scope) if in_scope else [],
            alerts=(found := self.alerts(views, now, scope)),
            alert_groups=alert_groups(found),
        )
