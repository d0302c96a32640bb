"""Users and their sessions in one SQLite file (``auth.users_file``), shared by the hub and ``sortcentre users``.

A session is a random token in the browser's cookie; the file keeps only its SHA-256, so a copy of the file
(a backup, a stolen disk) logs nobody in. The token has 256 bits of entropy, so a fast hash is enough: there
is nothing to guess. Sessions slide: each request moves the idle deadline, and a session unused for
``auth.session_idle_days`` is gone.

Every call opens its own connection: FastAPI runs sync endpoints on a thread pool and the CLI may write while
the hub reads, and SQLite in WAL mode lets readers and one writer work side by side without a lock of ours.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from core.contract.topics import TopicError, check_slug
from hub import sqlite_files
from hub.auth.passwords import Passwords, check_new_password
from hub.auth.principal import Principal, Role
from hub.digests import token_digest

if TYPE_CHECKING:
    from config.hub import AuthSettings

logger = logging.getLogger(__name__)

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_USERNAME = re.compile(USERNAME_PATTERN)
# A request moves the session's idle deadline only when the last move is older than this: a wall screen
# polling every few seconds would otherwise write to the file on every request, for no real gain.
RENEW_AFTER_S = 60.0
# Expired sessions are deleted at each login and, between logins, at most this often.
PURGE_EVERY_S = 3600.0
# secrets.token_urlsafe(32) is 43 characters; anything much longer in a cookie is not ours.
MAX_TOKEN_LENGTH = 128

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor')),
    sites TEXT NOT NULL DEFAULT '[]',  -- JSON list of site slugs; empty for an admin (every site)
    created TEXT NOT NULL,  -- ISO 8601 UTC
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created REAL NOT NULL,  -- Unix time
    last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (username);
CREATE INDEX IF NOT EXISTS sessions_by_last_seen ON sessions (last_seen);
"""


class UserError(ValueError):
    """A user command that cannot be done: unknown or duplicate user, bad site, bad role for the sites."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    sites: frozenset[str]
    created: datetime
    disabled: bool

    @property
    def principal(self) -> Principal:
        return Principal(self.username, self.role, frozenset() if self.role is Role.ADMIN else self.sites)


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    renewed: bool  # the idle deadline moved with this request: the cookie's lifetime may move with it


def check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise UserError(
            f"user name {username!r}: use 1-64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return username


def check_sites(role: Role, sites: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(sites)
    for site in chosen:
        try:
            check_slug(site, "site")
        except TopicError as exc:
            raise UserError(str(exc)) from None
    if role is Role.ADMIN and chosen:
        raise UserError("an admin sees every site: leave out --site")
    if role is Role.SUPERVISOR and not chosen:
        raise UserError("a supervisor needs at least one site (--site)")
    return chosen


class UserStore:
    def __init__(
        self,
        path: Path,
        session_idle_s: float = 7 * 86_400,
        passwords: Passwords | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.session_idle_s = session_idle_s
        self.passwords = passwords or Passwords()
        self._clock = clock
        self._last_purge = 0.0
        sqlite_files.create(path, SCHEMA, private=True)

    @classmethod
    def from_settings(cls, settings: AuthSettings, passwords: Passwords | None = None) -> UserStore:
        return cls(settings.users_file, settings.session_idle_days * 86_400, passwords)

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_files.transaction(self.path, foreign_keys=True)  # sessions go with their user

    # -- users -----------------------------------------------------------------------------------------
    @staticmethod
    def _user(row: tuple[str, str, str, str, int]) -> User:
        username, role, sites, created, disabled = row
        return User(username, Role(role), frozenset(json.loads(sites)), datetime.fromisoformat(created), bool(disabled))

    def get(self, username: str) -> User | None:
        with self._db() as db:
            row = db.execute(
                "SELECT username, role, sites, created, disabled FROM users WHERE username = ?", (username,)
            ).fetchone()
        return self._user(row) if row else None

    def require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise UserError(f"no user {username!r}")
        return user

    def users(self) -> list[User]:
        with self._db() as db:
            rows = db.execute("SELECT username, role, sites, created, disabled FROM users ORDER BY username").fetchall()
        return [self._user(row) for row in rows]

    def add(self, username: str, password: str, role: Role, sites: Iterable[str] = ()) -> User:
        check_username(username)
        chosen = check_sites(role, sites)
        password_hash = self.passwords.hash(check_new_password(password))
        created = datetime.fromtimestamp(self._clock(), UTC).replace(microsecond=0)
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO users (username, password_hash, role, sites, created) VALUES (?, ?, ?, ?, ?)",
                    (username, password_hash, role.value, json.dumps(sorted(chosen)), created.isoformat()),
                )
        except sqlite3.IntegrityError:
            raise UserError(f"user {username!r} exists already") from None
        logger.info("user %s added (%s %s)", username, role.value, ",".join(sorted(chosen)) or "all sites")
        return User(username, role, chosen, created, disabled=False)

    def remove(self, username: str) -> None:
        with self._db() as db:
            if db.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount == 0:
                raise UserError(f"no user {username!r}")
        logger.info("user %s removed", username)

    def set_password(self, username: str, password: str) -> None:
        """Also ends the user's sessions: a new password is often set because the old one leaked."""
        password_hash = self.passwords.hash(check_new_password(password))
        with self._db() as db:
            changed = db.execute("UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username))
            if changed.rowcount == 0:
                raise UserError(f"no user {username!r}")
            db.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def set_sites(self, username: str, sites: Iterable[str]) -> User:
        """Takes effect on the user's next request: sessions look the sites up each time."""
        user = self.require(username)
        chosen = check_sites(user.role, sites)
        with self._db() as db:
            db.execute("UPDATE users SET sites = ? WHERE username = ?", (json.dumps(sorted(chosen)), username))
        return self.require(username)

    def set_disabled(self, username: str, disabled: bool) -> None:
        with self._db() as db:
            changed = db.execute("UPDATE users SET disabled = ? WHERE username = ?", (int(disabled), username))
            if changed.rowcount == 0:
                raise UserError(f"no user {username!r}")
            if disabled:
                db.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password is right and the account enabled, else None, in about the same time
        either way. A hash made with older parameters is replaced by a current one."""
        with self._db() as db:
            row = db.execute(
                "SELECT password_hash, username, role, sites, created, disabled FROM users WHERE username = ?",
                (username,),
            ).fetchone()
        if row is None:
            self.passwords.verify_nobody(password)
            return None
        ok, new_hash = self.passwords.verify_and_update(password, row[0])
        if not ok:
            return None
        if new_hash is not None:
            with self._db() as db:
                db.execute("UPDATE users SET password_hash = ? WHERE username = ?", (new_hash, username))
            logger.info("password hash of %s brought up to the current parameters", username)
        user = self._user(row[1:])
        return None if user.disabled else user

    # -- sessions --------------------------------------------------------------------------------------
    def open_session(self, username: str) -> str:
        """A new session for a user who just proved who they are; the token goes into the cookie."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        self.purge_expired()
        with self._db() as db:
            db.execute(
                "INSERT INTO sessions (token_sha256, username, created, last_seen) VALUES (?, ?, ?, ?)",
                (token_digest(token), username, now, now),
            )
        return token

    def session(self, token: str) -> Session | None:
        """Who holds this token, if the session is still alive; moves its idle deadline."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        now = self._clock()
        if now - self._last_purge > PURGE_EVERY_S:
            self.purge_expired()
        digest = token_digest(token)
        with self._db() as db:
            row = db.execute(
                "SELECT s.last_seen, u.username, u.role, u.sites, u.created, u.disabled "
                "FROM sessions AS s JOIN users AS u USING (username) WHERE s.token_sha256 = ?",
                (digest,),
            ).fetchone()
            if row is None:
                return None
            if now - row[0] > self.session_idle_s:
                db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (digest,))
                return None
            user = self._user(row[1:])
            if user.disabled:
                return None
            renewed = now - row[0] >= RENEW_AFTER_S
            if renewed:
                db.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", (now, digest))
        return Session(user.principal, renewed)

    def close_session(self, token: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (token_digest(token),))

    def purge_expired(self) -> int:
        now = self._clock()
        self._last_purge = now
        with self._db() as db:
            gone = db.execute("DELETE FROM sessions WHERE last_seen < ?", (now - self.session_idle_s,)).rowcount
        if gone:
            logger.info("%d expired session(s) deleted", gone)
        return gone

    def session_counts(self) -> dict[str, int]:
        """Live sessions per user name (for ``sortcentre users list``)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT username, count(*) FROM sessions WHERE last_seen >= ? GROUP BY username",
                (self._clock() - self.session_idle_s,),
            ).fetchall()
        return {username: count for username, count in rows}
