"""Settings of the volume feed and its closed periods (``[feeds]`` in the hub's TOML)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.files import sqlite_file


class FeedSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    periods_file: Path = sqlite_file(
        "var/hub/periods.sqlite",
        "SQLite file with the closed months and their frozen figures (`sortcentre periods ...`)",
    )
    # A year and a day: a whole (leap) year in one request, and a partner that asks for more pages by range.
    max_range_days: int = Field(366, ge=1, le=3660, description="most local days one feed request may cover")
    page_size: int = Field(1000, ge=1, le=100_000, description="most rows in one page of the feed (and the `limit`)")
