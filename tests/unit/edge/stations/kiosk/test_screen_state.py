"""The kiosk's screen model: the page's JSON, built from one view of the agent."""

import uuid
from dataclasses import replace
from pathlib import Path
from typing import get_type_hints

from config.station import Identity
from core.contract import DeviceHealth, Suggestion
from edge.stations.agent_view import AgentView, LastEvent, Phase
from edge.stations.kiosk.screen_state import ScreenLastEvent, ScreenState, ScreenTile, example, screen_state_of
from edge.stations.sorting_events import sorted_event
from edge.stations.weighing import WeightState
from tests.unit.edge.stations.configs import station_config

PET = Suggestion(label="pet", confidence=0.9, model_version="m1")


def test_an_idle_station_on_screen(tmp_path: Path) -> None:
    state = screen_state_of(AgentView.at_start(station_config(tmp_path)))
    assert set(state) == set(ScreenState.__annotations__)
    assert state["station"] == {"id": "zwolle-plastic-1", "site": "zwolle", "stream": "plastic"}
    assert (state["phase"], state["weight_kg"], state["stable"], state["suggestion"]) == ("idle", 0.0, False, None)
    assert [(t["id"], t["key"], t["lit"]) for t in state["categories"]] == [
        ("pp", "1", False),
        ("pet", "2", False),
        ("residual", "9", False),
    ]
    assert set(state["categories"][0]) == set(ScreenTile.__annotations__)
    assert (state["scale"], state["camera"], state["last_event"], state["warnings"]) == ("absent", "absent", None, [])


def test_the_suggestion_lights_its_tile_and_the_last_event_shows_in_utc(tmp_path: Path) -> None:
    config = station_config(tmp_path)
    event = sorted_event(
        Identity(id="zwolle-plastic-1", site="zwolle", stream="plastic"), uuid.uuid4(), 5, "pet", 0.4, PET
    )
    view = replace(
        AgentView.at_start(config),
        phase=Phase.DONE,
        weight=WeightState(0.40049, True, True),
        suggestion=PET,
        last=LastEvent(event, 0.0, undone=True),
        scale=DeviceHealth.OK,
        warnings=("clock_unsynced",),
    )
    state = screen_state_of(view)
    assert (state["phase"], state["weight_kg"], state["stable"]) == ("done", 0.4, True)
    assert state["suggestion"] == {"label": "pet", "confidence": 0.9, "model_version": "m1"}
    assert [t["id"] for t in state["categories"] if t["lit"]] == ["pet"]
    last = state["last_event"]
    assert last is not None and set(last) == set(ScreenLastEvent.__annotations__)
    assert (last["type"], last["category"], last["weight_kg"], last["seq"], last["undone"]) == (
        "sorted",
        "pet",
        0.4,
        5,
        True,
    )
    assert last["station_time"].endswith("Z")
    assert (state["scale"], state["warnings"]) == ("ok", ["clock_unsynced"])


def test_the_example_has_the_shape_of_the_screen_model() -> None:
    state = example()
    assert set(state) == set(get_type_hints(ScreenState))
    assert all(set(t) == set(ScreenTile.__annotations__) for t in state["categories"])
