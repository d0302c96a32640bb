"""The station's on-disk journal: every event is committed here before the sorter sees it as done.

SQLite in WAL mode with ``synchronous=FULL``: a committed transaction survives a power cut (in WAL mode
NORMAL may lose the last commits on power loss, which is exactly the case we must survive). Rows stay until
the broker acknowledged the event (PUBACK) and are then deleted; ``AUTOINCREMENT`` guarantees a deleted
sequence number is never handed out again, so ``seq`` is unique per station for the life of the file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    payload BLOB NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters(name, value) VALUES ('made', 0), ('sent', 0);
"""


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    payload: bytes


class Journal:
    """Thread-safe: the state machine appends, the publisher reads and acknowledges."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        # Kept in memory: the kiosk and the heartbeat ask often, and count(*) over a million rows is not free.
        self._depth = int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def append(self, build: Callable[[int], tuple[str, bytes]]) -> int:
        """Commit one event durably; ``build(seq)`` makes (event_id, payload) for the next sequence number."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
                seq = (row[0] if row else 0) + 1
                event_id, payload = build(seq)
                self._db.execute(
                    "INSERT INTO events(seq, event_id, payload, created) VALUES (?, ?, ?, ?)",
                    (seq, event_id, payload, time.time()),
                )
                self._db.execute("UPDATE counters SET value = value + 1 WHERE name = 'made'")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._depth += 1
            return seq

    def pending(self, after_seq: int, limit: int) -> list[Pending]:
        """Unacknowledged events in sequence order, starting after ``after_seq``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
            ).fetchall()
        return [Pending(seq, bytes(payload)) for seq, payload in rows]

    def acknowledge(self, seqs: Iterable[int]) -> int:
        """The broker has these: prune them. Returns how many rows went."""
        batch = [(s,) for s in seqs]
        if not batch:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            cursor = self._db.executemany("DELETE FROM events WHERE seq = ?", batch)
            gone = cursor.rowcount
            self._db.execute("UPDATE counters SET value = value + ? WHERE name = 'sent'", (gone,))
            self._db.execute("COMMIT")
            self._depth -= gone
        return gone

    def depth(self) -> int:
        return self._depth

    def oldest_age_s(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT min(created) FROM events").fetchone()
        return None if row[0] is None else max(0.0, time.time() - row[0])

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {name: int(value) for name, value in self._db.execute("SELECT name, value FROM counters")}

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
