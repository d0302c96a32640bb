"""Settings of the supervisor dashboard: alert thresholds and how the live numbers are kept (docs/dashboard.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DashboardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offline_after_min: float = Field(
        5.0,
        gt=0,
        le=24 * 60,
        description="alert when a station has been offline, or sent no heartbeat, for this many minutes",
    )
    journal_depth_alert: int = Field(
        50,
        ge=1,
        description="alert when a station holds this many events not yet acknowledged by the broker",
    )
    journal_age_alert_s: float = Field(
        120.0,
        gt=0,
        description="...or when its oldest unsent event is this many seconds old",
    )
    max_stations: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="stations the live view keeps track of at most; status and heartbeats of further, unknown "
        "stations are dead-lettered and counted instead of growing memory and tiles",
    )
    resync_interval_s: float = Field(
        60.0,
        ge=5,
        le=3600,
        description="re-read today's totals and the last 15 minutes from InfluxDB this often (seconds)",
    )
