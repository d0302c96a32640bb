"""Station journal: time to commit one event durably (the bulk of button-to-journaled latency)."""

from __future__ import annotations

import time
from pathlib import Path

from bench.stats import summary_ms
from edge.stations.journal import Journal
from local_servers.fleet import make_event

EVENTS = 2000


def run(folder: Path) -> list[str]:
    journal = Journal(folder / "journal.sqlite")
    payload = make_event(1).to_json()
    durations = []
    for _ in range(EVENTS):
        started = time.perf_counter()
        journal.append(lambda seq: (f"id-{seq}", payload))
        durations.append(time.perf_counter() - started)
    journal.close()
    return [
        "## Station journal commit",
        "",
        f"{EVENTS} events committed one by one to SQLite (WAL, synchronous=FULL) on this machine's disk:",
        f"{summary_ms(durations)}.",
        "A Raspberry Pi's SD card is slower; measure there before trusting these figures for a station.",
        "",
    ]
