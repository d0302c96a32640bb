"""bench/nats_ingest.py at a tiny size against real Mosquitto, a real three-node NATS cluster, InfluxDB and
`sortcentre hub` processes: it runs to the end and writes its table (no speed is checked: that is `make bench`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import nats_ingest
from local_servers import InfluxServer


@pytest.mark.timeout(300)
def test_nats_ingest_bench_runs_at_a_tiny_size(
    tmp_path: Path, influx: InfluxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nats_ingest, "EVENTS", 500)
    monkeypatch.setattr(nats_ingest, "STATIONS", 5)
    lines = nats_ingest.run(tmp_path, influx)
    assert lines[0] == "## Hub ingest through NATS"
    rows = [line for line in lines if line.startswith(("| Mosquitto", "| NATS"))]
    assert len(rows) == 3
    for row in rows:
        rate, ratio, hub_cpu, broker_cpu = (float(cell.replace(",", "")) for cell in row.strip("|").split("|")[1:])
        assert rate > 0 and ratio > 0 and hub_cpu > 0, row
        # /proc counts CPU in clock ticks (10 ms): Mosquitto may pass 500 events inside one tick and read 0 here.
        assert broker_cpu >= 0, row
