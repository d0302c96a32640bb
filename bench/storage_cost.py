"""What one sorting event costs, measured for the capacity model (docs/capacity.md): bytes on disk (rollups
included), CPU seconds in the hub, Mosquitto and InfluxDB, points InfluxDB is asked to write, and series.

Everything runs on real servers of its own (Mosquitto, and an InfluxDB whose data folder holds nothing else)
with ``sortcentre hub`` as a child process, in four steps:

1. idle: the hub running with no events, to know its fixed cost;
2. steady: each of ``STEADY``'s loads (so many events/s from so many stations, each station at about a demo
   sorter's pace: a large network's shape at its peak), published by paced paho publisher processes;
3. region backlog: ``EVENTS`` events of the region's 50 stations (the seed's five sites, ten stations each),
   spaced in station time at a demo sorter's pace, published as fast as the broker takes them;
4. disk: with the hub stopped, InfluxDB (configured to snapshot its cache and fully compact cold shards
   within seconds instead of its defaults' 10 minutes and 4 hours) settles; then the region database's
   data and WAL folders are measured, and its rollups are copied into a database of their own to size them
   apart (they have a retention policy, so a shard, of their own).

CPU is user + system time from /proc/<pid>/stat: the hub's process and all its descendants (the ingest
workers), Mosquitto's and influxd's. Scale with SORTCENTRE_BENCH_STORAGE_EVENTS (default 200,000).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench import scenarios
from bench.ingest import StoredCount, publish_as_stations, start_hub
from bench.processes import cpu_seconds, tree_cpu_seconds
from core.contract import Suggestion, TopicKind, topic
from hub.storage.rollups import LAYERS, RETENTION_POLICY
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import make_event, publish_parallel

EVENTS = int(os.environ.get("SORTCENTRE_BENCH_STORAGE_EVENTS", "200000"))


@dataclass(frozen=True, slots=True)
class Shape:
    """A steady load: ``rate`` events/s from ``stations`` stations for ``seconds``. Each shape keeps a station
    near the demo sorter's pace (0.29 events/s, bench/scenarios.py), as a large network at its peak would."""

    name: str
    rate: int
    stations: int
    seconds: int


STEADY = (
    Shape("a 1,000-station network at its peak", 300, 1_000, 30),
    Shape("every Dutch kringloop at its peak (docs/capacity.md)", 1_150, 4_000, 20),
)
IDLE_S = 15
IDLE_WARMUP_S = 10
TIMEOUT_S = 600.0

# The seed's sites (hub/reference/default.toml) and their categories per stream.
SITES = ("zwolle", "dalfsen", "ommen", "staphorst", "zwartewaterland")
CATEGORIES = {
    "plastic": ("pp", "ps", "pet", "hdpe", "ldpe", "pvc", "other", "residual"),
    "textile": ("creme", "export", "recycling", "wipers", "residual"),
    "duvets": ("down", "synthetic"),
}
# Ten stations a site (an assumption, docs/capacity.md): five plastic, four textile, one duvets.
STATION_MIX = (("plastic", 5), ("textile", 4), ("duvets", 1))
WEIGHTS_KG = {"plastic": (0.02, 0.9), "textile": (0.15, 2.5), "duvets": (0.5, 3.0)}  # sorter.py's, duvets added
VISION_STREAMS = {"plastic", "textile"}  # stations with a camera: a suggestion on most items
SUGGESTED = 0.9  # share of a vision station's items with a suggestion (it abstains on the rest)
BLIND = 0.05  # share of suggestions not shown (blind checks)
ACCEPT = 0.85  # SorterPace.accept_rate
UNDO = 0.01
RAW = "sorting_event"
ROLLUPS = tuple(layer.measurement for layer in LAYERS)


def qualified(measurement: str) -> str:
    """The rollups live in their own retention policy (hub/storage/rollups.py), the events in the default."""
    return f'"{RETENTION_POLICY}"."{measurement}"' if measurement in ROLLUPS else f'"{measurement}"'


@dataclass
class Station:
    site: str
    name: str
    stream: str
    seq: int = 0
    last: uuid.UUID | None = None
    last_category: str = ""


def region_stations(prefix: str = "", per_site_scale: int = 1) -> list[Station]:
    out = []
    for site in SITES:
        for stream, count in STATION_MIX:
            for n in range(1, count * per_site_scale + 1):
                out.append(Station(site, f"{site}-{prefix}{stream}-{n}", stream))
    return out


def next_payload(station: Station, when: datetime, rng: random.Random) -> tuple[str, bytes]:
    """One event as the station makes it: a vision station's suggestion (sometimes blind), the sorter taking
    it most of the time, and now and then an undo of the station's previous item."""
    station.seq += 1
    where = topic(station.site, station.name, TopicKind.EVENT)
    common = {"station": station.name, "site": station.site, "stream": station.stream, "when": when}
    if station.last is not None and rng.random() < UNDO:
        event = make_event(station.seq, **common, category=station.last_category, undoes=station.last)
        station.last = None
        return where, event.to_json()
    categories = CATEGORIES[station.stream]
    category = rng.choice(categories)
    suggestion = None
    accepted = None
    if station.stream in VISION_STREAMS and rng.random() < SUGGESTED:
        shown = rng.random() >= BLIND
        label = rng.choice(categories)
        model = f"{station.stream}-site-3"
        suggestion = Suggestion(
            label=label, confidence=round(rng.uniform(0.6, 1.0), 3), model_version=model, shown=shown
        )
        if shown:
            accepted = rng.random() < ACCEPT
            category = label if accepted else category
    weight = round(rng.uniform(*WEIGHTS_KG[station.stream]), 3)
    event = make_event(
        station.seq, **common, category=category, weight_kg=weight, suggestion=suggestion, accepted=accepted
    )
    station.last = event.event_id
    station.last_category = category
    return where, event.to_json()


def paced_payloads(
    stations: list[Station], count: int, start: datetime, cycle_s: float, rng: random.Random
) -> list[tuple[str, bytes]]:
    """``count`` events round-robin over the stations, each station's items ``cycle_s`` apart on average in
    station time from ``start``."""
    clocks = {s.name: start + timedelta(seconds=rng.uniform(0, cycle_s)) for s in stations}
    out = []
    for i in range(count):
        station = stations[i % len(stations)]
        out.append(next_payload(station, clocks[station.name], rng))
        clocks[station.name] += timedelta(seconds=rng.uniform(0.7, 1.3) * cycle_s)
    return out


# -- measuring ------------------------------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def folder_bytes(folder: Path, *, skip: str = "") -> int:
    """Disk a folder takes: allocated blocks, as `du` counts (InfluxDB preallocates some files sparsely)."""
    if not folder.exists():
        return 0
    return sum(f.stat().st_blocks * 512 for f in folder.rglob("*") if f.is_file() and skip not in f.parts)


class FastSettlingInflux(InfluxServer):
    """InfluxDB whose cache goes to TSM files after 2 s without writes and whose cold shards are fully
    compacted after 5 s (defaults: 10 min and 4 h), so the disk a stored event takes in the long run can be
    measured in a benchmark's minutes."""

    def prepare(self) -> None:
        super().prepare()
        text = self.config_path.read_text()
        settle = '[data]\n  cache-snapshot-write-cold-duration = "2s"\n  compact-full-write-cold-duration = "5s"\n'
        self.config_path.write_text(text.replace("[data]\n", settle, 1))


@dataclass
class Counters:
    at: float
    hub: float
    broker: float
    influx: float
    points: int  # points InfluxDB was asked to write (its `write` statistic: /write and SELECT ... INTO)

    @classmethod
    def read(cls, hub_pid: int, broker: MosquittoServer, influx: InfluxServer) -> Counters:
        assert broker.pid is not None and influx.pid is not None
        stats = httpx.get(f"{influx.url}/debug/vars", timeout=10).json()
        return cls(
            time.perf_counter(),
            tree_cpu_seconds(hub_pid),
            cpu_seconds(broker.pid),
            cpu_seconds(influx.pid),
            int(stats["write"]["values"]["pointReq"]),
        )

    def minus(self, earlier: Counters) -> Counters:
        return Counters(
            self.at - earlier.at,
            self.hub - earlier.hub,
            self.broker - earlier.broker,
            self.influx - earlier.influx,
            self.points - earlier.points,
        )


def query(influx: InfluxServer, database: str, q: str) -> list[dict[str, object]]:
    response = httpx.post(f"{influx.url}/query", params={"db": database}, data={"q": q}, timeout=120)
    response.raise_for_status()
    result = response.json()["results"][0]
    if "error" in result:
        raise RuntimeError(f"{q}: {result['error']}")
    return list(result.get("series", []))


def count_points(influx: InfluxServer, database: str, measurement: str) -> int:
    # The measurement names are this module's constants.
    series = query(influx, database, f'SELECT count("items") FROM {qualified(measurement)}')  # noqa: S608
    return int(series[0]["values"][0][1]) if series else 0  # type: ignore[index]


def series_count(influx: InfluxServer, database: str, measurement: str) -> int:
    """Series of one measurement: one result series per tag set (SHOW SERIES CARDINALITY in 1.6 sees only the
    default retention policy, and the rollups have their own)."""
    return len(query(influx, database, f'SELECT count("items") FROM {qualified(measurement)} GROUP BY *'))  # noqa: S608


def item_sums(influx: InfluxServer, database: str) -> list[int]:
    """sum("items") of the events and of each rollup layer: all equal once every refresh is done."""
    out = []
    for measurement in (RAW, *ROLLUPS):
        series = query(influx, database, f'SELECT sum("items") FROM {qualified(measurement)}')  # noqa: S608
        out.append(int(series[0]["values"][0][1]) if series else 0)  # type: ignore[index]
    return out


def wait_stored(count: StoredCount, influx: InfluxServer, database: str, expected: int) -> None:
    """Until every event is stored and the rollups hold them all (the hub refreshes them after the write)."""
    deadline = time.monotonic() + TIMEOUT_S
    while (stored := count()) < expected and time.monotonic() < deadline:
        time.sleep(0.5 if stored < 0.95 * expected else 0.05)
    if stored != expected:
        raise RuntimeError(f"stored {stored} of {expected}")
    while len(set(sums := item_sums(influx, database))) > 1:
        if time.monotonic() > deadline:
            raise RuntimeError(f"rollups incomplete: item sums {sums} (events, minutes, hours, days)")
        time.sleep(0.1)


def settle(influx: InfluxServer, databases: list[str], timeout: float = 180) -> float:
    """Wait until the databases' WAL is empty and their TSM files stop changing; returns the seconds waited."""
    started = time.monotonic()
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - started < timeout:
        wal = sum(folder_bytes(influx.data_dir / "wal" / db) for db in databases)
        data = sum(folder_bytes(influx.data_dir / "data" / db) for db in databases)
        if data != last:
            last, stable_since = data, time.monotonic()
        elif wal == 0 and time.monotonic() - stable_since >= 10:
            return time.monotonic() - started
        time.sleep(1)
    raise RuntimeError(f"InfluxDB did not settle in {timeout:.0f} s")


def db_bytes(influx: InfluxServer, database: str) -> tuple[int, int, int]:
    """(shards' TSM files, the database's series file, WAL) of one database, bytes on disk.

    The series file (data/<db>/_series, InfluxDB 1.5+) maps series keys to ids for the whole database: it
    grows with the series, not with the points, and starts at several MB of preallocated segments."""
    data = influx.data_dir / "data" / database
    return (
        folder_bytes(data, skip="_series"),
        folder_bytes(data / "_series"),
        folder_bytes(influx.data_dir / "wal" / database),
    )


# -- the run ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SteadyRun:
    shape: Shape
    counters: Counters
    hub_rss_mb: float
    series: int


def steady_phase(
    folder: Path, broker: MosquittoServer, influx: InfluxServer, cycle: float, rng: random.Random, shape: Shape
) -> SteadyRun:
    """One steady load into a database of its own, with a hub of its own."""
    database = f"steady_{shape.stations}"
    hub = start_hub(folder / database, broker, influx, database)
    assert hub.proc is not None
    count = StoredCount(influx, database)
    try:
        streams = ["plastic", "textile", "plastic", "textile", "duvets"] * (shape.stations // 5)
        stations = [
            Station(SITES[i % len(SITES)], f"{SITES[i % len(SITES)]}-steady-{i}", stream)
            for i, stream in enumerate(streams)
        ]
        total = shape.rate * shape.seconds
        payloads = paced_payloads(stations, total, datetime.now(UTC), cycle, rng)
        start = Counters.read(hub.proc.pid, broker, influx)
        publish_parallel(broker, payloads, processes=3, pace_per_s=shape.rate)
        wait_stored(count, influx, database, total)
        counters = Counters.read(hub.proc.pid, broker, influx).minus(start)
        rss = rss_mb(hub.proc.pid)
    finally:
        hub.stop()
        count.close()
    return SteadyRun(shape, counters, rss, sum(series_count(influx, database, m) for m in (RAW, *ROLLUPS)))


def idle_phase(folder: Path, broker: MosquittoServer, influx: InfluxServer) -> Counters:
    """The hub running with no events at all: its fixed cost."""
    hub = start_hub(folder / "idle", broker, influx, "idle")
    assert hub.proc is not None
    try:
        # start_hub returns when the API answers; the ingest workers may still be importing for a moment.
        time.sleep(IDLE_WARMUP_S)
        before = Counters.read(hub.proc.pid, broker, influx)
        time.sleep(IDLE_S)
        return Counters.read(hub.proc.pid, broker, influx).minus(before)
    finally:
        hub.stop()


def run(folder: Path) -> list[str]:
    rng = random.Random(18)
    cycle = scenarios.demo_cycle_s()[0]
    with MosquittoServer(folder / "mosquitto") as broker, FastSettlingInflux(folder / "influxdb") as influx:
        idle = idle_phase(folder, broker, influx)
        steady = [steady_phase(folder, broker, influx, cycle, rng, shape) for shape in STEADY]
        # 3: the region's backlog, as fast as it comes.
        region = region_stations()
        span = timedelta(seconds=cycle * 1.05 * -(-EVENTS // len(region)))
        payloads = paced_payloads(region, EVENTS, datetime.now(UTC) - span, cycle, rng)
        hub = start_hub(folder / "region", broker, influx, "region")
        assert hub.proc is not None
        count = StoredCount(influx, "region")
        try:
            start = Counters.read(hub.proc.pid, broker, influx)
            publish_as_stations(broker, payloads)
            wait_stored(count, influx, "region", EVENTS)
            backlog = Counters.read(hub.proc.pid, broker, influx).minus(start)
        finally:
            hub.stop()
            count.close()
        # 4: disk, cardinality, points.
        unsettled = db_bytes(influx, "region")
        waited = settle(influx, ["region"])
        settled = db_bytes(influx, "region")
        points = {m: count_points(influx, "region", m) for m in (RAW, *ROLLUPS)}
        rollup_bytes = sum(folder_bytes(influx.data_dir / d / "region" / RETENTION_POLICY) for d in ("data", "wal"))
        series = {RAW: series_count(influx, "region", RAW)} | {m: series_count(influx, "region", m) for m in ROLLUPS}
        per_stream = {
            stream: sum(
                len(s.get("values", []))  # type: ignore[arg-type]
                for s in query(influx, "region", f'SHOW SERIES FROM "{RAW}" WHERE "stream" = \'{stream}\'')
            )
            for stream in CATEGORIES
        }
        assert influx.pid is not None
        influx_rss = rss_mb(influx.pid)
    return report(
        Figures(
            cycle,
            idle,
            steady,
            backlog,
            len(region),
            unsettled,
            settled,
            waited,
            rollup_bytes,
            points,
            series,
            per_stream,
            influx_rss,
        )
    )


@dataclass(frozen=True, slots=True)
class Figures:
    cycle: float
    idle: Counters
    steady: list[SteadyRun]
    backlog: Counters
    region_stations: int
    unsettled: tuple[int, int, int]
    settled: tuple[int, int, int]
    waited: float
    rollup_bytes: int
    points: dict[str, int]
    series: dict[str, int]
    per_stream: dict[str, int]
    influx_rss: float


def cost_row(name: str, c: Counters, n: int, idle_cores: float) -> str:
    def ms(seconds: float) -> str:
        return f"{seconds / n * 1000:.3f}"

    return (
        f"| {name} | {n:,} | {c.at:.1f} | {n / c.at:,.0f} | {ms(c.hub - idle_cores * c.at)} | {ms(c.broker)} "
        f"| {ms(c.influx)} | {c.points / n:.2f} |"
    )


def measured(f: Figures, run: SteadyRun) -> scenarios.Measured:
    """Per-event costs of one steady load, with the region's bytes and series per station."""
    n = run.shape.rate * run.shape.seconds
    c = run.counters
    idle_cores = f.idle.hub / f.idle.at
    return scenarios.Measured(
        hub_cpu_s=(c.hub - idle_cores * c.at) / n,
        broker_cpu_s=c.broker / n,
        influx_cpu_s=c.influx / n,
        influx_points=c.points / n,
        bytes_per_event=(f.settled[0] + f.settled[2]) / EVENTS,
        series_per_station=sum(f.series.values()) / f.region_stations,
        hub_idle_cores=idle_cores,
    )


def report(f: Figures) -> list[str]:
    idle_cores = f.idle.hub / f.idle.at
    rollup_points = sum(f.points[m] for m in ROLLUPS)
    total_bytes = f.settled[0] + f.settled[2]  # the points: TSM and WAL; the series file is apart
    raw_bytes = total_bytes - f.rollup_bytes
    stations_per_stream = {stream: n * len(SITES) for stream, n in STATION_MIX}
    region_series = sum(f.series.values())
    unsettled = f.unsettled[0] + f.unsettled[2]
    return [
        "## Capacity inputs: bytes, CPU and series per event",
        "",
        "The measured inputs of docs/capacity.md (`python -m bench storage_cost`; scale the region's events with",
        "`SORTCENTRE_BENCH_STORAGE_EVENTS`). Own Mosquitto and InfluxDB 1.6 (inmem index), `sortcentre hub` as a",
        "child process with its defaults, a fresh one and a database of its own for each load. Events as stations",
        f"make them: plastic and textile stations with a camera put a suggestion on {SUGGESTED:.0%} of items",
        f"({BLIND:.0%} of those blind checks), the sorter takes {ACCEPT:.0%} of shown suggestions, {UNDO:.0%} of",
        f"items are undone; each station's items {f.cycle:.1f} s apart on average in station time (the demo",
        "sorter's cycle, bench/scenarios.py). CPU is user + system time from /proc: the hub with its ingest",
        "workers, Mosquitto (publishers in, hub out), influxd. InfluxDB points are its `write` statistic",
        "(`/debug/vars`: the events' `/write` and the rollups' `SELECT ... INTO`). Each load is timed from its",
        "first publish until every event is stored and every rollup layer holds them all (equal `sum(items)`).",
        "The steady loads are paced by 3 paho publisher processes on the same 2 cores.",
        "",
        f"Hub idle (no events, {f.idle.at:.0f} s after a {IDLE_WARMUP_S} s warm-up): {idle_cores:.4f} cores."
        " CPU per event (ms):",
        "",
        "| load | events | s | events/s | hub (idle taken off) | Mosquitto | InfluxDB | InfluxDB points/event |",
        "|---|---|---|---|---|---|---|---|",
        *(
            cost_row(
                f"steady, {run.shape.name}: {run.shape.rate:,}/s asked from {run.shape.stations:,} stations",
                run.counters,
                run.shape.rate * run.shape.seconds,
                idle_cores,
            )
            for run in f.steady
        ),
        cost_row(
            f"backlog: the region's {f.region_stations} stations, `mosquitto_pub` as fast as acked",
            f.backlog,
            EVENTS,
            idle_cores,
        ),
        "",
        "Hub RSS after each steady load (its process, workers not counted): "
        + ", ".join(f"{run.hub_rss_mb:.0f} MB" for run in f.steady)
        + f"; influxd {f.influx_rss:.0f} MB at the end (all databases, inmem index). Series written by the steady"
        " loads: "
        + ", ".join(
            f"{run.series:,} ({run.shape.stations:,} stations, about "
            f"{run.shape.rate * run.shape.seconds / run.shape.stations:.0f} events each)"
            for run in f.steady
        )
        + ".",
        "",
        f"Disk, the region database ({EVENTS:,} events of {f.region_stations} stations, "
        f"{f.points[RAW] / f.region_stations * f.cycle / 3600:.1f} h of station time each):",
        "",
        "| measured | TSM files | WAL | TSM + WAL | per event | series file (`_series`) |",
        "|---|---|---|---|---|---|",
        f"| right after the ingest | {f.unsettled[0]:,} | {f.unsettled[2]:,} | {unsettled:,} "
        f"| {unsettled / EVENTS:.1f} | {f.unsettled[1]:,} |",
        f"| settled (cache snapshot, full compaction; {f.waited:.0f} s) | {f.settled[0]:,} | {f.settled[2]:,} "
        f"| {total_bytes:,} | **{total_bytes / EVENTS:.1f}** | {f.settled[1]:,} |",
        f"| of which the rollups (their retention policy's shard) | | | {f.rollup_bytes:,} "
        f"| {f.rollup_bytes / EVENTS:.1f} | |",
        f"| of which the events (the difference) | | | {raw_bytes:,} | {raw_bytes / EVENTS:.1f} | |",
        "",
        "Bytes are blocks allocated on disk (as `du` counts). The series file maps the database's series keys",
        "to ids: it grows with series, not with points, and starts with preallocated segments, so it is a",
        "cost per database and per series, not per event.",
        "",
        "Points stored: "
        + ", ".join(f"`{m}` {f.points[m]:,}" for m in (RAW, *ROLLUPS))
        + f"; rollup points per event {rollup_points / f.points[RAW]:.3f};"
        + f" bytes per rollup point {f.rollup_bytes / max(rollup_points, 1):.1f}, per event point"
        + f" {raw_bytes / f.points[RAW]:.1f}.",
        "",
        f'Series (result series of `SELECT count("items") ... GROUP BY *`), region database: {region_series:,} in'
        f" all, {region_series / f.region_stations:.1f} a station: "
        + ", ".join(f"`{m}` {n:,}" for m, n in sorted(f.series.items()))
        + ". `sorting_event` series a station, by stream: "
        + ", ".join(
            f"{stream} {f.per_stream[stream] / stations_per_stream[stream]:.1f} ({len(CATEGORIES[stream])} categories)"
            for stream in CATEGORIES
        )
        + ".",
        "",
        "The scenarios of docs/capacity.md with these figures (bench/scenarios.py: peak = every station at the",
        "demo pace; per-event CPU and points of the first steady load for the region and the textile network,",
        "of the second for every kringloop; hub cores include its idle cost; bytes and series per station from",
        "the region database):",
        "",
        *scenarios.table(
            {
                scenarios.REGION: measured(f, f.steady[0]),
                scenarios.KRINGLOOP: measured(f, f.steady[-1]),
                scenarios.TEXTILE: measured(f, f.steady[0]),
            }
        ),
        "",
    ]
