"""Wall screens: long-lived, read-only, revocable tokens that show one site's live view at ``/wall`` without a
login (docs/dashboard.md, "Wall screen"; docs/users.md, "Screen tokens").

A screen token looks like ``scw_<id>_<secret>``. The id (8 characters) is not secret: it names the screen in
lists, logs and ``screens revoke``. Like API keys (``hub.keys.store``) and sessions (``hub.auth.store``), only the
SHA-256 of the whole token is kept: the secret has 256 bits of entropy, so there is nothing to guess and a fast
hash is right. The token is shown once, when an admin pairs a screen; a lost one is revoked and replaced.

The table lives in the users file (``auth.users_file``): screens are logins of a kind, and the hub and
``sortcentre screens`` already share that file. A token reads one thing only, its site's live view
(``hub.api.wall``); nothing else in the hub looks at the screen cookie, so it cannot reach anything else.
"""

from __future__ import annotations

import logging
import re
import secrets
import sqlite3
import string
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.contract.topics import TopicError, check_slug
from hub import sqlite_files
from hub.digests import token_digest

logger = logging.getLogger(__name__)

PREFIX = "scw"  # "sortcentre wall": secret scanners and people can tell what leaked
ID_LENGTH = 8
_ID_ALPHABET = string.ascii_lowercase + string.digits  # no '_': it separates the parts of a token
# secrets.token_urlsafe(32) is 43 characters; anything much longer in a cookie is not ours.
TOKEN_PATTERN = re.compile(rf"^{PREFIX}_([a-z0-9]{{{ID_LENGTH}}})_([A-Za-z0-9_-]{{32,128}})$")
MAX_TOKEN_LENGTH = 160
MAX_LABEL_LENGTH = 80
# A screen asks every few seconds: its "last seen" is written at most this often, as for sessions.
SEEN_EVERY_S = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS screens (
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,  -- ISO 8601 UTC
    created_by TEXT NOT NULL DEFAULT '',
    last_seen REAL,  -- Unix time; NULL until the screen first asks
    revoked_at TEXT  -- ISO 8601 UTC; NULL while the token works
);
"""


class ScreenError(ValueError):
    """A screen command that cannot be done: unknown screen, bad site or label."""


@dataclass(frozen=True, slots=True)
class Screen:
    id: str
    site: str
    label: str
    created: datetime
    created_by: str
    last_seen: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def name(self) -> str:
        return self.label or self.id


def check_label(label: str) -> str:
    label = label.strip()
    if len(label) > MAX_LABEL_LENGTH or not label.isprintable():
        raise ScreenError(f"a label is at most {MAX_LABEL_LENGTH} printable characters")
    return label


def pair_path(site: str, token: str) -> str:
    """The pairing link, relative to the hub: the token rides in the fragment, which browsers never send, so it
    stays out of the hub's and any proxy's access log; the page hands it over once and forgets it."""
    return f"/wall?site={site}#pair={token}"


class ScreenStore:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        sqlite_files.create(path, SCHEMA, private=True)

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_files.transaction(self.path)

    _COLUMNS = "id, site, label, created, created_by, last_seen, revoked_at"

    @staticmethod
    def _screen(row: tuple[str, str, str, str, str, float | None, str | None]) -> Screen:
        screen_id, site, label, created, created_by, last_seen, revoked_at = row
        return Screen(
            screen_id,
            site,
            label,
            datetime.fromisoformat(created),
            created_by,
            None if last_seen is None else datetime.fromtimestamp(last_seen, UTC),
            datetime.fromisoformat(revoked_at) if revoked_at else None,
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC).replace(microsecond=0)

    def create(self, site: str, label: str = "", created_by: str = "") -> tuple[Screen, str]:
        """A new screen and its token, which is shown to the admin once and stored nowhere."""
        try:
            check_slug(site, "site")
        except TopicError as exc:
            raise ScreenError(str(exc)) from None
        label = check_label(label)
        created = self._now()
        for _ in range(5):  # 36^8 ids: a collision is rare, and the next id will do
            screen_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))
            token = f"{PREFIX}_{screen_id}_{secrets.token_urlsafe(32)}"
            try:
                with self._db() as db:
                    db.execute(
                        "INSERT INTO screens (id, token_sha256, site, label, created, created_by) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (screen_id, token_digest(token), site, label, created.isoformat(), created_by),
                    )
            except sqlite3.IntegrityError:
                continue
            logger.info("wall screen %s paired for site %s by %s", screen_id, site, created_by or "the CLI")
            return Screen(screen_id, site, label, created, created_by, None, None), token
        raise ScreenError("could not find a free screen id: try again")  # pragma: no cover - 5 collisions in 36^8

    def screens(self) -> list[Screen]:
        with self._db() as db:
            rows = db.execute(f"SELECT {self._COLUMNS} FROM screens ORDER BY site, created, id").fetchall()  # noqa: S608 - our own column list
        return [self._screen(row) for row in rows]

    def revoke(self, screen_id: str) -> Screen:
        """Takes effect on the screen's next request: every request looks the token up."""
        with self._db() as db:
            changed = db.execute(
                "UPDATE screens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self._now().isoformat(), screen_id),
            )
            row = db.execute(f"SELECT {self._COLUMNS} FROM screens WHERE id = ?", (screen_id,)).fetchone()  # noqa: S608 - our own column list
        if row is None:
            raise ScreenError(f"no screen {screen_id!r}")
        if changed.rowcount:
            logger.info("wall screen %s (site %s) revoked", screen_id, row[1])
        return self._screen(row)

    def authenticate(self, token: str) -> Screen | None:
        """The screen this token belongs to, if it is well formed and not revoked; notes when it was last seen."""
        if not token or len(token) > MAX_TOKEN_LENGTH or not TOKEN_PATTERN.fullmatch(token):
            return None
        now = self._clock()
        with self._db() as db:
            row = db.execute(
                f"SELECT {self._COLUMNS} FROM screens WHERE token_sha256 = ?",  # noqa: S608 - our own column list
                (token_digest(token),),
            ).fetchone()
            if row is None or row[6] is not None:
                return None
            if row[5] is None or now - row[5] >= SEEN_EVERY_S:
                db.execute("UPDATE screens SET last_seen = ? WHERE id = ?", (now, row[0]))
        return self._screen(row)
