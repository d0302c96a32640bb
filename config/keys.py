"""Settings of the API keys for the feeds and reports (the hub's ``keys`` section)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.files import sqlite_file


class KeySettings(BaseModel):
    """API keys for partners' systems (docs/feeds.md)."""

    model_config = ConfigDict(extra="forbid")

    keys_file: Path = sqlite_file(
        "var/hub/keys.sqlite", "SQLite file with the API keys, hashed (`sortcentre keys ...` manages it)"
    )
    # A nightly import asks for a few months of volumes in a few dozen pages: a minute's worth of requests is
    # plenty, and a runaway script costs the hub at most this much InfluxDB work.
    requests_per_minute: int = Field(60, ge=1, le=100_000, description="requests per API key per minute, sustained")
    burst: int = Field(20, ge=1, le=100_000, description="requests per API key allowed at once above that rate")
