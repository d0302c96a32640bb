"""The sorting state machine, driven step by step on the test's thread: weights and presses in, phases, screen
refusals and journaled events out (the agent's loop and its threads are tested in tests/unit/edge/test_agent.py)."""

import json
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from core.contract import MAX_WEIGHT_KG, Suggestion
from edge.stations.agent_view import EMPTY, AgentView, Phase, PublishedView
from edge.stations.buttons import ButtonEvent
from edge.stations.journal import Journal
from edge.stations.parts import StationParts
from edge.stations.publisher import Publisher
from edge.stations.scale_supervisor import ScaleSupervisor
from edge.stations.sorting import SortingMachine
from edge.stations.weighing import WeightState
from firmware_mocks.in_process import FakeButtons, ScriptedScale
from tests.fakes import FakeMqtt, FakeVision
from tests.unit.edge.stations.configs import station_config

PET = Suggestion(label="pet", confidence=0.9, model_version="m1")


class Machine:
    """A SortingMachine with its parts: a real journal, scripted scale and buttons, a publisher never started."""

    def __init__(self, tmp_path: Path, vision: FakeVision | None = None, **config: Any) -> None:
        self.config = station_config(tmp_path, **config)
        self.view = PublishedView(AgentView.at_start(self.config))
        self.scale = ScriptedScale()
        self.scales = ScaleSupervisor(self.config, lambda: self.scale)
        self.buttons = FakeButtons()
        self.journal = Journal(self.config.journal.path)
        publisher = Publisher(self.journal, FakeMqtt(), "sortcentre/v1/zwolle/zwolle-plastic-1/event")
        self.refused: list[tuple[str, ValidationError]] = []
        parts = StationParts(
            self.config,
            self.view,
            uuid.uuid4(),
            self.scales,
            self.buttons,
            self.journal,
            vision,
        )
        self.machine = SortingMachine(parts, publisher, lambda what, exc: self.refused.append((what, exc)))

    @property
    def phase(self) -> Phase:
        return self.view.current.phase

    def settle(self, kg: float) -> None:
        """An item put on the plate, weighed until stable."""
        self.machine.on_weight(WeightState(kg, False, True))
        self.machine.on_weight(WeightState(kg, True, True))

    def press(self, key: str) -> None:
        self.machine.on_press(ButtonEvent(key, time.monotonic()))

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(p.payload) for p in self.journal.pending(0, 100)]


def test_an_item_goes_through_every_phase_and_is_journaled_once(tmp_path: Path) -> None:
    m = Machine(tmp_path)
    m.machine.on_weight(WeightState(0.25, False, True))
    assert m.phase is Phase.WEIGHING and m.view.current.weight.weight_kg == 0.25
    m.machine.on_weight(WeightState(0.25, True, True))
    assert m.phase is Phase.READY and m.view.current.suggestion is None  # no vision: the sorter chooses
    m.press("2")
    assert m.phase is Phase.DONE
    m.press("1")  # a second press on the same item is ignored
    m.machine.on_weight(EMPTY)
    assert m.phase is Phase.IDLE
    [event] = m.events()
    assert (event["type"], event["category"], event["weight_kg"], event["seq"]) == ("sorted", "pet", 0.25, 1)
    last = m.view.current.last
    assert last is not None and last.event.category == "pet" and not last.undone
    assert len(m.machine.latencies) == 1


def test_a_plate_emptied_before_it_settled_or_before_a_press_records_nothing(tmp_path: Path) -> None:
    m = Machine(tmp_path)
    m.machine.on_weight(WeightState(0.3, False, True))
    m.machine.on_weight(EMPTY)
    assert m.phase is Phase.IDLE
    m.settle(0.3)
    m.press("7")  # not a category key
    m.press("C")  # confirm without a suggestion
    m.machine.on_weight(EMPTY)
    assert m.phase is Phase.IDLE and m.events() == []


def test_unpressed_items_can_be_recorded_as_unsorted(tmp_path: Path) -> None:
    m = Machine(tmp_path, unpressed="unsorted")
    m.settle(0.7)
    m.machine.on_weight(EMPTY)
    assert m.phase is Phase.IDLE
    assert [(e["category"], e["weight_kg"]) for e in m.events()] == [("unsorted", 0.7)]


def test_the_suggestion_lights_its_key_confirm_accepts_it_and_vision_learns(tmp_path: Path) -> None:
    vision = FakeVision(lambda: PET)
    m = Machine(tmp_path, vision=vision)
    m.settle(0.1)
    assert m.view.current.suggestion == PET and m.buttons.lit == {"2"}
    m.press("C")
    assert m.buttons.lit == set() and vision.learned == [("pet", PET, True)]
    m.machine.on_weight(EMPTY)
    m.settle(0.2)
    m.press("9")  # corrected
    assert vision.learned[-1] == ("residual", PET, False)
    assert [(e["category"], e["accepted"]) for e in m.events()] == [("pet", True), ("residual", False)]


def test_a_suggestion_that_is_not_a_category_here_is_not_shown(tmp_path: Path) -> None:
    m = Machine(tmp_path, vision=FakeVision(lambda: Suggestion(label="glass", confidence=0.9, model_version="m1")))
    m.settle(0.1)
    assert m.phase is Phase.READY and m.view.current.suggestion is None and m.buttons.lit == set()


def test_undo_takes_the_last_event_back_once(tmp_path: Path) -> None:
    m = Machine(tmp_path)
    m.press("U")  # nothing to take back yet
    m.settle(0.4)
    m.press("1")
    m.press("U")
    m.press("U")
    original, undo = m.events()
    assert undo["type"] == "undo" and undo["undoes"] == original["event_id"] and undo["seq"] == 2
    last = m.view.current.last
    assert last is not None and last.undone


def test_undo_after_the_window_takes_nothing_back(tmp_path: Path) -> None:
    m = Machine(tmp_path, undo_window_s=0)
    m.settle(0.4)
    m.press("1")
    m.press("U")
    assert len(m.events()) == 1


@pytest.mark.parametrize(
    ("kg", "why"), [(MAX_WEIGHT_KG + 1, "too_heavy"), (0.0004, "too_light")], ids=["too_heavy", "too_light"]
)
def test_a_weight_the_contract_cannot_store_is_refused_on_screen_until_the_plate_empties(
    tmp_path: Path, kg: float, why: str
) -> None:
    m = Machine(tmp_path)
    m.settle(kg)
    m.press("1")
    assert (m.phase, m.view.current.refused, m.events()) == (Phase.READY, why, [])
    m.machine.on_weight(EMPTY)
    assert m.view.current.refused is None


def test_a_full_journal_refuses_the_item(tmp_path: Path) -> None:
    m = Machine(tmp_path)
    m.view.change(journal_full=True)  # StationHealth sets this at a heartbeat
    m.settle(0.3)
    m.press("1")
    assert m.view.current.refused == "journal_full" and m.events() == []


def test_an_event_the_contract_refuses_is_refused_on_screen_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = Machine(tmp_path)
    m.settle(0.3)
    monkeypatch.setattr("edge.stations.sorting_events.now_utc_ms", lambda: datetime(1969, 12, 31, 23, 59))
    m.press("1")
    assert m.view.current.refused == "invalid_event" and m.events() == []
    assert [what for what, _exc in m.refused] == ["event"]


def test_long_presses_tare_and_zero_only_while_no_item_is_being_sorted(tmp_path: Path) -> None:
    m = Machine(tmp_path, scale={"zero_on_start": False})
    tares: list[int] = []

    def tare() -> bool:
        tares.append(1)
        return True

    m.scale.tare = tare  # type: ignore[method-assign]
    m.press("U:long")  # the scale is not open yet: refused
    assert m.scale.zeroed == 0
    m.scales.poll()
    m.press("C:long")
    m.press("U:long")
    assert (tares, m.scale.zeroed) == ([1], 1)
    m.settle(0.5)
    m.press("U:long")  # an item is being sorted: refused
    m.press("C:long")
    assert (tares, m.scale.zeroed) == ([1], 1)
