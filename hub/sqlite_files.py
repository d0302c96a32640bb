"""The hub's small SQLite files (users, API keys, closed periods, the station registry, remote configs, rollouts):
how each is created and how each transaction opens and ends, in one place.

Every file is in WAL mode (readers never wait for a writer), opened per transaction with a 10-second wait for a
lock (two hub threads, or the hub and a `sortcentre` command, may write at once), and closed after it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_WAIT_S = 10


def create(path: Path, schema: str, *, private: bool = False) -> None:
    """Make the file's folder, the file (``private``: readable by the hub's user only, for hashes and tokens) and
    its tables (``schema``: CREATE ... IF NOT EXISTS statements)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if private and not path.exists():
        path.touch(mode=0o600)
    db = sqlite3.connect(path, timeout=LOCK_WAIT_S)
    try:
        db.execute("PRAGMA journal_mode = WAL")  # outside any transaction, where SQLite allows the change
        db.executescript(schema)
    finally:
        db.close()


@contextmanager
def transaction(path: Path, *, foreign_keys: bool = False) -> Iterator[sqlite3.Connection]:
    """One transaction on its own connection: committed when the block ends, rolled back on an exception."""
    db = sqlite3.connect(path, timeout=LOCK_WAIT_S)
    try:
        if foreign_keys:
            db.execute("PRAGMA foreign_keys = ON")  # per connection
        with db:
            yield db
    finally:
        db.close()
