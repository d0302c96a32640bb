"""The station's on-disk journal: every event is committed here before the sorter sees it as done.

SQLite in WAL mode with ``synchronous=FULL``: a committed transaction survives a power cut (in WAL mode
NORMAL may lose the last commits on power loss, which is exactly the case we must survive). Rows stay until
the broker acknowledged the event (PUBACK) and are then deleted; ``AUTOINCREMENT`` guarantees a deleted
sequence number is never handed out again, so ``seq`` is unique per station for the life of the file.

Space: an SQLite file does not shrink when rows are deleted, so the journal's fill level is what it *holds*
(pages in use: ``page_count - freelist_count``), never the files' size; a station whose backlog drained takes
items again at once. The space itself goes back to the disk too: the file uses ``auto_vacuum=INCREMENTAL``
and :meth:`Journal.reclaim` (called by the publisher's thread, never on a press) gives free pages back a
bounded step at a time, followed by a passive WAL checkpoint; ``journal_size_limit`` truncates the WAL file
after a checkpoint. A journal made before this (``auto_vacuum=NONE``) is rebuilt once with ``VACUUM``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

# SQLite's PRAGMA auto_vacuum values.
_AUTO_VACUUM_NONE = 0
_AUTO_VACUUM_INCREMENTAL = 2
# What the WAL file is cut back to when it starts over after a checkpoint. It grows to about 4 MiB between
# autocheckpoints (1000 pages, SQLite's default) and, without a limit, keeps the largest size it ever reached (a
# long transaction, a reader holding a snapshot during a backlog) for good.
WAL_LIMIT_BYTES = 1024**2
# Free pages are left alone until there are more than this (1 MiB at 4 KiB pages): the next events reuse them,
# and shrinking a file that grows again at once only costs writes on the station's SD card. Past it, all free
# pages go back, in steps.
RECLAIM_ABOVE_PAGES = 256
# One reclaim step gives back at most this many pages (4 MiB at 4 KiB pages), so it holds the journal's lock
# for a few milliseconds: a press that commits meanwhile waits at most that long. A 2 GiB backlog that drained
# is given back in about 500 steps.
RECLAIM_STEP_PAGES = 1024

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
        # Before the first table exists, so that a new file is made with it; an older file is migrated below.
        self._db.execute(f"PRAGMA auto_vacuum={_AUTO_VACUUM_INCREMENTAL}")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        self._db.executescript(_SCHEMA)
        self._migrate_auto_vacuum()
        self._page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        self._reclaiming = False
        self._lock = threading.Lock()
        # Kept in memory: the kiosk and the heartbeat ask often, and count(*) over a million rows is not free.
        self._depth = int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    def _migrate_auto_vacuum(self) -> None:
        """A journal made by an older station (auto_vacuum NONE) never gives space back: rebuild it once."""
        mode = int(self._db.execute("PRAGMA auto_vacuum").fetchone()[0])
        if mode == _AUTO_VACUUM_INCREMENTAL:
            return
        size = self.size_bytes()
        logger.warning(
            "journal %s was made without incremental vacuum (auto_vacuum=%d, %d bytes): rebuilding it once so "
            "that it gives space back after a backlog; this needs up to its size again in free disk space",
            self.path,
            mode,
            size,
        )
        started = time.monotonic()
        try:
            # The mode of an existing file changes only with a VACUUM, which rewrites the whole file.
            self._db.execute(f"PRAGMA auto_vacuum={_AUTO_VACUUM_INCREMENTAL}")
            self._db.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            # A full disk, typically: the journal still works, its fill level is still measured by what it
            # holds, only its files do not shrink. Tried again at the next start.
            logger.error("journal %s could not be rebuilt (%s); it keeps working but will not shrink", self.path, exc)
            return
        logger.warning(
            "journal %s rebuilt with incremental vacuum in %.1f s: %d bytes now",
            self.path,
            time.monotonic() - started,
            self.size_bytes(),
        )

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

    def used_bytes(self) -> int:
        """What the journal holds: its pages in use, free pages not counted. This is its fill level."""
        with self._lock:
            pages = int(self._db.execute("PRAGMA page_count").fetchone()[0])
            free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
        return (pages - free) * self._page_size

    def reclaim(self, max_pages: int = RECLAIM_STEP_PAGES) -> bool:
        """Give up to ``max_pages`` free pages back to the disk; True while more remain to give back.

        Bounded work under the lock: the caller (the publisher's thread) calls again until it returns False."""
        with self._lock:
            free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
            if free == 0 or (free <= RECLAIM_ABOVE_PAGES and not self._reclaiming):
                self._reclaiming = False
                return False
            self._reclaiming = True
            # executescript, not execute: the pragma frees one page per step and returns no columns, so the
            # sqlite3 module's execute() steps it once (one page); executescript steps each statement to its end.
            self._db.executescript(f"PRAGMA incremental_vacuum({int(max_pages)});")
            # PASSIVE: never waits for a reader (a supervisor's sqlite3 shell); the next one catches up. In WAL
            # mode the main file shrinks when the checkpoint copies the vacuum's pages into it.
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            left = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
            self._reclaiming = left > 0
        return self._reclaiming

    def size_bytes(self) -> int:
        """The files' size on disk (database and WAL): what a full disk is about, not the fill level."""
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
