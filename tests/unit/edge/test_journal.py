import json
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
