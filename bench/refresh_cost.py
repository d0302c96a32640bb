"""InfluxDB's CPU time per rollup refresh, per layer: one statement over all stations against one statement
per station (docs/storage.md, "Cost of the refresh"). Not part of `make bench`; run it alone:

    .venv/bin/python -m bench.refresh_cost

100,000 events of 50 stations, one second apart in station time, stations progressing unevenly (station k
runs 1 + k/50 times as fast as station 0, as 50 publishers do), written in batches of 5,000 by the hub's
BatchWriter; then every batch's buckets are refreshed with each variant, measuring influxd's CPU time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import psutil

from config.influx import InfluxSettings
from hub.ingest.batch import BatchResult, BatchWriter
from hub.storage.influx_v1 import InfluxV1
from hub.storage.rollups import CREATE_RETENTION_POLICY, LAYERS, Layer, merge_buckets, refresh_range, refresh_statement
from local_servers import InfluxServer
from local_servers.fleet import fleet_payloads

EVENTS, STATIONS, BATCH = 100_000, 50, 5_000


def _across(store: InfluxV1, layer: Layer) -> Callable[[BatchResult], None]:
    def run(result: BatchResult) -> None:
        for start, end in merge_buckets(layer.bucket(m) for _site, _station, m in result.touched):
            refresh_range(store, layer, start, end)

    return run


def _per_station(store: InfluxV1, layer: Layer) -> Callable[[BatchResult], None]:
    def run(result: BatchResult) -> None:
        stations: dict[tuple[str, str], list] = {}
        for site, station, moment in result.touched:
            stations.setdefault((site, station), []).append(moment)
        statements = [
            refresh_statement(layer, start, end, f"\"site\" = '{site}' AND \"station\" = '{station}' AND ")
            for (site, station), moments in stations.items()
            for start, end in merge_buckets(layer.bucket(m) for m in moments)
        ]
        store.execute(";\n".join(statements))

    return run


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, InfluxServer(Path(folder)) as influx:
        store = InfluxV1(InfluxSettings(url=influx.url, database="refresh_cost"))
        store.ensure_database()
        store.ensure(CREATE_RETENTION_POLICY)
        assert influx.pid is not None
        influxd = psutil.Process(influx.pid)
        payloads = fleet_payloads(EVENTS, STATIONS, site="bench", spacing_s=1)
        uneven = sorted(enumerate(payloads), key=lambda ip: (ip[0] // STATIONS) / (1 + (ip[0] % STATIONS) / STATIONS))
        payloads = [p for _, p in uneven]
        writer = BatchWriter(store, retry_initial_s=0.1, retry_max_s=1.0, stop_wait=lambda _s: False)
        results = [writer.process(payloads[i : i + BATCH]) for i in range(0, len(payloads), BATCH)]
        for layer in LAYERS:
            for name, variant in (("across stations", _across), ("per station", _per_station)):
                run = variant(store, layer)
                before = sum(influxd.cpu_times()[:2])
                for result in results:
                    run(result)
                spent = (sum(influxd.cpu_times()[:2]) - before) / len(results) * 1000
                print(f"{layer.measurement:14s} {name:16s} {spent:6.1f} ms of influxd CPU per {BATCH:,}-event batch")
        store.close()


if __name__ == "__main__":
    main()
