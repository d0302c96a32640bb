"""The frozen view of the agent that other threads read, and the one place that replaces it."""

import dataclasses
from pathlib import Path

import pytest

from edge.stations.agent_view import EMPTY, AgentView, Phase, PublishedView, Tile
from edge.stations.weighing import WeightState
from tests.unit.edge.stations.configs import station_config


def test_a_station_starts_idle_with_one_tile_per_category(tmp_path: Path) -> None:
    view = AgentView.at_start(station_config(tmp_path))
    assert (view.station_id, view.site, view.stream) == ("zwolle-plastic-1", "zwolle", "plastic")
    assert view.tiles[1] == Tile("pet", "PET (flessen, bakjes)", "PET (bottles, trays)", "resin-1", "2")
    assert (view.confirm_key, view.undo_key) == ("C", "U")
    assert view.phase is Phase.IDLE and view.weight == EMPTY and view.suggestion is None and view.last is None


def test_a_change_publishes_a_new_view_and_leaves_the_old_one_as_it_was(tmp_path: Path) -> None:
    published = PublishedView(AgentView.at_start(station_config(tmp_path)))
    before = published.current
    published.change(phase=Phase.WEIGHING, weight=WeightState(0.3, False, True))
    after = published.current
    assert after is not before
    assert (before.phase, before.weight) == (Phase.IDLE, EMPTY)
    assert (after.phase, after.weight.weight_kg) == (Phase.WEIGHING, 0.3)
    assert after.tiles is before.tiles  # what did not change is shared, not copied
    with pytest.raises(dataclasses.FrozenInstanceError):
        after.phase = Phase.READY  # type: ignore[misc]
