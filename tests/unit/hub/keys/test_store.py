"""The API key store: keys shown once, kept as hashes only, verified and revoked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hub.digests import token_digest
from hub.keys import KeyStore, KeyStoreError, Scope
from hub.keys.store import KEY_PATTERN
from hub.reference import load_reference
from tests.unit.hub.auth.conftest import Clock


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys.sqlite", clock=Clock())


def test_create_then_verify(store: KeyStore) -> None:
    key, secret = store.create(["volumes:read"], municipalities=["dalfsen"], label="Gemeente Dalfsen")
    match = KEY_PATTERN.fullmatch(secret)
    assert match is not None and match[1] == key.id and len(match[2]) >= 32
    assert (key.scopes, key.municipalities, key.sites, key.label) == (
        {Scope.VOLUMES_READ},
        {"dalfsen"},
        frozenset(),
        "Gemeente Dalfsen",
    )
    assert key.created.isoformat() == "2027-01-15T08:00:00+00:00"
    assert store.verify(secret) == key == store.get(key.id)
    assert store.keys() == [key]
    other, other_secret = store.create(["volumes:read", "reports:read"], sites=["ommen", "zwolle"])
    assert other.id != key.id and other_secret != secret
    assert store.verify(other_secret) == other and other.name == other.id  # no label: the id names it


def test_only_the_hash_is_stored(store: KeyStore) -> None:
    _, secret = store.create(["volumes:read"], sites=["ommen"])
    random_part = secret.split("_", 2)[2]
    # The database and whatever SQLite keeps beside it (a write-ahead log, while one is open).
    raw = b"".join(path.read_bytes() for path in store.path.parent.glob(f"{store.path.name}*"))
    assert len(raw) > 0
    assert random_part.encode() not in raw and secret.encode() not in raw
    with sqlite3.connect(store.path) as db:
        rows = db.execute("SELECT * FROM api_keys").fetchall()
    assert len(rows) == 1 and token_digest(secret) in rows[0]
    assert not any(random_part in str(value) for value in rows[0])


def test_wrong_unknown_and_malformed_keys_are_refused(store: KeyStore) -> None:
    key, secret = store.create(["volumes:read"], sites=["ommen"])
    for guess in (
        secret[:-1] + ("A" if secret[-1] != "A" else "B"),  # right id, wrong secret
        secret.replace(key.id, "zzzzzzzz"),  # unknown id
        "",
        "Bearer " + secret,
        secret + "x" * 200,
        "sck_" + key.id,
    ):
        assert store.verify(guess) is None and store.lookup(guess) is None, guess


def test_revoke(store: KeyStore) -> None:
    key, secret = store.create(["volumes:read"], sites=["ommen"])
    revoked = store.revoke(key.id)
    assert revoked.revoked and revoked.revoked_at is not None
    assert store.verify(secret) is None
    assert store.lookup(secret) == revoked  # still recognised, so the hub can say it was revoked
    assert store.revoke(key.id).revoked_at == revoked.revoked_at  # twice: the first time stays
    with pytest.raises(KeyStoreError, match="no API key 'nothere1'"):
        store.revoke("nothere1")


@pytest.mark.parametrize(
    ("scopes", "sites", "municipalities", "label", "message"),
    [
        ([], ["ommen"], [], "", "at least one scope"),
        (["volumes:write"], ["ommen"], [], "", "unknown scope 'volumes:write': use volumes:read, reports:read"),
        (["volumes:read"], [], [], "", "at least one municipality or site"),
        (["volumes:read"], ["Ommen!"], [], "", "site 'Ommen!' is not a slug"),
        (["volumes:read"], [], ["Dalfsen"], "", "municipality 'Dalfsen' is not a slug"),
        (["volumes:read"], ["ommen"], [], "x" * 81, "at most 80 printable characters"),
        (["volumes:read"], ["ommen"], [], "two\nlines", "printable"),
    ],
)
def test_bad_keys_are_not_created(
    store: KeyStore, scopes: list[str], sites: list[str], municipalities: list[str], label: str, message: str
) -> None:
    with pytest.raises(KeyStoreError, match=message):
        store.create(scopes, sites=sites, municipalities=municipalities, label=label)
    assert store.keys() == []


def test_reach_resolves_municipalities_through_the_reference_data(store: KeyStore) -> None:
    reference = load_reference(None)
    key, _ = store.create(["volumes:read"], municipalities=["dalfsen", "ommen"], sites=["kampen"])
    assert key.reach(reference) == {"dalfsen", "ommen", "kampen"}
    gone, _ = store.create(["volumes:read"], municipalities=["hattem"])
    assert gone.reach(reference) == frozenset()  # a municipality the reference no longer has reaches nothing
