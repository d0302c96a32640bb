"""Wall screen tokens in the users file (hub/auth/screens.py): made, kept hashed, looked up, revoked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hub.auth.principal import Role
from hub.auth.screens import SEEN_EVERY_S, ScreenError, ScreenStore, pair_path, token_digest
from hub.auth.store import UserStore
from tests.unit.hub.auth.conftest import Clock, cheap


@pytest.fixture
def screens(tmp_path: Path, clock: Clock) -> ScreenStore:
    return ScreenStore(tmp_path / "users.sqlite", clock=clock)


def test_a_token_is_shown_once_and_kept_as_its_hash(screens: ScreenStore) -> None:
    screen, token = screens.create("zwolle", "hal Zwolle", created_by="ada")
    assert token.startswith(f"scw_{screen.id}_") and len(token) == 4 + 8 + 1 + 43
    with sqlite3.connect(screens.path) as db:
        rows = db.execute("SELECT token_sha256, site, label, created_by FROM screens").fetchall()
    assert rows == [(token_digest(token), "zwolle", "hal Zwolle", "ada")]
    assert token.encode() not in screens.path.read_bytes()
    found = screens.authenticate(token)
    assert found is not None and (found.id, found.site, found.revoked) == (screen.id, "zwolle", False)
    assert pair_path("zwolle", token) == f"/wall?site=zwolle#pair={token}"


def test_wrong_malformed_and_oversized_tokens_find_nothing(screens: ScreenStore) -> None:
    screen, token = screens.create("zwolle")
    assert screens.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert screens.authenticate(f"scw_{screen.id}_short") is None
    assert screens.authenticate("x" * 10_000) is None
    assert screens.authenticate("") is None


def test_revoking_stops_the_token_at_once_and_is_kept_in_the_list(screens: ScreenStore, clock: Clock) -> None:
    screen, token = screens.create("zwolle")
    other, other_token = screens.create("ommen")
    clock.now += 10
    revoked = screens.revoke(screen.id)
    assert revoked.revoked and revoked.revoked_at is not None
    assert screens.authenticate(token) is None
    assert screens.authenticate(other_token) is not None
    assert [(s.id, s.revoked) for s in screens.screens()] == [(other.id, False), (screen.id, True)]
    assert screens.revoke(screen.id).revoked_at == revoked.revoked_at  # revoking twice changes nothing
    with pytest.raises(ScreenError, match="no screen"):
        screens.revoke("nosuchid")


def test_last_seen_is_written_at_most_once_a_minute(screens: ScreenStore, clock: Clock) -> None:
    _, token = screens.create("zwolle")
    assert screens.screens()[0].last_seen is None
    screens.authenticate(token)
    first = screens.screens()[0].last_seen
    assert first is not None
    clock.now += SEEN_EVERY_S / 2
    screens.authenticate(token)
    assert screens.screens()[0].last_seen == first
    clock.now += SEEN_EVERY_S
    screens.authenticate(token)
    assert screens.screens()[0].last_seen != first


def test_bad_sites_and_labels_are_refused(screens: ScreenStore) -> None:
    with pytest.raises(ScreenError, match="not a slug"):
        screens.create("Zwolle!")
    with pytest.raises(ScreenError, match="printable"):
        screens.create("zwolle", "a\nb")
    with pytest.raises(ScreenError, match="at most 80"):
        screens.create("zwolle", "x" * 81)


def test_it_shares_the_users_file_with_the_users(tmp_path: Path) -> None:
    users = UserStore(tmp_path / "users.sqlite", passwords=cheap())
    screens = ScreenStore(users.path)
    _, token = screens.create("zwolle")
    users.add("jan", "correct horse battery", Role.ADMIN)
    assert screens.authenticate(token) is not None and users.get("jan") is not None
