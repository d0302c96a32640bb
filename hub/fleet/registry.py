"""The station registry: every station an admin added (``sortcentre stations add``) or the hub has heard of, in
one SQLite file (``fleet.registry_file``), shared by the hub and the CLI (docs/fleet.md, section Registry).

A station added by an admin gets a broker account (hub/broker_accounts.py: password file, ACL, SIGHUP to
Mosquitto) and an upload token for the hub's HTTP endpoints. Both secrets are returned once, by ``add``, and kept
nowhere but in the broker's password file (as its hash) and here (the token's SHA-256: it has 256 bits of entropy,
so a fast hash is right; argon2 is for passwords people choose).

A station the hub hears from (heartbeat, status) without an admin having added it gets an entry flagged
``unregistered``: its events are stored as ever, the dashboard flags it, and ``add`` adopts it later.

Every call opens its own connection, as in ``hub.keys.store``: the hub's live view writes "last seen" from its MQTT
thread and the API reads from a thread pool while the CLI adds a station; SQLite in WAL mode lets them work side by
side. Writers that touch the broker's files take SQLite's write lock first (BEGIN IMMEDIATE), so two
``stations add`` at once cannot interleave their ACL rewrites.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.contract.topics import TopicError, check_slug
from core.processes import ProgramNotFoundError
from hub import sqlite_files
from hub.broker_accounts import AccountError, BrokerAccounts, is_hub_name, new_password, reload_broker
from hub.digests import token_digest
from hub.nats_auth import CalloutFolder, NatsUser, station_user, update_users

if TYPE_CHECKING:
    from config.fleet import FleetSettings

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "sst_"  # noqa: S105 - a prefix, not a secret; "sortcentre station token": secret scanners and people can tell what leaked
# secrets.token_urlsafe(32) is 43 characters; anything much longer in a header is not ours and is not hashed.
MAX_TOKEN_LENGTH = 128
MAX_VERSION_LENGTH = 64  # the wire contract's Text is longer; a registry column needs no more than a version
# Bound on the in-memory "last written" cache of seen(): a broker without accounts lets anyone invent stations.
_SEEN_CACHE_MAX = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS stations (
    id TEXT PRIMARY KEY,  -- the station id, which is also its broker user name
    site TEXT NOT NULL,
    stream TEXT,  -- NULL: heard of, never added
    added_at TEXT,  -- ISO 8601 UTC; NULL: unregistered (heard of, never added)
    retired_at TEXT,  -- ISO 8601 UTC; NULL while the station is in service
    first_seen TEXT,
    last_seen TEXT,
    software_version TEXT,
    config_version TEXT,
    model_version TEXT,
    broker_account TEXT,  -- its broker user name; NULL: none (a broker without accounts, or never added)
    token_sha256 TEXT UNIQUE  -- NULL: no upload token
);
"""
_COLUMNS = (
    "id, site, stream, added_at, retired_at, first_seen, last_seen, software_version, config_version, "
    "model_version, broker_account"
)


class RegistryError(ValueError):
    """A registry command that cannot be done: unknown or already added station, bad id, site or stream."""


@dataclass(frozen=True, slots=True)
class RegisteredStation:
    """One station in the registry."""

    id: str
    site: str
    stream: str | None
    added_at: datetime | None
    retired_at: datetime | None
    first_seen: datetime | None
    last_seen: datetime | None
    software_version: str | None
    config_version: str | None
    model_version: str | None
    broker_account: str | None

    @property
    def unregistered(self) -> bool:
        """Heard of by the hub, never added by an admin."""
        return self.added_at is None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    @property
    def in_service(self) -> bool:
        """Added and not retired: what a station that sends to the hub should be."""
        return not self.unregistered and not self.retired

    def as_dict(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "site": self.site,
            "stream": self.stream,
            "added_at": when(self.added_at),
            "retired_at": when(self.retired_at),
            "first_seen": when(self.first_seen),
            "last_seen": when(self.last_seen),
            "software_version": self.software_version,
            "config_version": self.config_version,
            "model_version": self.model_version,
            "broker_account": self.broker_account,
            "unregistered": self.unregistered,
            "retired": self.retired,
        }


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _version(value: str | None) -> str | None:
    return None if value is None else value[:MAX_VERSION_LENGTH]


def _record(row: tuple[Any, ...]) -> RegisteredStation:
    station, site, stream, added, retired, first, last, software, config, model, account = row
    return RegisteredStation(
        station,
        site,
        stream,
        _time(added),
        _time(retired),
        _time(first),
        _time(last),
        software,
        config,
        model,
        account,
    )


@dataclass(frozen=True, slots=True)
class _Seen:
    record: RegisteredStation | None  # None: not stored (another site's id, or max_unregistered reached)
    written: float  # monotonic time of the last write


class StationRegistry:
    def __init__(
        self,
        path: Path,
        *,
        broker_folder: Path | None = None,
        broker_pid_file: Path | None = None,
        nats_callout_folder: Path | None = None,
        seen_write_interval_s: float = 30.0,
        max_unregistered: int = 1000,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.broker_folder = broker_folder
        self.broker_pid_file = broker_pid_file
        self.nats_user_file = CalloutFolder(nats_callout_folder).user_file if nats_callout_folder else None
        self.seen_write_interval_s = seen_write_interval_s
        self.max_unregistered = max_unregistered
        self._clock = clock
        self._monotonic = monotonic
        self._seen: dict[tuple[str, str], _Seen] = {}
        self._seen_lock = threading.Lock()
        self._full_warned = False
        self._managed: tuple[bool, float] | None = None  # (an admin added a station, when that was read)
        # Private: token hashes and the fleet's layout are nobody else's business.
        sqlite_files.create(path, SCHEMA, private=True)

    @classmethod
    def from_settings(cls, settings: FleetSettings) -> StationRegistry:
        return cls(
            settings.registry_file,
            broker_folder=settings.broker_folder,
            broker_pid_file=settings.broker_pid_file,
            nats_callout_folder=settings.nats_callout_folder,
            seen_write_interval_s=settings.seen_write_interval_s,
            max_unregistered=settings.max_unregistered,
        )

    @contextmanager
    def _db(self, *, immediate: bool = False, lazy_sync: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction: ``immediate`` takes the write lock at once (before touching the broker's files);
        ``lazy_sync``: in WAL mode a commit not synced to disk at once still survives a crash of the hub, and a
        power cut may lose it (right for "last seen", which the next heartbeat writes again)."""
        db = sqlite3.connect(self.path, timeout=sqlite_files.LOCK_WAIT_S, isolation_level=None)
        try:
            if lazy_sync:
                db.execute("PRAGMA synchronous = NORMAL")
            db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC).replace(microsecond=0)

    @staticmethod
    def _get(db: sqlite3.Connection, station_id: str) -> RegisteredStation | None:
        row = db.execute(f"SELECT {_COLUMNS} FROM stations WHERE id = ?", (station_id,)).fetchone()  # noqa: S608 - our own column list
        return _record(row) if row else None

    # --- admin: add, retire, rotate --------------------------------------------------------------------------

    def add(
        self, station_id: str, site: str, stream: str, *, reload: bool = True
    ) -> tuple[RegisteredStation, str, str]:
        """Add a station (or adopt one heard of, or bring a retired one back): its broker account and ACL entry,
        and an upload token. Returns the record, the broker password and the token: shown once, stored nowhere.

        The broker password is "" when the registry manages no broker accounts (``fleet.broker_folder`` unset).
        ``reload``: send the broker SIGHUP now (BrokerReloadError if that fails: the account is written and the
        station added all the same); the CLI passes False and reloads itself, to tell the admin what went wrong."""
        try:
            check_slug(station_id, "station id")
            check_slug(site, "site")
            check_slug(stream, "stream")
        except TopicError as exc:
            raise RegistryError(str(exc)) from None
        token = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
        now = self._now().isoformat()
        with self._db(immediate=True) as db:
            found = self._get(db, station_id)
            if found is not None and found.in_service:
                raise RegistryError(
                    f"station {station_id!r} is already added (site {found.site}); retire it first to add it again"
                )
            password = self._write_account(station_id, site)
            account = station_id if password else None
            db.execute(
                "INSERT INTO stations (id, site, stream, added_at, broker_account, token_sha256) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET site = excluded.site, "
                "stream = excluded.stream, added_at = excluded.added_at, retired_at = NULL, "
                "broker_account = excluded.broker_account, token_sha256 = excluded.token_sha256",
                (station_id, site, stream, now, account, token_digest(token)),
            )
            record = self._get(db, station_id)
        assert record is not None  # written just above, in the same transaction
        self._forget_seen(station_id)
        logger.info("station %s added (site %s, stream %s)", station_id, site, stream)
        if reload:
            self.reload_broker()
        return record, password, token

    def _write_account(self, station_id: str, site: str) -> str:
        """The station's broker account in Mosquitto's files and/or the NATS auth callout's user file: one
        password for both; "" when the registry manages neither."""
        if self.broker_folder is None and self.nats_user_file is None:
            logger.warning(
                "station %s gets no broker account: neither fleet.broker_folder nor fleet.nats_callout_folder is set "
                "(a broker without accounts)",
                station_id,
            )
            return ""
        if is_hub_name(station_id):
            raise RegistryError(f"station id {station_id!r} is reserved for the hub's accounts (hub, hub-*)")
        password = new_password()
        if self.broker_folder is not None:
            try:
                accounts = BrokerAccounts.read(self.broker_folder)
                accounts.add_station(station_id, site, password)
                accounts.save_password(station_id)
                accounts.write_acl()
            except (AccountError, TopicError) as exc:
                raise RegistryError(str(exc)) from None
            except (
                OSError,
                subprocess.CalledProcessError,
                ProgramNotFoundError,
            ) as exc:  # mosquitto_passwd missing or failing, a file
                raise RegistryError(
                    f"could not write the broker's account files in {self.broker_folder}: {exc}"
                ) from None
        self._update_nats_users(add=station_user(station_id, site, password))
        return password

    def _update_nats_users(self, add: NatsUser | None = None, remove: str | None = None) -> None:
        """Add or remove one station in the NATS auth callout's user file, when the registry manages one."""
        if self.nats_user_file is None:
            return
        try:
            update_users(self.nats_user_file, add=add, remove=remove)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RegistryError(
                f"could not change the NATS auth callout's users in {self.nats_user_file}: {exc}"
            ) from None

    def retire(self, station_id: str, *, reload: bool = True) -> RegisteredStation:
        """Take a station out of service: its broker account and ACL entry go (the broker disconnects it on
        reload), its upload token stops working. It stays in the list, marked retired; ``add`` brings it back."""
        with self._db(immediate=True) as db:
            found = self._get(db, station_id)
            if found is None:
                raise RegistryError(f"no station {station_id!r} in the registry ('sortcentre stations list')")
            if self.broker_folder is not None:
                try:
                    accounts = BrokerAccounts.read(self.broker_folder)
                    accounts.remove(station_id)
                    accounts.write_acl()
                except AccountError as exc:
                    raise RegistryError(str(exc)) from None
                except (OSError, subprocess.CalledProcessError, ProgramNotFoundError) as exc:
                    raise RegistryError(
                        f"could not change the broker's account files in {self.broker_folder}: {exc}"
                    ) from None
            self._update_nats_users(remove=station_id)
            db.execute(
                "UPDATE stations SET retired_at = COALESCE(retired_at, ?), broker_account = NULL, "
                "token_sha256 = NULL WHERE id = ?",
                (self._now().isoformat(), station_id),
            )
            record = self._get(db, station_id)
        assert record is not None  # read just above, in the same transaction
        self._forget_seen(station_id)
        logger.info("station %s retired", station_id)
        if reload:
            self.reload_broker()
        return record

    def reload_broker(self) -> int | None:
        """SIGHUP to Mosquitto (``fleet.broker_pid_file``); None when there is nothing to reload or no pid file
        is configured (then logged: the admin reloads it). Raises BrokerReloadError when the signal fails."""
        if self.broker_folder is None:
            return None
        if self.broker_pid_file is None:
            logger.warning(
                "broker accounts changed in %s but fleet.broker_pid_file is not set: reload the broker yourself "
                "(systemctl reload mosquitto) for the change to take effect",
                self.broker_folder,
            )
            return None
        return reload_broker(self.broker_pid_file)

    def rotate_token(self, station_id: str) -> str:
        """A new upload token for a station in service; the old one stops working at once."""
        token = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
        with self._db(immediate=True) as db:
            found = self._get(db, station_id)
            if found is None or not found.in_service:
                raise RegistryError(f"station {station_id!r} is not in service: add it first")
            db.execute("UPDATE stations SET token_sha256 = ? WHERE id = ?", (token_digest(token), station_id))
        logger.info("station %s: upload token replaced", station_id)
        return token

    # --- reading -----------------------------------------------------------------------------------------------

    def get(self, station_id: str) -> RegisteredStation | None:
        with self._db() as db:
            return self._get(db, station_id)

    def list(self) -> list[RegisteredStation]:
        with self._db() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM stations ORDER BY site, id").fetchall()  # noqa: S608
        return [_record(row) for row in rows]

    def station_for_token(self, token: str) -> RegisteredStation | None:
        """The station in service this upload token belongs to; None for anything else (a retired station's
        token, a replaced one, a string that is not a token)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            return None
        digest = token_digest(token)
        with self._db() as db:
            row = db.execute(
                f"SELECT token_sha256, {_COLUMNS} FROM stations WHERE token_sha256 = ?",  # noqa: S608
                (digest,),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[0], digest):
            return None
        record = _record(row[1:])
        return record if record.in_service else None

    # --- the hub's live path -------------------------------------------------------------------------------------

    def seen(
        self,
        site: str,
        station: str,
        *,
        software_version: str | None = None,
        model_version: str | None = None,
        config_version: str | None = None,
        at: datetime | None = None,
    ) -> RegisteredStation | None:
        """A heartbeat or status from ``site``/``station`` (slugs: the topic was parsed): record its versions and
        when it was last seen. An unknown station gets an entry flagged unregistered. Returns its record, or None
        when it is not stored: its id belongs to a station of another site, or ``max_unregistered`` are kept.

        Called from the live view's MQTT thread for every heartbeat: it writes only when a version changed or
        ``seen_write_interval_s`` passed, so "last seen" is that coarse. A version of None leaves the stored one."""
        software_version, model_version = _version(software_version), _version(model_version)
        config_version = _version(config_version)
        key = (site, station)
        now = self._monotonic()
        with self._seen_lock:
            cached = self._seen.get(key)
        if cached is not None and now - cached.written < self.seen_write_interval_s:
            record = cached.record
            if record is None:
                return None
            unchanged = all(
                new is None or new == old
                for new, old in (
                    (software_version, record.software_version),
                    (model_version, record.model_version),
                    (config_version, record.config_version),
                )
            )
            if unchanged:
                return record
        when = (at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0).isoformat()
        record = self._write_seen(site, station, software_version, model_version, config_version, when)
        with self._seen_lock:
            if len(self._seen) >= _SEEN_CACHE_MAX:
                self._seen.clear()
            self._seen[key] = _Seen(record, now)
        return record

    def _write_seen(
        self, site: str, station: str, software: str | None, model: str | None, config: str | None, when: str
    ) -> RegisteredStation | None:
        with self._db(lazy_sync=True) as db:
            found = self._get(db, station)
            if found is not None and found.site != site:
                logger.warning(
                    "station %s sends as site %s but is registered at site %s: not recorded", station, site, found.site
                )
                return None
            if found is None:
                unregistered = db.execute("SELECT count(*) FROM stations WHERE added_at IS NULL").fetchone()[0]
                if unregistered >= self.max_unregistered:
                    if not self._full_warned:
                        logger.warning(
                            "station %s/%s is unknown and %s unregistered stations are kept already "
                            "(fleet.max_unregistered): not recorded",
                            site,
                            station,
                            unregistered,
                        )
                        self._full_warned = True
                    return None
                logger.warning(
                    "station %s/%s is not in the registry: recorded as unregistered ('sortcentre stations add')",
                    site,
                    station,
                )
                db.execute(
                    "INSERT INTO stations (id, site, first_seen, last_seen, software_version, config_version, "
                    "model_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (station, site, when, when, software, config, model),
                )
            else:
                db.execute(
                    "UPDATE stations SET last_seen = ?, first_seen = COALESCE(first_seen, ?), "
                    "software_version = COALESCE(?, software_version), config_version = COALESCE(?, config_version), "
                    "model_version = COALESCE(?, model_version) WHERE id = ?",
                    (when, when, software, config, model, station),
                )
            return self._get(db, station)

    def flagged(self, record: RegisteredStation | None) -> bool:
        """Whether the dashboard flags a station the live view heard of (``record``: what ``seen`` returned):
        one not in service here, once an admin has added any station. A hub whose registry has none added yet
        (a new installation, the demo) runs without the registry, and flagging every station would be noise."""
        if record is not None and record.in_service:
            return False
        now = self._monotonic()
        managed = self._managed
        if managed is None or now - managed[1] >= self.seen_write_interval_s:
            with self._db() as db:
                added = db.execute("SELECT 1 FROM stations WHERE added_at IS NOT NULL LIMIT 1").fetchone()
            managed = self._managed = (added is not None, now)
        return managed[0]

    def _forget_seen(self, station_id: str) -> None:
        """After add or retire the next heartbeat reads the record again (in this process; another process,
        the hub while the CLI adds, sees it at its next write, within ``seen_write_interval_s``)."""
        with self._seen_lock:
            for key in [k for k in self._seen if k[1] == station_id]:
                del self._seen[key]
        self._managed = None
