"""Alerts a supervisor acknowledged: who and when, kept in the hub's SQLite (hub/sqlite_files.py) so a hub restart
does not bring back as new an alert somebody already took on (docs/dashboard.md, "Acknowledging").

An acknowledged alert stays on the dashboard, shown as acknowledged, for as long as its cause lasts. Once the alert
has been gone ``ack_clears_after_min`` minutes, its acknowledgement is forgotten and the same alert after that is
a new one. Gone means: absent from the alerts the hub computed for a view that covers the alert's site (the alerts
are computed when somebody looks), so an alert of a site nobody watched keeps its acknowledgement until someone
does.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from config.dashboard import DashboardSettings
from hub import sqlite_files

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_ack (
    alert_id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    acknowledged_by TEXT NOT NULL,
    acknowledged_at TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Ack:
    alert_id: str
    site: str
    by: str
    at: datetime


class AlertAcks:
    """Kept in memory (the dashboard reads them on every update) and written through to ``path``."""

    def __init__(self, path: Path | None, clears_after: timedelta) -> None:
        """``path`` None: in memory only (tests, an app built without a hub)."""
        self.path = path
        self.clears_after = clears_after
        self._lock = threading.Lock()
        self._acks: dict[str, Ack] = {}
        self._last_seen: dict[str, datetime] = {}
        if path is not None:
            sqlite_files.create(path, SCHEMA)
            with sqlite_files.transaction(path) as db:
                rows = db.execute("SELECT alert_id, site, acknowledged_by, acknowledged_at FROM alert_ack").fetchall()
            now = datetime.now(UTC)
            for alert_id, site, by, at in rows:
                self._acks[alert_id] = Ack(alert_id, site, by, datetime.fromisoformat(at))
                self._last_seen[alert_id] = now  # the clock of "gone for a while" starts with this hub

    @classmethod
    def from_settings(cls, settings: DashboardSettings) -> AlertAcks:
        return cls(settings.acks_file, timedelta(minutes=settings.ack_clears_after_min))

    def acknowledge(self, alerts: Iterable[tuple[str, str]], by: str, at: datetime) -> list[Ack]:
        """``alerts``: (alert id, site) of current alerts. One already acknowledged keeps its first who and when."""
        made = []
        with self._lock:
            for alert_id, site in alerts:
                if alert_id in self._acks:
                    continue
                ack = Ack(alert_id, site, by, at)
                made.append(ack)
            if made and self.path is not None:
                with sqlite_files.transaction(self.path) as db:
                    db.executemany(
                        "INSERT OR IGNORE INTO alert_ack VALUES (?, ?, ?, ?)",
                        [(a.alert_id, a.site, a.by, a.at.isoformat()) for a in made],
                    )
            for ack in made:
                self._acks[ack.alert_id] = ack
                self._last_seen[ack.alert_id] = at
        for ack in made:
            logger.info("alert %s acknowledged by %s", ack.alert_id, ack.by)
        return made

    def current(self, alert_ids: Collection[str], sites: Collection[str] | None, now: datetime) -> dict[str, Ack]:
        """The acknowledgements of ``alert_ids``, the alerts of ``sites`` (None: every site) now; forgets those of
        these sites whose alert has been gone longer than ``clears_after``."""
        with self._lock:
            for alert_id in alert_ids:
                if alert_id in self._acks:
                    self._last_seen[alert_id] = now
            stale = [
                a.alert_id
                for a in self._acks.values()
                if (sites is None or a.site in sites) and now - self._last_seen[a.alert_id] > self.clears_after
            ]
            if stale:
                self._forget(stale)
            return {i: self._acks[i] for i in alert_ids if i in self._acks}

    def _forget(self, stale: list[str]) -> None:
        """Under the lock. A file that cannot be written keeps them in memory: tried again on the next read."""
        if self.path is not None:
            try:
                with sqlite_files.transaction(self.path) as db:
                    db.executemany("DELETE FROM alert_ack WHERE alert_id = ?", [(i,) for i in stale])
            except sqlite3.Error as exc:
                logger.warning(
                    "could not forget %d cleared alert acknowledgements in %s: %s", len(stale), self.path, exc
                )
                return
        for alert_id in stale:
            del self._acks[alert_id]
            del self._last_seen[alert_id]
        logger.info("alerts cleared, acknowledgements forgotten: %s", ", ".join(stale))
