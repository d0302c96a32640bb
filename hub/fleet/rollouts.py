"""Model rollouts and their canary decisions, in one SQLite file (``learning.rollouts_file``).

Every call opens its own connection, as in hub/feeds/periods.py: the hub's request threads, the canary check and
a command may use the file at the same time, and WAL mode lets them. One rollout per site and stream is open at a
time: a second one would leave it unclear which version the canary's figures belong to.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from hub import sqlite_files
from hub.fleet.canary import Rollout, State

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    stream TEXT NOT NULL,
    new_version TEXT NOT NULL,
    previous_version TEXT,
    canary TEXT NOT NULL,          -- JSON list of station ids
    others TEXT NOT NULL,          -- JSON list of station ids
    items_needed INTEGER NOT NULL,
    state TEXT NOT NULL,
    started TEXT NOT NULL,         -- ISO 8601, UTC
    decided TEXT,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_rollout ON rollouts (site, stream) WHERE state = 'canary';
"""

_COLUMNS = (
    "id, site, stream, new_version, previous_version, canary, others, items_needed, state, started, decided, reason"
)


class RolloutError(ValueError):
    """A rollout that cannot start; the message says why."""


def _row(row: tuple[object, ...]) -> Rollout:
    (id_, site, stream, new, previous, canary, others, needed, state, started, decided, reason) = row
    return Rollout(
        id=int(str(id_)),
        site=str(site),
        stream=str(stream),
        new_version=str(new),
        previous_version=None if previous is None else str(previous),
        canary=tuple(json.loads(str(canary))),
        others=tuple(json.loads(str(others))),
        items_needed=int(str(needed)),
        state=State(str(state)),
        started=datetime.fromisoformat(str(started)),
        decided=None if decided is None else datetime.fromisoformat(str(decided)),
        reason=str(reason),
    )


class RolloutStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        sqlite_files.create(path, SCHEMA)

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_files.transaction(self.path)

    def start(
        self,
        *,
        site: str,
        stream: str,
        new_version: str,
        previous_version: str | None,
        canary: Sequence[str],
        others: Sequence[str],
        items_needed: int,
        now: datetime | None = None,
    ) -> Rollout:
        """A new open rollout; :class:`RolloutError` when one is open for this site and stream, or the stations
        make no sense (no canary, a station in both lists, the new version equal to the previous)."""
        if not canary:
            raise RolloutError("a rollout needs at least one canary station")
        if set(canary) & set(others):
            raise RolloutError(f"stations both canary and other: {sorted(set(canary) & set(others))}")
        if new_version == previous_version:
            raise RolloutError(f"{new_version} is the version the stations run already")
        started = (now or datetime.now(UTC)).isoformat()
        try:
            with self._db() as db:
                cursor = db.execute(
                    "INSERT INTO rollouts (site, stream, new_version, previous_version, canary, others, items_needed,"
                    " state, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        site,
                        stream,
                        new_version,
                        previous_version,
                        json.dumps(list(canary)),
                        json.dumps(list(others)),
                        items_needed,
                        State.CANARY.value,
                        started,
                    ),
                )
                rollout_id = cursor.lastrowid
        except sqlite3.IntegrityError:
            raise RolloutError(f"a rollout of {site}/{stream} is open already; it must be decided first") from None
        found = self.get(int(rollout_id or 0))
        assert found is not None
        return found

    def save(self, rollout: Rollout) -> None:
        """Store a rollout's state, decision time and reason (what :func:`hub.fleet.canary.step` changes)."""
        with self._db() as db:
            db.execute(
                "UPDATE rollouts SET state = ?, decided = ?, reason = ? WHERE id = ?",
                (
                    rollout.state.value,
                    None if rollout.decided is None else rollout.decided.isoformat(),
                    rollout.reason,
                    rollout.id,
                ),
            )

    def discard(self, rollout_id: int) -> None:
        """Forget a rollout that never reached a station (its publication to the canary failed)."""
        with self._db() as db:
            db.execute("DELETE FROM rollouts WHERE id = ? AND decided IS NULL", (rollout_id,))

    def get(self, rollout_id: int) -> Rollout | None:
        with self._db() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM rollouts WHERE id = ?", (rollout_id,)).fetchone()  # noqa: S608
        return None if row is None else _row(row)

    def open(self) -> list[Rollout]:
        with self._db() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM rollouts WHERE state = ? ORDER BY id",  # noqa: S608
                (State.CANARY.value,),
            ).fetchall()
        return [_row(r) for r in rows]

    def recent(self, limit: int = 50) -> list[Rollout]:
        """The latest rollouts first."""
        with self._db() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM rollouts ORDER BY id DESC LIMIT ?",  # noqa: S608
                (limit,),
            ).fetchall()
        return [_row(r) for r in rows]

    def current_version(self, site: str, stream: str) -> str | None:
        """The version the site's stations run now as far as rollouts know: the new version of the latest rollout
        that rolled on, or the previous version of an open or rolled-back one after it."""
        with self._db() as db:
            row = db.execute(
                "SELECT state, new_version, previous_version FROM rollouts WHERE site = ? AND stream = ? "
                "ORDER BY id DESC LIMIT 1",
                (site, stream),
            ).fetchone()
        if row is None:
            return None
        state, new, previous = row
        return str(new) if state == State.ROLLED_ON.value else (None if previous is None else str(previous))
