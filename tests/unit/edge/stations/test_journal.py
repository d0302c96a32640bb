import contextlib
import json
import logging
import sqlite3
from pathlib import Path

import pytest

from edge.stations.journal import Journal


def append(journal: Journal, n: int) -> list[int]:
    return [journal.append(lambda seq: (f"id-{seq}", json.dumps({"seq": seq}).encode())) for _ in range(n)]


def test_sequence_numbers_are_never_reused(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    assert append(journal, 3) == [1, 2, 3]
    assert journal.acknowledge([1, 2, 3]) == 3
    assert journal.depth() == 0
    journal.close()
    reopened = Journal(tmp_path / "j.sqlite")
    assert append(reopened, 2) == [4, 5]  # after pruning and a restart, still counting on
    assert reopened.counters() == {"made": 5, "sent": 3}


def test_pending_in_order_after_a_seq(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    append(journal, 10)
    journal.acknowledge([2, 3])
    assert [p.seq for p in journal.pending(0, 4)] == [1, 4, 5, 6]
    assert [p.seq for p in journal.pending(6, 100)] == [7, 8, 9, 10]
    assert json.loads(journal.pending(9, 1)[0].payload) == {"seq": 10}
    assert journal.oldest_age_s() is not None


def test_committed_events_survive_an_unclean_stop(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    append(journal, 5)
    # No close(): as after a power cut, another connection must see all five, in WAL mode.
    other = sqlite3.connect(path)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert other.execute("SELECT count(*) FROM events").fetchone()[0] == 5


def test_a_failing_build_leaves_nothing(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")

    def broken(seq: int) -> tuple[str, bytes]:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        journal.append(broken)
    assert journal.depth() == 0
    assert append(journal, 1) == [1]


def pragma(path: Path, name: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute(f"PRAGMA {name}").fetchone()[0])


def fill(journal: Journal, n: int, size: int = 400) -> None:
    for _ in range(n):
        journal.append(lambda seq: (f"id-{seq}", b"x" * size))


def test_the_fill_level_is_what_the_journal_holds_and_drained_space_goes_back_to_the_disk(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    fill(journal, 300, 4000)  # about 1.3 MB of rows, as a backlog while the broker is away
    held, on_disk = journal.used_bytes(), journal.size_bytes()
    assert held > 1024**2
    assert journal.acknowledge(range(1, 301)) == 300
    # The rows are gone: the fill level drops at once, whether or not the file has shrunk yet.
    assert journal.used_bytes() < held / 20
    while journal.reclaim(max_pages=64):  # bounded steps, as the publisher's thread calls it
        pass
    journal.append(lambda seq: ("after", b"{}"))  # a write after the checkpoint starts the WAL over, truncated
    main_file = (tmp_path / "j.sqlite").stat().st_size
    assert main_file < held / 10, f"the database file kept {main_file} bytes"
    assert journal.size_bytes() < on_disk / 2, (journal.size_bytes(), on_disk)
    assert journal.depth() == 1 and journal.counters() == {"made": 301, "sent": 300}


def test_reclaim_leaves_a_little_free_space_for_the_next_events(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    fill(journal, 50)
    journal.acknowledge(range(1, 51))
    assert journal.reclaim() is False  # a few free pages: reused by the next events, not worth a shrink


def test_a_journal_made_without_incremental_vacuum_is_rebuilt_once_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "j.sqlite"
    old = sqlite3.connect(path, isolation_level=None)  # as the station made it before: auto_vacuum NONE
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,"
        " payload BLOB NOT NULL, created REAL NOT NULL);"
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "INSERT INTO counters(name, value) VALUES ('made', 7), ('sent', 5);"
        "INSERT INTO events(seq, event_id, payload, created) VALUES (6, 'a', x'7b7d', 0), (7, 'b', x'7b7d', 0);"
    )
    old.close()
    with caplog.at_level(logging.WARNING, logger="edge.stations.journal"):
        journal = Journal(path)
    assert "without incremental vacuum" in caplog.text and "rebuilt" in caplog.text
    assert pragma(path, "auto_vacuum") == 2  # INCREMENTAL
    assert [p.seq for p in journal.pending(0, 10)] == [6, 7]  # nothing lost
    assert append(journal, 1) == [8] and journal.counters() == {"made": 8, "sent": 5}
    journal.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="edge.stations.journal"):
        Journal(path).close()
    assert caplog.text == ""  # once


def test_a_new_journal_is_made_with_incremental_vacuum_and_a_wal_limit(tmp_path: Path) -> None:
    from edge.stations.journal import WAL_LIMIT_BYTES

    journal = Journal(tmp_path / "j.sqlite")
    assert pragma(tmp_path / "j.sqlite", "auto_vacuum") == 2
    # A per-connection setting: read on the journal's own connection.
    assert int(journal._db.execute("PRAGMA journal_size_limit").fetchone()[0]) == WAL_LIMIT_BYTES
