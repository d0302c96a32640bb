import sqlite3
import stat
from pathlib import Path

import pytest

from hub import sqlite_files

SCHEMA = "CREATE TABLE IF NOT EXISTS t (x INTEGER PRIMARY KEY); CREATE TABLE IF NOT EXISTS c (x REFERENCES t(x));"


def test_a_private_file_is_the_owners_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "store.sqlite"
    sqlite_files.create(path, SCHEMA, private=True)
    sqlite_files.create(path, SCHEMA, private=True)  # again: nothing changes
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite_files.transaction(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_transaction_commits_or_rolls_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    sqlite_files.create(path, SCHEMA)
    with sqlite_files.transaction(path) as db:
        db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(RuntimeError), sqlite_files.transaction(path) as db:
        db.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("half way")
    with sqlite_files.transaction(path) as db:
        assert [row[0] for row in db.execute("SELECT x FROM t")] == [1]


def test_foreign_keys_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    sqlite_files.create(path, SCHEMA)
    with sqlite_files.transaction(path) as db:
        db.execute("INSERT INTO c VALUES (99)")  # no such t: allowed without foreign keys
    with pytest.raises(sqlite3.IntegrityError), sqlite_files.transaction(path, foreign_keys=True) as db:
        db.execute("INSERT INTO c VALUES (98)")
