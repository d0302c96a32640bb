"""Settings of the station registry and the broker accounts it manages (``[fleet]`` in the hub's TOML)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.files import sqlite_file


class FleetSettings(BaseModel):
    """The stations the hub knows (docs/fleet.md, section Registry)."""

    model_config = ConfigDict(extra="forbid")

    registry_file: Path = sqlite_file(
        "var/hub/stations.sqlite",
        "SQLite file with every station the hub has heard of or an admin added (`sortcentre stations ...`)",
    )
    broker_folder: Path | None = Field(
        None,
        description="folder of Mosquitto's password file `passwd` and ACL file `acl` (docs/broker.md), which "
        "`sortcentre stations add|retire` rewrite; none: stations get no broker account (a broker without accounts)",
    )
    broker_pid_file: Path | None = Field(
        None,
        description="Mosquitto's pid file (its `pid_file` option): that process gets SIGHUP to reload the accounts "
        "after `stations add|retire`; none: reload the broker yourself (`systemctl reload mosquitto`)",
    )
    nats_callout_folder: Path | None = Field(
        None,
        description="on NATS: the auth callout's folder (`sortcentre nats-auth --folder`, docs/broker.md), whose "
        "`users.json` `sortcentre stations add|retire` update; it reads the file again at the next login",
    )
    # Heartbeats come every few seconds per station; writing each one to SQLite from the live view's MQTT thread
    # would cost a disk sync per heartbeat for a "last seen" nobody reads to the second.
    seen_write_interval_s: float = Field(
        30.0, ge=0, le=3600, description="a station's last seen is written at most this often (versions at once)"
    )
    max_unregistered: int = Field(
        1000,
        ge=0,
        le=100_000,
        description="stations heard of but never added kept at most; further ones are flagged but not stored",
    )
