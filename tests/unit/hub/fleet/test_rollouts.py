"""Rollouts in SQLite: one open per site and stream, refusals that say why, and which version a site runs now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.fleet.canary import State
from hub.fleet.rollouts import RolloutError, RolloutStore

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def start(store: RolloutStore, **changes: Any) -> Any:
    args: dict[str, Any] = {
        "site": "zuid",
        "stream": "plastic",
        "new_version": "m@2",
        "previous_version": "m@1",
        "canary": ["st-1"],
        "others": ["st-2"],
        "items_needed": 200,
        "now": NOW,
    }
    return store.start(**(args | changes))


def test_a_rollout_is_stored_and_read_back(tmp_path: Path) -> None:
    store = RolloutStore(tmp_path / "rollouts.sqlite")
    rollout = start(store)
    assert rollout.state is State.CANARY and rollout.canary == ("st-1",) and rollout.started == NOW
    assert store.open() == [rollout] and store.get(rollout.id) == rollout
    assert RolloutStore(tmp_path / "rollouts.sqlite").recent() == [rollout]  # survives a restart
    assert store.current_version("zuid", "plastic") == "m@1"  # the canary is not the site
    store.save(replace(rollout, state=State.ROLLED_ON, decided=NOW, reason="roll on"))
    assert store.open() == [] and store.current_version("zuid", "plastic") == "m@2"
    assert store.get(rollout.id) == replace(rollout, state=State.ROLLED_ON, decided=NOW, reason="roll on")
    assert store.current_version("zuid", "textile") is None


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"canary": []}, "at least one canary"),
        ({"others": ["st-1"]}, "both canary and other"),
        ({"new_version": "m@1"}, "already"),
    ],
)
def test_refusals_say_why(tmp_path: Path, changes: dict[str, Any], says: str) -> None:
    store = RolloutStore(tmp_path / "rollouts.sqlite")
    with pytest.raises(RolloutError, match=says):
        start(store, **changes)
    assert store.recent() == []


def test_one_open_rollout_per_site_and_stream(tmp_path: Path) -> None:
    store = RolloutStore(tmp_path / "rollouts.sqlite")
    first = start(store)
    with pytest.raises(RolloutError, match="open already"):
        start(store, new_version="m@3")
    start(store, stream="textile")  # another stream may
    store.discard(first.id)
    start(store, new_version="m@3")
    assert [r.new_version for r in store.open()] == ["m@2", "m@3"]
