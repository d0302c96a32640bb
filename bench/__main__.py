"""Runs every benchmark and rewrites docs/benchmarks.md. Each benchmark returns markdown lines."""

from __future__ import annotations

import logging
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import capacity, dashboard, field, fleet, ingest, journal, lights, station, training, vision, year
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
    "dashboard",
    "fleet",
    "vision",
    "field",
    "lights",
    "training",
    "year",
)


def run(names: set[str]) -> list[str]:
    sections: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "journal" in names:
            sections += journal.run(root / "journal")
        if "capacity" in names:
            sections += capacity.run(root / "capacity")
        if names & {"station", "ingest", "dashboard", "fleet"}:
            with MosquittoServer(root / "mosquitto") as broker, InfluxServer(root / "influxdb") as influx:
                if "station" in names:
                    sections += station.run(root / "station", broker)
                if "ingest" in names:
                    sections += ingest.run(root / "ingest", broker, influx)
                if "dashboard" in names:
                    sections += dashboard.run(root / "dashboard", broker, influx)
                if "fleet" in names:
                    sections += fleet.run(root / "fleet", broker, influx)
        if "vision" in names:
            sections += vision.run(root / "vision")
        if "field" in names:
            sections += field.run(root / "field")
        if "lights" in names:
            sections += lights.run(root / "lights")
        if "training" in names:
            sections += training.run(root / "training")
        if "year" in names:
            sections += year.run(root / "year")
    return sections


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
        "Servers: Debian's Mosquitto and InfluxDB 1.6, started by the benchmark on free ports.",
        "",
    ]
    body = [line for lines in merged.values() for line in lines]
    OUT.write_text("\n".join(header + body).rstrip() + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main(sys.argv[1:])
