"""Alerts on the dashboard, derived from the station views: pure functions of a view, the time and the settings,
so every rule is tested with a fixed clock (rules and thresholds: docs/dashboard.md).

An alert's id (``<kind>:<site>/<station>``) stays the same while the condition lasts, so a page can tell a new
alert from one it already shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from config.dashboard import DashboardSettings
from core.contract import DeviceHealth
from hub.live.stations import LiveStation


class AlertKind(StrEnum):
    OFFLINE = "offline"
    JOURNAL_BACKLOG = "journal_backlog"
    SEQUENCE_GAP = "sequence_gap"
    CLOCK_SKEW = "clock_skew"  # further off than dashboard.clock.offset_alert_s (hub/live/clock_check.py)
    CLOCK_UNSYNCED = "clock_unsynced"  # NTP not synchronised and measurably off, not yet by much: a notice
    SCALE_FAULT = "scale_fault"
    CAMERA_FAULT = "camera_fault"
    LIGHTS_FAULT = "lights_fault"  # the side lights (vision.lights) failed: the reader uses the single frame
    MODEL_REFUSED = "model_refused"
    UNREGISTERED = "unregistered"
    CONFIG_REFUSED = "config_refused"  # the station refused the latest remote config (it names the key)
    CONFIG_PENDING = "config_pending"  # the station runs another config than the one the hub holds


class Severity(StrEnum):
    WARNING = "warning"  # look at it today
    CRITICAL = "critical"  # the station cannot do its work (offline, no weighing, journal full)
    NOTICE = "notice"  # worth knowing, nothing to do yet (a clock NTP has not synchronised, still close to the hub's)


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    site: str
    station: str
    since: datetime | None
    detail: str
    severity: Severity

    @property
    def id(self) -> str:
        return f"{self.kind.value}:{self.site}/{self.station}"


def _duration(span: timedelta) -> str:
    seconds = max(int(span.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _offline(view: LiveStation, now: datetime, limit: timedelta, watching_since: datetime) -> Alert | None:
    if view.state == "stopped":
        return None  # a clean exit: somebody stopped the station on purpose (the tile still shows it offline)
    if view.state == "offline":
        # The broker's last will: the station went away without saying goodbye.
        since = view.state_since or watching_since
        if now - since < limit:
            return None
        detail = f"offline for {_duration(now - since)}"
    else:
        # Online (or no status seen) but silent: a hung agent or a broken network keeps the will from firing
        # for a while. Without any heartbeat yet, the clock starts when the hub started listening.
        since = view.heartbeat_received or max(view.state_since or watching_since, watching_since)
        if now - since < limit:
            return None
        detail = f"no heartbeat for {_duration(now - since)}"
    return Alert(AlertKind.OFFLINE, view.site, view.station, since, detail, Severity.CRITICAL)


def _from_heartbeat(view: LiveStation, settings: DashboardSettings, held: str | None = None) -> list[Alert]:
    hb, received = view.heartbeat, view.heartbeat_received
    if hb is None or received is None:
        return []
    found = []
    site, station = view.site, view.station
    age = hb.oldest_unsent_age_s
    if hb.journal_depth >= settings.journal_depth_alert or (age is not None and age >= settings.journal_age_alert_s):
        full = "journal_full" in hb.warnings
        detail = f"{hb.journal_depth} events not yet delivered"
        if age is not None:
            detail += f", oldest {_duration(timedelta(seconds=age))}"
        if full:
            detail = f"journal full: {detail}"
        since = received - timedelta(seconds=age) if age is not None else None
        severity = Severity.CRITICAL if full else Severity.WARNING
        found.append(Alert(AlertKind.JOURNAL_BACKLOG, site, station, since, detail, severity))
    found.extend(_clock(view))
    # ABSENT is not a fault: no camera configured, or a scale not opened yet (the agent says FAULT once a
    # read failed).
    if hb.scale is DeviceHealth.FAULT:
        found.append(Alert(AlertKind.SCALE_FAULT, site, station, None, "scale not answering", Severity.CRITICAL))
    if hb.camera is DeviceHealth.FAULT:
        found.append(Alert(AlertKind.CAMERA_FAULT, site, station, None, "camera gives no images", Severity.WARNING))
    lights = [w for w in hb.warnings if w.startswith("lights_")]
    if lights:
        detail = f"side lights failed ({', '.join(lights)}): markings read from the single frame; see the station log"
        found.append(Alert(AlertKind.LIGHTS_FAULT, site, station, None, detail, Severity.WARNING))
    found.extend(_config(view, held))
    if hb.model_error is not None:
        # The station still runs its previous model (docs/fleet.md, "Signed rollout"); the detail says why.
        found.append(Alert(AlertKind.MODEL_REFUSED, site, station, None, hb.model_error, Severity.WARNING))
    return found


def _clock(view: LiveStation) -> list[Alert]:
    """The hub's receive time against the station's clock (hub/live/clock_check.py): a warning past the
    threshold; NTP not synchronised alone is no alert while the offset stays small (the hub's clock vouches)."""
    if not (view.clock_suspect or view.clock_unsynced):
        return []
    offset = view.clock_offset_s or 0.0
    detail = f"clock {_duration(timedelta(seconds=abs(offset)))} {'behind' if offset > 0 else 'ahead'}"
    if view.clock_drift_s_per_h is not None:
        detail += f", drifting {view.clock_drift_s_per_h:+.1f} s/h"
    if view.heartbeat is not None and not view.heartbeat.clock_synced:
        detail += ", not synchronised (NTP)"
    if view.clock_suspect:
        return [Alert(AlertKind.CLOCK_SKEW, view.site, view.station, None, detail, Severity.WARNING)]
    return [Alert(AlertKind.CLOCK_UNSYNCED, view.site, view.station, None, detail, Severity.NOTICE)]


def _config(view: LiveStation, held: str | None) -> list[Alert]:
    """Remote config (docs/fleet.md): a refusal, with the station's reason; or another version than the hub's."""
    hb = view.heartbeat
    assert hb is not None
    if hb.config_error:
        detail = f"config refused: {hb.config_error}"
        return [Alert(AlertKind.CONFIG_REFUSED, view.site, view.station, None, detail, Severity.WARNING)]
    if held is not None and hb.config_version != held:
        detail = f"runs config {hb.config_version or 'from its file'}, the hub holds {held}"
        return [Alert(AlertKind.CONFIG_PENDING, view.site, view.station, None, detail, Severity.WARNING)]
    return []


def station_alerts(
    view: LiveStation, now: datetime, settings: DashboardSettings, watching_since: datetime, held: str | None = None
) -> list[Alert]:
    """``watching_since``: when the hub began listening; silence before that is not the station's. ``held``: the
    remote config version the hub holds for the station (None: none)."""
    limit = timedelta(minutes=settings.offline_after_min)
    found: list[Alert] = []
    offline = _offline(view, now, limit, watching_since)
    if offline is not None:
        found.append(offline)
    if view.unregistered:
        # Its events are stored all the same; an admin adds it (`sortcentre stations add`) or finds out who it is.
        detail = "not a station in service in the registry (sortcentre stations list)"
        found.append(Alert(AlertKind.UNREGISTERED, view.site, view.station, None, detail, Severity.WARNING))
    if view.missing_events > 0:
        detail = f"{view.missing_events} events missing (highest seq {view.highest_seq})"
        found.append(Alert(AlertKind.SEQUENCE_GAP, view.site, view.station, None, detail, Severity.WARNING))
    # A heartbeat older than the offline limit describes a station that may have changed since: the offline
    # alert speaks for it instead.
    fresh = view.heartbeat_received is not None and now - view.heartbeat_received < limit
    if fresh:
        found.extend(_from_heartbeat(view, settings, held))
    return found


_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.NOTICE: 2}


def alerts(
    views: Iterable[LiveStation],
    now: datetime,
    settings: DashboardSettings,
    watching_since: datetime,
    held: Mapping[str, str] | None = None,
) -> list[Alert]:
    """Every current alert, critical first, then by site, station and kind. ``held``: station -> the remote
    config version the hub holds for it."""
    held = held or {}
    found = [a for view in views for a in station_alerts(view, now, settings, watching_since, held.get(view.station))]
    return sorted(found, key=lambda a: (_ORDER[a.severity], a.site, a.station, a.kind.value))
