"""Settings of the hub's ingest: batching, retries, worker processes and which station times are plausible
(``[ingest]`` in the hub's TOML)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from core.contract.payloads import StationTimeWindow


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_max_events: int = Field(5000, ge=1, le=100_000, description="write a batch when it holds this many")
    batch_max_delay_s: float = Field(0.2, gt=0, le=10, description="...or when its oldest event waited this long")
    retry_initial_s: float = Field(0.2, gt=0, description="first backoff after a failed write")
    retry_max_s: float = Field(10.0, gt=0, description="longest backoff between write attempts")
    rollups: bool = Field(True, description="keep the minute/hour/day rollups (docs/storage.md) up to date")
    workers: int = Field(
        2,
        ge=0,
        le=16,
        description="worker processes that validate and store batches (0: a thread in the hub process)",
    )
    share_group: str | None = Field(
        None,
        description="shared-subscription group, to split the load over several ingest workers (none: one worker)",
    )
    # Bounded so that the window stays inside what a datetime can hold around any receive time.
    station_time_past_days: float = Field(
        400,
        gt=0,
        le=36_500,
        description="refuse (dead-letter as implausible_time) events whose station time lies more than this many "
        "days before the hub received them; raise it to take in a replay from a station offline for longer",
    )
    station_time_future_days: float = Field(
        1,
        gt=0,
        le=36_500,
        description="...or more than this many days after it (a station clock running ahead)",
    )

    @property
    def window(self) -> StationTimeWindow:
        return StationTimeWindow(
            past=timedelta(days=self.station_time_past_days), future=timedelta(days=self.station_time_future_days)
        )
