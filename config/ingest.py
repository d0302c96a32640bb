"""Settings of the hub's ingest: batching, retries, worker processes and which station times are plausible
(``[ingest]`` in the hub's TOML)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.contract.payloads import StationTimeWindow


class JetStreamSettings(BaseModel):
    """Where the hub reads the stations' events on NATS (``source = "jetstream"``; docs/broker.md, "NATS
    JetStream"). The hub logs in with its ``[mqtt]`` account (user name, password, TLS CA): on NATS one user
    serves both protocols."""

    model_config = ConfigDict(extra="forbid")

    servers: list[str] = Field(
        default_factory=lambda: ["nats://127.0.0.1:4222"],
        min_length=1,
        description="NATS URLs of the cluster's nodes (any one is enough to start; the client fails over)",
    )
    stream: str = Field("$MQTT_msgs", description="the stream NATS's MQTT layer stores QoS 1 publishes in")
    durable: str = Field(
        "hub-ingest",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="the durable consumer every hub instance shares (made at start when missing)",
    )
    fetch_batch: int = Field(1000, ge=1, le=10_000, description="events asked for per pull request")
    max_in_flight: int = Field(
        20_000,
        ge=1,
        le=1_000_000,
        description="events held by this hub and not yet acknowledged, at most (bounds its memory)",
    )
    ack_wait_s: float = Field(
        60,
        ge=5,
        le=3600,
        description="NATS hands an unacknowledged event to another hub after this; a batch must be stored sooner",
    )


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Literal["mqtt", "jetstream"] = Field(
        "mqtt",
        description="where events come from: an MQTT subscription (Mosquitto), or a JetStream consumer shared by "
        "every hub instance (NATS, [ingest.jetstream])",
    )
    jetstream: JetStreamSettings = Field(default_factory=JetStreamSettings)

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
