"""A year of a 50-station network in InfluxDB (about 25 million events, loaded directly as line protocol in
the hub's own point schema), rollups rebuilt by the hub's code, then the throughput views timed.

Scale it with SORTCENTRE_BENCH_YEAR_EVENTS (default 25,000,000)."""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.stats import percentile
from hub.storage.influx_v1 import InfluxSettings, InfluxV1
from hub.storage.line_protocol import line
from hub.storage.points import MEASUREMENT
from hub.storage.rollups import CREATE_RETENTION_POLICY, LOCAL, rebuild
from hub.storage.throughput import throughput
from sortcentre.infra import InfluxServer

STATIONS = 50
SITES = ["zwolle", "dalfsen", "ommen", "staphorst", "zwartewaterland"]
CATEGORIES = {
    "plastic": ["pp", "ps", "pet", "hdpe", "ldpe", "residual"],
    "textile": ["creme", "export", "recycling", "wipers", "residual"],
}
BATCH = 50_000
RUNS = 15


def _events(total: int, start: datetime, rng: random.Random):  # type: ignore[no-untyped-def]
    """Yield line-protocol lines: working days 08:00-17:00 Dutch time, one station after another."""
    per_station = total // STATIONS
    day_s = 9 * 3600
    for n in range(STATIONS):
        site = SITES[n % len(SITES)]
        stream = "textile" if n % 3 == 2 else "plastic"
        station = f"{site}-{stream}-{n}"
        boot = str(uuid.UUID(int=n))
        spacing = 365 * day_s / per_station  # seconds of working time between two items
        for seq in range(1, per_station + 1):
            offset = seq * spacing
            day, within = divmod(offset, day_s)
            local = (start + timedelta(days=int(day))).astimezone(LOCAL).replace(hour=8, minute=0, second=0)
            moment = local + timedelta(seconds=within)
            ms = int(moment.timestamp() * 1000)
            grams = rng.randint(20, 2500)
            yield line(
                MEASUREMENT,
                {
                    "site": site,
                    "station": station,
                    "stream": stream,
                    "category": rng.choice(CATEGORIES[stream]),
                    "type": "sorted",
                },
                {"weight_g": grams, "items": 1, "seq": seq, "event_id": f"{n}-{seq}", "boot_id": boot},
                ms * 1_000_000 + seq % 1_000_000,
            )


def run(folder: Path) -> list[str]:
    total = int(os.environ.get("SORTCENTRE_BENCH_YEAR_EVENTS", "25000000"))
    rng = random.Random(1)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=365)
    with InfluxServer(folder / "influxdb") as influx:
        store = InfluxV1(InfluxSettings(url=influx.url, database=influx.database, timeout_s=600))
        http = httpx.Client(timeout=600)
        loaded = time.perf_counter()
        batch: list[str] = []
        count = 0
        for text in _events(total, start, rng):
            batch.append(text)
            if len(batch) == BATCH:
                http.post(
                    f"{influx.url}/write",
                    params={"db": influx.database, "precision": "ns"},
                    content="\n".join(batch).encode(),
                ).raise_for_status()
                count += len(batch)
                batch = []
        if batch:
            http.post(
                f"{influx.url}/write",
                params={"db": influx.database, "precision": "ns"},
                content="\n".join(batch).encode(),
            ).raise_for_status()
            count += len(batch)
        load_s = time.perf_counter() - loaded
        store.ensure(CREATE_RETENTION_POLICY)
        built = time.perf_counter()
        queries = rebuild(store, start - timedelta(days=1), end + timedelta(days=1))
        rollup_s = time.perf_counter() - built
        views = {
            "day (today so far, live view)": (end - timedelta(hours=20), end),
            "week": (end - timedelta(days=7), end),
            "year": (start, end),
        }
        rows = []
        for name, (view_start, view_end) in views.items():
            timings = []
            for i in range(RUNS):
                # shift by a few seconds each run so no answer is served from a cache
                shift = timedelta(seconds=i * 7)
                began = time.perf_counter()
                result = throughput(store, view_start + shift, view_end - shift)
                timings.append(time.perf_counter() - began)
            kg = sum(r.kg for r in result)
            rows.append(
                f"| {name} | {percentile([t * 1000 for t in timings], 50):.0f} | "
                f"{max(timings) * 1000:.0f} | {statistics.fmean(timings) * 1000:.0f} | {kg:,.0f} |"
            )
        store.close()
    return [
        "## A year of 50 stations: throughput views",
        "",
        f"{count:,} events of 50 stations over the past 365 days (working hours), loaded as line protocol in the",
        f"hub's point schema in {load_s:.0f} s ({count / load_s:,.0f} points/s); the rollups rebuilt with the",
        f"hub's own code in {rollup_s:.0f} s ({queries} queries). `/api/v1/throughput`'s query, {RUNS} runs each",
        "(ms; target <= 300 ms):",
        "",
        "| view | p50 | max | mean | kg in the view |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
