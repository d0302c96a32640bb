from __future__ import annotations

import sqlite3
import stat
import statistics
import threading
import time
from pathlib import Path

import pytest
from pwdlib.hashers.argon2 import Argon2Hasher

from hub.auth.passwords import PasswordError, Passwords
from hub.auth.principal import Principal, Role
from hub.auth.store import RENEW_AFTER_S, UserError, UserStore, token_digest
from tests.unit.hub.auth.conftest import Clock, cheap

PASSWORD = "correct horse battery"


def test_users_are_added_listed_and_removed(store: UserStore) -> None:
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle", "ommen"])
    store.add("boss", PASSWORD, Role.ADMIN)
    assert [u.username for u in store.users()] == ["boss", "jan"]
    jan = store.require("jan")
    assert jan.role is Role.SUPERVISOR and jan.sites == {"zwolle", "ommen"} and not jan.disabled
    assert jan.principal == Principal("jan", Role.SUPERVISOR, frozenset({"zwolle", "ommen"}))
    assert store.require("boss").principal.scope(None) is None  # an admin: every site
    store.remove("jan")
    assert store.get("jan") is None
    with pytest.raises(UserError, match="no user 'jan'"):
        store.remove("jan")


@pytest.mark.parametrize(
    ("username", "password", "role", "sites", "message"),
    [
        ("jan", PASSWORD, Role.SUPERVISOR, [], "at least one site"),
        ("jan", PASSWORD, Role.ADMIN, ["zwolle"], "every site"),
        ("jan", PASSWORD, Role.SUPERVISOR, ["Zwolle"], "not a slug"),
        ("jan", PASSWORD, Role.SUPERVISOR, ["x' OR 1=1"], "not a slug"),
        ("Jan Smit", PASSWORD, Role.SUPERVISOR, ["zwolle"], "user name"),
        ("", PASSWORD, Role.SUPERVISOR, ["zwolle"], "user name"),
    ],
)
def test_bad_users_are_refused(
    store: UserStore, username: str, password: str, role: Role, sites: list[str], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        store.add(username, password, role, sites)
    assert store.users() == []


def test_short_passwords_and_duplicates_are_refused(store: UserStore) -> None:
    with pytest.raises(PasswordError, match="at least 10"):
        store.add("jan", "short", Role.SUPERVISOR, ["zwolle"])
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    with pytest.raises(UserError, match="exists already"):
        store.add("jan", PASSWORD, Role.ADMIN)


def test_authenticate(store: UserStore) -> None:
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    user = store.authenticate("jan", PASSWORD)
    assert user is not None and user.username == "jan"
    assert store.authenticate("jan", PASSWORD + "!") is None
    assert store.authenticate("piet", PASSWORD) is None
    store.set_disabled("jan", True)
    assert store.authenticate("jan", PASSWORD) is None
    store.set_disabled("jan", False)
    assert store.authenticate("jan", PASSWORD) is not None


def test_an_unknown_user_costs_as_much_time_as_a_wrong_password(tmp_path: Path) -> None:
    """No timing oracle: without the dummy hash an unknown name would answer in microseconds."""
    # Costly enough that a missing dummy hash would show (milliseconds against microseconds).
    store = UserStore(tmp_path / "users.sqlite", passwords=Passwords(Argon2Hasher(memory_cost=16_384, parallelism=1)))
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])

    def seconds(username: str) -> float:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            assert store.authenticate(username, "wrong password") is None
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    wrong_password, unknown_user = seconds("jan"), seconds("nobody")
    assert unknown_user > 0.5 * wrong_password, (unknown_user, wrong_password)


def test_a_login_replaces_an_outdated_hash(tmp_path: Path) -> None:
    path = tmp_path / "users.sqlite"
    UserStore(path, passwords=cheap(time_cost=1)).add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])

    def stored_hash() -> str:
        with sqlite3.connect(path) as db:
            return str(db.execute("SELECT password_hash FROM users").fetchone()[0])

    assert ",t=1," in stored_hash()
    newer = UserStore(path, passwords=cheap(time_cost=2))
    assert newer.authenticate("jan", "wrong password") is None
    assert ",t=1," in stored_hash()  # a wrong password changes nothing
    assert newer.authenticate("jan", PASSWORD) is not None
    assert ",t=2," in stored_hash()
    assert newer.authenticate("jan", PASSWORD) is not None  # and the new hash works


def test_sessions_slide_and_expire(store: UserStore, clock: Clock) -> None:
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    token = store.open_session("jan")
    assert len(token) >= 43
    session = store.session(token)
    assert session is not None and session.principal.username == "jan" and not session.renewed
    # Used every 50 minutes, the session outlives its one-hour idle limit many times over.
    for _ in range(5):
        clock.now += 3000
        session = store.session(token)
        assert session is not None and session.renewed
    clock.now += RENEW_AFTER_S / 2
    assert store.session(token) is not None and not store.session(token).renewed  # type: ignore[union-attr]
    clock.now += 3601
    assert store.session(token) is None
    assert store.session_counts() == {}
    assert store.session("") is None and store.session("x" * 1000) is None


def test_expired_sessions_are_purged(store: UserStore, clock: Clock) -> None:
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    old = store.open_session("jan")
    clock.now += 3000
    store.open_session("jan")
    clock.now += 1000  # the first is now 4000 s idle, the second 1000 s
    assert store.purge_expired() == 1
    assert store.session(old) is None
    assert store.session_counts() == {"jan": 1}


def test_only_the_token_digest_is_stored(store: UserStore) -> None:
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    token = store.open_session("jan")
    with sqlite3.connect(store.path) as db:
        stored = [row[0] for row in db.execute("SELECT token_sha256 FROM sessions")]
    assert stored == [token_digest(token)] and token not in stored


def test_logout_password_change_disable_and_removal_end_sessions(store: UserStore) -> None:
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    first, second = store.open_session("jan"), store.open_session("jan")
    store.close_session(first)
    assert store.session(first) is None and store.session(second) is not None
    store.set_password("jan", "another good password")
    assert store.session(second) is None
    assert store.authenticate("jan", PASSWORD) is None and store.authenticate("jan", "another good password")
    third = store.open_session("jan")
    store.set_disabled("jan", True)
    assert store.session(third) is None
    store.set_disabled("jan", False)
    fourth = store.open_session("jan")
    store.remove("jan")
    assert store.session(fourth) is None
    with pytest.raises(UserError, match="no user"):
        store.set_password("jan", "another good password")
    with pytest.raises(UserError, match="no user"):
        store.set_disabled("jan", True)


def test_new_sites_apply_to_open_sessions(store: UserStore) -> None:
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    token = store.open_session("jan")
    store.set_sites("jan", ["ommen", "dalfsen"])
    session = store.session(token)
    assert session is not None and session.principal.sites == {"ommen", "dalfsen"}
    with pytest.raises(UserError, match="at least one site"):
        store.set_sites("jan", [])
    with pytest.raises(UserError, match="not a slug"):
        store.set_sites("jan", ["../x"])


def test_the_file_is_private_and_in_wal_mode(store: UserStore) -> None:
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_threads_share_the_store(store: UserStore) -> None:
    """FastAPI calls the store from its thread pool: concurrent logins and lookups must all succeed."""
    store.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    tokens = [store.open_session("jan") for _ in range(8)]
    failures: list[BaseException] = []

    def use(token: str) -> None:
        try:
            for _ in range(25):
                assert store.session(token) is not None
                store.close_session(store.open_session("jan"))
        except BaseException as exc:  # collected and re-raised in the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=use, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert store.session_counts() == {"jan": 8}
