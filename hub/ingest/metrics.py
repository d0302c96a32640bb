"""Prometheus metrics of the ingest path (served on /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events_stored = Counter("sortcentre_events_stored", "events written to InfluxDB", registry=r)
        self.messages_rejected = Counter(
            "sortcentre_messages_rejected",
            "messages refused (contract validation, the store, or the live view), by reason",
            ["reason"],
            registry=r,
        )
        self.influx_errors = Counter("sortcentre_influx_write_errors", "failed InfluxDB writes", registry=r)
        self.rollup_refused = Counter(
            "sortcentre_rollup_buckets_refused",
            "rollup buckets InfluxDB refused to recompute (or that no time can hold); their events are stored",
            ["layer"],
            registry=r,
        )
        self.unexpected_errors = Counter(
            "sortcentre_unexpected_errors",
            "errors a hub thread did not expect, logged with their traceback, and survived",
            ["thread"],
            registry=r,
        )
        self.thread_failures = Counter(
            "sortcentre_thread_failures",
            "hub threads that died (the hub then reports unhealthy and exits)",
            ["thread"],
            registry=r,
        )
        self.redelivered = Counter(
            "sortcentre_ingest_redelivered",
            "events delivered again by JetStream (another hub stopped before acknowledging, or an ack wait ran out)",
            registry=r,
        )
        self.worker_restarts = Counter(
            "sortcentre_ingest_worker_restarts", "ingest worker processes that ended and were started again", registry=r
        )
        self.batch_size = Histogram(
            "sortcentre_batch_size",
            "events per InfluxDB write",
            buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000, 10000),
            registry=r,
        )
        self.batch_seconds = Histogram(
            "sortcentre_batch_write_seconds", "time to write one batch to InfluxDB", registry=r
        )
        self.batch_latency = Histogram(
            "sortcentre_batch_ack_seconds",
            "from a batch leaving the receiver to its acknowledgement (workers' queue, write, rollups)",
            registry=r,
        )
        self.ingest_lag = Gauge(
            "sortcentre_ingest_lag_seconds",
            "hub time minus the station time of the newest event in the last stored batch (broker backlog, "
            "plus a station clock's offset)",
            registry=r,
        )
        self.queue_depth = Gauge("sortcentre_ingest_queue_depth", "messages received, not yet stored", registry=r)
        self.missing_events = Gauge(
            "sortcentre_station_missing_events",
            "sequence numbers skipped and not (yet) arrived",
            ["station"],
            registry=r,
        )
        self.duplicate_events = Gauge(
            "sortcentre_station_duplicate_events", "events delivered again (stored once)", ["station"], registry=r
        )
        self.clock_offset = Gauge(
            "sortcentre_station_clock_offset_seconds",
            "hub time minus station time, from heartbeats",
            ["station"],
            registry=r,
        )
