"""Settings of remote config at the hub (``[remote_config]`` in the hub's TOML; docs/fleet.md, Remote config)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.files import sqlite_file


class RemoteConfigSettings(BaseModel):
    """The sorting settings the hub holds for each station, and their history."""

    model_config = ConfigDict(extra="forbid")

    config_file: Path = sqlite_file(
        "var/hub/station-configs.sqlite",
        "SQLite file with every version of each station's sorting settings: who changed it, and when",
    )
    versions_kept: int = Field(
        200, ge=1, le=100_000, description="versions kept per station; older ones are deleted (the latest stays)"
    )
