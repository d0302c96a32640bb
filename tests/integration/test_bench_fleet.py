"""bench/fleet.py at tiny sizes against the real Mosquitto, InfluxDB and `sortcentre hub`: it runs to the end and
writes its two sections (no figures are checked: speed belongs in `make bench`)."""

from __future__ import annotations

from pathlib import Path

from bench import fleet
from local_servers import InfluxServer, MosquittoServer


def test_fleet_bench_runs_at_tiny_sizes(tmp_path: Path, mosquitto: MosquittoServer, influx: InfluxServer) -> None:
    lines = fleet.run(tmp_path, mosquitto, influx, captures=20, presses=5, stations=2)
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [
        "## Fleet: capture uploads beside weighing",
        "## Fleet: model published to all stations running it",
    ]
    assert any("frames/s" in line for line in lines)
    assert sum(line.startswith("| plastic-classifier@") for line in lines) == 2
