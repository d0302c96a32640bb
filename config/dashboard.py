"""Settings of the supervisor dashboard: alert thresholds and how the live numbers are kept (docs/dashboard.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.files import sqlite_file


class ClockCheck(BaseModel):
    """How the hub judges a station's clock: against its own receive time of the station's heartbeats."""

    model_config = ConfigDict(extra="forbid")

    heartbeats: int = Field(
        5,
        ge=1,
        le=100,
        description="judge the clock on the median offset of this many last heartbeats, so one slow delivery "
        "does not raise an alert",
    )
    offset_alert_s: float = Field(
        120.0,
        gt=0,
        le=86_400,
        description="warn when a station's clock is further off than this (seconds): its events would be filed "
        "under the wrong minute, hour or day",
    )
    unsynced_notice_s: float = Field(
        5.0,
        gt=0,
        le=86_400,
        description="a station that says NTP has not synchronised its clock gets a notice (not a warning) only "
        "when its clock is also further off than this (seconds); within it the hub's clock vouches for it",
    )


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
    clock: ClockCheck = Field(default_factory=ClockCheck, description="the station clock check (docs/dashboard.md)")
    acks_file: Path = sqlite_file(
        "var/hub/alert_acks.sqlite", "SQLite file with the alerts supervisors acknowledged (who and when)"
    )
    ack_clears_after_min: float = Field(
        5.0,
        gt=0,
        le=24 * 60,
        description="an acknowledgement is forgotten once its alert has been gone this many minutes: the same "
        "alert after that is new",
    )
