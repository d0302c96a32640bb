"""A year of a 50-station network in InfluxDB (about 25 million events, loaded directly as line protocol in
the hub's own point schema), rollups rebuilt by the hub's code, then the throughput views timed.

Scale it with SORTCENTRE_BENCH_YEAR_EVENTS (default 25,000,000)."""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.stats import percentile
from config.influx import InfluxSettings
from hub.local_calendar import LOCAL
from hub.storage.influx_v1 import InfluxV1
from hub.storage.points import MEASUREMENT
from hub.storage.rollups import CREATE_RETENTION_POLICY, rebuild
from hub.storage.throughput import Period, throughput
from local_servers import InfluxServer

STATIONS = 50
SITES = ["zwolle", "dalfsen", "ommen", "staphorst", "zwartewaterland"]
CATEGORIES = {
    "plastic": ["pp", "ps", "pet", "hdpe", "ldpe", "residual"],
    "textile": ["creme", "export", "recycling", "wipers", "residual"],
}
BATCH = 50_000
RUNS = 15


def _events(total: int, start: datetime, rng: random.Random) -> Iterator[str]:
    """Line protocol in the hub's point schema (hub/storage/points.py), working days 08:00-17:00 Dutch time.

    Written out directly rather than through line(): 25 million calls of the general serializer would take
    longer than the whole load; tests/unit/hub checks that serializer against influxdb-client instead."""
    per_station = total // STATIONS
    day_s = 9 * 3600
    # 08:00 local on each day of the year, in epoch ms: the only time-zone work, done once per day.
    mornings = [
        int((start + timedelta(days=d)).astimezone(LOCAL).replace(hour=8, minute=0, second=0).timestamp() * 1000)
        for d in range(366)
    ]
    spacing_ms = 365 * day_s * 1000 / per_station  # working time between two items of one station
    for n in range(STATIONS):
        site = SITES[n % len(SITES)]
        stream = "textile" if n % 3 == 2 else "plastic"
        station = f"{site}-{stream}-{n}"
        boot = uuid.UUID(int=n)
        heads = {
            c: f"{MEASUREMENT},category={c},site={site},station={station},stream={stream},type=sorted "
            for c in CATEGORIES[stream]
        }
        choices = list(heads.values())
        for seq in range(1, per_station + 1):
            day, within = divmod(int(seq * spacing_ms), day_s * 1000)
            ms = mornings[day] + within
            grams = rng.randint(20, 2500)
            yield (
                f'{rng.choice(choices)}boot_id="{boot}",event_id="{n}-{seq}",items=1i,seq={seq}i,'
                f"weight_g={grams}i {ms * 1_000_000 + seq % 1_000_000}"
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

        def flush() -> None:
            nonlocal count
            http.post(
                f"{influx.url}/write",
                params={"db": influx.database, "precision": "ns"},
                content="\n".join(batch).encode(),
            ).raise_for_status()
            count += len(batch)
            batch.clear()

        for text in _events(total, start, rng):
            batch.append(text)
            if len(batch) == BATCH:
                flush()
        if batch:
            flush()
        load_s = time.perf_counter() - loaded
        store.ensure(CREATE_RETENTION_POLICY)
        built = time.perf_counter()
        queries = rebuild(store, start - timedelta(days=1), end + timedelta(days=1))
        rollup_s = time.perf_counter() - built
        now = datetime.now(UTC)
        views: dict[str, tuple[datetime, datetime, bool]] = {
            "day (`period=day`: today so far)": (*Period.DAY.range(now), False),
            "week (`period=week`)": (*Period.WEEK.range(now), False),
            "year (`period=year`)": (*Period.YEAR.range(now), False),
            "any 365 days off the hour (`from`/`to`)": (start + timedelta(minutes=7), end - timedelta(minutes=7), True),
        }
        rows = []
        for name, (view_start, view_end, shifted) in views.items():
            timings = []
            for i in range(RUNS):
                # an arbitrary range moves by a few seconds each run, so no answer comes from a cache
                shift = timedelta(seconds=i * 7) if shifted else timedelta(0)
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
        "(ms; target <= 300 ms). The day, week and year views are whole local days ending with today, answered",
        "from the day rollups in one query; an arbitrary range also reads hours, minutes and raw seconds at its",
        "edges (pieces queried in parallel). Scale it with `SORTCENTRE_BENCH_YEAR_EVENTS`.",
        "",
        "| view | p50 | max | mean | kg in the view |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
