"""Journal capacity: a station journal holding 1,000,000 unsent events (a long outage at a busy site) must
still take new events, hand out the oldest in order and prune acknowledged ones quickly."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bench.stats import summary_ms
from edge.stations.journal import Journal
from local_servers.fleet import make_event

EVENTS = 1_000_000


def _fill(path: Path) -> None:
    """Bulk-fill through SQLite directly (one transaction): appending one by one would take ten minutes."""
    Journal(path).close()  # the schema
    payload = make_event(1).to_json()
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO events(seq, event_id, payload, created) VALUES (?, ?, ?, ?)",
            ((seq, f"bulk-{seq}", payload, time.time()) for seq in range(1, EVENTS + 1)),
        )
        db.execute("UPDATE counters SET value = ? WHERE name = 'made'", (EVENTS,))
    db.close()


def run(folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    path = folder / "journal.sqlite"
    _fill(path)
    opened = time.perf_counter()
    journal = Journal(path)
    open_s = time.perf_counter() - opened
    size_mb = journal.size_bytes() / 1e6
    payload = make_event(1).to_json()
    appends = []
    for _ in range(500):
        started = time.perf_counter()
        journal.append(lambda seq: (f"new-{seq}", payload))
        appends.append(time.perf_counter() - started)
    reads, acks = [], []
    after = 0
    for _ in range(200):
        started = time.perf_counter()
        batch = journal.pending(after, 100)
        reads.append(time.perf_counter() - started)
        after = batch[-1].seq
        started = time.perf_counter()
        journal.acknowledge(p.seq for p in batch)
        acks.append(time.perf_counter() - started)
    depth = journal.depth()
    journal.close()
    return [
        "## Station journal at 1,000,000 events",
        "",
        f"A journal holding {EVENTS:,} unsent events: {size_mb:,.0f} MB on disk, opened in {open_s * 1000:.0f} ms",
        f"(depth {depth:,} after the run below). At that depth:",
        "",
        f"- append one event: {summary_ms(appends)};",
        f"- read the next 100 in order: {summary_ms(reads)};",
        f"- acknowledge (delete) 100: {summary_ms(acks)}.",
        "",
        "The default `journal.max_bytes` (2 GiB) holds about four million events of this size.",
        "",
    ]
