"""API keys for partners' systems in one SQLite file (``keys.keys_file``), shared by the hub and ``sortcentre keys``.

A key looks like ``sck_<id>_<secret>``. The id (8 characters) is not secret: it names the key in lists, logs
and ``keys revoke``. The file keeps only the SHA-256 of the whole key: the secret has 256 bits of entropy, so
there is nothing to guess and a fast hash is right (argon2 is for passwords, which people choose). The key
itself is shown once, at creation; a lost key is revoked and replaced.

A key names sites and/or municipalities; a municipality's sites are looked up in the reference data at each
request, so a site added to a municipality there is in the key's reach without a new key.

Every call opens its own connection, as in ``hub.auth.store``: the hub reads from a thread pool while the
CLI may write, and SQLite in WAL mode lets them work side by side.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import string
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from core.contract.topics import TopicError, check_slug
from hub import sqlite_files
from hub.digests import token_digest
from hub.keys.caller import Scope
from hub.keys.ratelimit import TokenBucket

if TYPE_CHECKING:
    from config.keys import KeySettings
    from hub.reference import ReferenceData

logger = logging.getLogger(__name__)

PREFIX = "sck"  # "sortcentre key": secret scanners and people can tell what leaked
ID_LENGTH = 8
_ID_ALPHABET = string.ascii_lowercase + string.digits  # no '_': it separates the parts of a key
# secrets.token_urlsafe(32) is 43 characters; anything much longer in a header is not ours.
KEY_PATTERN = re.compile(rf"^{PREFIX}_([a-z0-9]{{{ID_LENGTH}}})_([A-Za-z0-9_-]{{32,128}})$")
MAX_LABEL_LENGTH = 80

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    key_sha256 TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    scopes TEXT NOT NULL,  -- JSON list of Scope values
    sites TEXT NOT NULL DEFAULT '[]',  -- JSON list of site slugs
    municipalities TEXT NOT NULL DEFAULT '[]',  -- JSON list of municipality slugs (reference data)
    created TEXT NOT NULL,  -- ISO 8601 UTC
    revoked_at TEXT  -- ISO 8601 UTC; NULL while the key works
);
"""


class KeyStoreError(ValueError):
    """A key command that cannot be done: unknown key, bad scope, site or label, a key that reaches nothing."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    label: str
    scopes: frozenset[Scope]
    sites: frozenset[str]
    municipalities: frozenset[str]  # slugs; their sites come from the reference data
    created: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def name(self) -> str:
        return self.label or self.id

    def reach(self, reference: ReferenceData) -> frozenset[str]:
        """The sites this key may read today: its own plus those of its municipalities in ``reference``."""
        sites = set(self.sites)
        for slug in self.municipalities:
            municipality = reference.municipality(slug)
            if municipality is None:
                # The reference data no longer has it: the key reads less, never more.
                logger.warning(
                    "API key %s: municipality %r is not in reference data %s", self.id, slug, reference.version
                )
                continue
            sites.update(municipality.sites)
        return frozenset(sites)


def check_scopes(scopes: Iterable[str]) -> frozenset[Scope]:
    chosen: set[Scope] = set()
    for scope in scopes:
        try:
            chosen.add(Scope(scope))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise KeyStoreError(f"unknown scope {scope!r}: use {known}") from None
    if not chosen:
        raise KeyStoreError(f"a key needs at least one scope (--scope {Scope.VOLUMES_READ.value})")
    return frozenset(chosen)


def check_slugs(values: Iterable[str], what: str) -> frozenset[str]:
    try:
        return frozenset(check_slug(value, what) for value in values)
    except TopicError as exc:
        raise KeyStoreError(str(exc)) from None


def check_label(label: str) -> str:
    label = label.strip()
    if len(label) > MAX_LABEL_LENGTH or not label.isprintable():
        raise KeyStoreError(f"a label is at most {MAX_LABEL_LENGTH} printable characters")
    return label


class KeyStore:
    def __init__(
        self,
        path: Path,
        limiter: TokenBucket | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        # Requests per key; the web side spends from it (hub.keys.web), the CLI never does.
        self.limiter = limiter or TokenBucket(60, 20)
        self._clock = clock
        sqlite_files.create(path, SCHEMA, private=True)

    @classmethod
    def from_settings(cls, settings: KeySettings) -> KeyStore:
        return cls(settings.keys_file, TokenBucket(settings.requests_per_minute, settings.burst))

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_files.transaction(self.path)

    @staticmethod
    def _key(row: tuple[str, str, str, str, str, str, str | None]) -> ApiKey:
        key_id, label, scopes, sites, municipalities, created, revoked_at = row
        return ApiKey(
            key_id,
            label,
            frozenset(Scope(s) for s in json.loads(scopes)),
            frozenset(json.loads(sites)),
            frozenset(json.loads(municipalities)),
            datetime.fromisoformat(created),
            datetime.fromisoformat(revoked_at) if revoked_at else None,
        )

    _COLUMNS = "id, label, scopes, sites, municipalities, created, revoked_at"

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC).replace(microsecond=0)

    def create(
        self,
        scopes: Iterable[str],
        *,
        sites: Iterable[str] = (),
        municipalities: Iterable[str] = (),
        label: str = "",
    ) -> tuple[ApiKey, str]:
        """A new key and its secret form, which is shown to the user once and stored nowhere.

        ``municipalities`` are slugs; the CLI resolves names ("Dalfsen") through the reference data first."""
        chosen_scopes = check_scopes(scopes)
        chosen_sites = check_slugs(sites, "site")
        chosen_municipalities = check_slugs(municipalities, "municipality")
        if not chosen_sites and not chosen_municipalities:
            raise KeyStoreError("a key needs at least one municipality or site (--municipality or --site)")
        label = check_label(label)
        created = self._now()
        for _ in range(5):  # 36^8 ids: a collision is rare, and the next id will do
            key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))
            secret = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
            try:
                with self._db() as db:
                    db.execute(
                        f"INSERT INTO api_keys ({self._COLUMNS}, key_sha256) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",  # noqa: S608 - our own column list
                        (
                            key_id,
                            label,
                            json.dumps(sorted(chosen_scopes)),
                            json.dumps(sorted(chosen_sites)),
                            json.dumps(sorted(chosen_municipalities)),
                            created.isoformat(),
                            token_digest(secret),
                        ),
                    )
            except sqlite3.IntegrityError:
                continue
            key = ApiKey(key_id, label, chosen_scopes, chosen_sites, chosen_municipalities, created, None)
            logger.info(
                "API key %s created (%s; %s)",
                key_id,
                ", ".join(sorted(chosen_scopes)),
                ", ".join(sorted(chosen_municipalities | chosen_sites)),
            )
            return key, secret
        raise KeyStoreError("could not find a free key id; try again")  # pragma: no cover - 5 collisions in a row

    def get(self, key_id: str) -> ApiKey | None:
        with self._db() as db:
            row = db.execute(f"SELECT {self._COLUMNS} FROM api_keys WHERE id = ?", (key_id,)).fetchone()  # noqa: S608
        return self._key(row) if row else None

    def keys(self) -> list[ApiKey]:
        with self._db() as db:
            rows = db.execute(f"SELECT {self._COLUMNS} FROM api_keys ORDER BY created, id").fetchall()  # noqa: S608
        return [self._key(row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Takes effect on the key's next request. Revoking twice keeps the first time."""
        with self._db() as db:
            changed = db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self._now().isoformat(), key_id),
            ).rowcount
        key = self.get(key_id)
        if key is None:
            raise KeyStoreError(f"no API key {key_id!r}")
        if changed:
            logger.info("API key %s revoked", key_id)
        return key

    def lookup(self, key: str) -> ApiKey | None:
        """The key this secret belongs to, revoked or not; None for anything that is not one of ours."""
        match = KEY_PATTERN.fullmatch(key)
        if match is None:
            return None
        with self._db() as db:
            row = db.execute(
                f"SELECT key_sha256, {self._COLUMNS} FROM api_keys WHERE id = ?",  # noqa: S608
                (match[1],),
            ).fetchone()
        if row is None or not secrets.compare_digest(row[0], token_digest(key)):
            return None
        return self._key(row[1:])

    def verify(self, key: str) -> ApiKey | None:
        """The key when it is ours and not revoked, else None."""
        found = self.lookup(key)
        return None if found is None or found.revoked else found
