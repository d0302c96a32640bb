"""Runs every benchmark and rewrites docs/benchmarks.md. Each benchmark returns markdown lines."""

from __future__ import annotations

import logging
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import capacity, ingest, journal, station, year
from sortcentre.infra import InfluxServer, MosquittoServer

OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    sections: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sections += journal.run(root / "journal")
        sections += capacity.run(root / "capacity")
        with MosquittoServer(root / "mosquitto") as broker, InfluxServer(root / "influxdb") as influx:
            sections += station.run(root / "station", broker)
            sections += ingest.run(broker, influx)
        sections += year.run(root / "year")
    header = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        f"Machine: {machine()}.",
        "Servers: Debian's Mosquitto and InfluxDB 1.6, started by the benchmark on free ports.",
        "",
    ]
    OUT.write_text("\n".join(header + sections) + "\n")
    print(OUT.read_text())
    sys.exit(0)


if __name__ == "__main__":
    main()
