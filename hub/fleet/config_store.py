"""Every version of each station's sorting settings (remote config, docs/fleet.md), in one SQLite file
(``remote_config.config_file``): what it was, who changed it and when.

A version is named ``<station>-<n>``, n counting up from 1 per station and never reused (a deleted old version
keeps its number taken), so a heartbeat's ``config_version`` names one set of settings for good. The settings
are stored as the hub validated them (config.remote.SortingSettings, keys left out stay out).

Every call opens its own connection, as in ``hub.keys.store``: the API writes from a thread pool while the live
view reads from the MQTT thread; SQLite in WAL mode lets them work side by side. The latest version of each
station is also kept in memory, because the dashboard asks for it every few seconds per open page.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.contract.topics import check_slug
from hub import sqlite_files

if TYPE_CHECKING:
    from config.remote import RemoteConfigSettings

logger = logging.getLogger(__name__)

MAX_CHANGED_BY = 80  # a user name, as the auth store allows it

SCHEMA = """
CREATE TABLE IF NOT EXISTS config_versions (
    station TEXT NOT NULL,
    number INTEGER NOT NULL,  -- 1, 2, ... per station; the version is '<station>-<number>'
    site TEXT NOT NULL,
    settings TEXT NOT NULL,  -- JSON object, as validated by config.remote.SortingSettings
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,  -- ISO 8601 UTC, milliseconds
    PRIMARY KEY (station, number)
);
CREATE TABLE IF NOT EXISTS config_numbers (
    station TEXT PRIMARY KEY,
    last_number INTEGER NOT NULL  -- the highest number ever given: pruning old versions never frees one
);
"""


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    station: str
    site: str
    number: int
    settings: dict[str, Any]
    changed_by: str
    changed_at: datetime

    @property
    def version(self) -> str:
        return f"{self.station}-{self.number}"

    def as_dict(self, with_settings: bool = True) -> dict[str, Any]:
        found: dict[str, Any] = {
            "version": self.version,
            "site": self.site,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat(),
        }
        if with_settings:
            found["settings"] = self.settings
        return found


class ConfigStore:
    def __init__(self, path: Path, versions_kept: int = 200) -> None:
        self.path = path
        self.versions_kept = versions_kept
        sqlite_files.create(path, SCHEMA)
        self._lock = threading.Lock()
        self._latest: dict[str, ConfigVersion] = {}
        for station in self._stations():
            latest = self._read_latest(station)
            if latest is not None:
                self._latest[station] = latest

    @classmethod
    def from_settings(cls, settings: RemoteConfigSettings) -> ConfigStore:
        return cls(settings.config_file, settings.versions_kept)

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_files.transaction(self.path)

    def _stations(self) -> list[str]:
        with self._db() as db:
            return [row[0] for row in db.execute("SELECT DISTINCT station FROM config_versions")]

    def _read_latest(self, station: str) -> ConfigVersion | None:
        with self._db() as db:
            row = db.execute(
                "SELECT station, site, number, settings, changed_by, changed_at FROM config_versions "
                "WHERE station = ? ORDER BY number DESC LIMIT 1",
                (station,),
            ).fetchone()
        return None if row is None else _version(row)

    def put(self, station: str, site: str, settings: dict[str, Any], changed_by: str) -> ConfigVersion:
        """Store ``settings`` as the station's next version (validate them first: config.remote)."""
        check_slug(station, "station")
        check_slug(site, "site")
        changed_at = datetime.now(UTC)
        changed_at = changed_at.replace(microsecond=changed_at.microsecond - changed_at.microsecond % 1000)
        with self._lock, self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # two admins saving at once get two numbers, not one
            row = db.execute("SELECT last_number FROM config_numbers WHERE station = ?", (station,)).fetchone()
            number = (row[0] if row else 0) + 1
            db.execute(
                "INSERT INTO config_numbers (station, last_number) VALUES (?, ?) "
                "ON CONFLICT (station) DO UPDATE SET last_number = excluded.last_number",
                (station, number),
            )
            db.execute(
                "INSERT INTO config_versions (station, number, site, settings, changed_by, changed_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (station, number, site, json.dumps(settings), changed_by[:MAX_CHANGED_BY], changed_at.isoformat()),
            )
            db.execute(
                "DELETE FROM config_versions WHERE station = ? AND number <= ?", (station, number - self.versions_kept)
            )
            stored = ConfigVersion(station, site, number, settings, changed_by[:MAX_CHANGED_BY], changed_at)
            self._latest[station] = stored
        logger.info("remote config %s stored for %s/%s by %s", stored.version, site, station, changed_by)
        return stored

    def latest(self, station: str) -> ConfigVersion | None:
        """The version the hub holds for ``station`` (the one stations should run)."""
        with self._lock:
            return self._latest.get(station)

    def all_latest(self) -> list[ConfigVersion]:
        with self._lock:
            return sorted(self._latest.values(), key=lambda v: (v.site, v.station))

    def held(self) -> dict[str, str]:
        """Station -> the version the hub holds for it (the dashboard compares the heartbeats with these)."""
        with self._lock:
            return {station: version.version for station, version in self._latest.items()}

    def history(self, station: str, limit: int = 50) -> list[ConfigVersion]:
        """The station's versions, newest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT station, site, number, settings, changed_by, changed_at FROM config_versions "
                "WHERE station = ? ORDER BY number DESC LIMIT ?",
                (station, limit),
            ).fetchall()
        return [_version(row) for row in rows]


def _version(row: tuple[str, str, int, str, str, str]) -> ConfigVersion:
    station, site, number, settings, changed_by, changed_at = row
    return ConfigVersion(station, site, number, json.loads(settings), changed_by, datetime.fromisoformat(changed_at))
