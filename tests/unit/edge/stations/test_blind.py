"""Blind checks: the share of items whose suggestion is computed and journaled but not shown, chosen at random."""

from __future__ import annotations

import itertools
import json
import math
import random
import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.contract import SortingEvent, Suggestion
from edge.stations.agent_view import EMPTY, AgentView, PublishedView
from edge.stations.blind import BlindChecks
from edge.stations.buttons import ButtonEvent
from edge.stations.journal import Journal
from edge.stations.kiosk.screen_state import screen_state_of
from edge.stations.parts import StationParts
from edge.stations.publisher import Publisher
from edge.stations.scale_supervisor import ScaleSupervisor
from edge.stations.sorting import SortingMachine
from edge.stations.weighing import WeightState
from firmware_mocks.in_process import FakeButtons, ScriptedScale
from tests.fakes import FakeMqtt, FakeVision
from tests.unit.edge.stations.configs import station_config

PET = Suggestion(label="pet", confidence=0.9, model_version="m1")
ITEMS = 2000


def within_binomial(count: int, n: int, p: float, sigmas: float = 5.0) -> bool:
    """``count`` is a plausible draw of Binomial(n, p): within ``sigmas`` standard deviations of its mean."""
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


class Station:
    """A sorting machine with a vision that always suggests PET, a real journal and a blind-check share."""

    def __init__(self, tmp_path: Path, share: float, rng: random.Random | None = None, **config: Any) -> None:
        self.config = station_config(tmp_path, vision={"blind_share": share}, **config)
        self.view = PublishedView(AgentView.at_start(self.config))
        self.buttons = FakeButtons()
        self.vision = FakeVision(lambda: PET)
        self.journal = Journal(self.config.journal.path)
        publisher = Publisher(self.journal, FakeMqtt(), "sortcentre/v1/zwolle/zwolle-plastic-1/event")
        self.refused: list[tuple[str, ValidationError]] = []
        parts = StationParts(
            self.config,
            self.view,
            uuid.uuid4(),
            ScaleSupervisor(self.config, ScriptedScale),
            self.buttons,
            self.journal,
            self.vision,
        )
        self.machine = SortingMachine(
            parts, publisher, lambda what, exc: self.refused.append((what, exc)), BlindChecks(rng)
        )

    def item(self, key: str = "2") -> None:
        """One item: weighed until stable, ``key`` pressed, taken off."""
        self.machine.on_weight(WeightState(0.3, False, True))
        self.machine.on_weight(WeightState(0.3, True, True))
        self.machine.on_press(ButtonEvent(key, time.monotonic()))
        self.machine.on_weight(EMPTY)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(p.payload) for p in self.journal.pending(0, 10_000)]


def test_the_blind_share_is_a_binomial_draw_per_item() -> None:
    checks = BlindChecks(random.Random(15))
    blind = [checks.draw(0.05) for _ in range(ITEMS)]
    assert within_binomial(sum(blind), ITEMS, 0.05) and checks.blind == sum(blind) and checks.items == ITEMS
    where = [i for i, hidden in enumerate(blind) if hidden]
    gaps = {b - a for a, b in itertools.pairwise(where)}
    assert len(gaps) > 5  # not every 20th item: the gaps between blind items vary
    none = BlindChecks()
    assert not any(none.draw(0.0) for _ in range(ITEMS))


def test_two_stations_draw_different_items() -> None:
    """Seeded from the operating system's randomness: no two boots hide the same items."""
    first, second = BlindChecks(), BlindChecks()
    one = [first.draw(0.05) for _ in range(ITEMS)]
    two = [second.draw(0.05) for _ in range(ITEMS)]
    assert one != two and within_binomial(sum(one), ITEMS, 0.05, sigmas=6) and within_binomial(sum(two), ITEMS, 0.05, 6)


def test_over_2000_items_the_blind_ones_are_a_binomial_share_and_pass_the_contract(tmp_path: Path) -> None:
    station = Station(tmp_path, 0.05)  # the station's own unseeded draw
    for _ in range(ITEMS):
        station.item()
    events = station.events()
    assert len(events) == ITEMS and not station.refused
    blind = [e for e in events if not e["suggestion"]["shown"]]
    assert within_binomial(len(blind), ITEMS, 0.05, sigmas=6) and len(blind) == station.machine.blind.blind
    for event in blind:
        assert event["accepted"] is None and event["suggestion"]["label"] == "pet"
        # The contract takes it: accepted is null exactly when no suggestion was shown.
        SortingEvent.model_validate_json(json.dumps(event))
    shown = [e for e in events if e["suggestion"]["shown"]]
    assert {e["accepted"] for e in shown} == {True}


def test_share_zero_shows_every_suggestion(tmp_path: Path) -> None:
    station = Station(tmp_path, 0.0)
    for _ in range(200):
        station.item()
    assert all(e["suggestion"]["shown"] and e["accepted"] is True for e in station.events())


class AlwaysBlind(random.Random):
    def random(self) -> float:
        return 0.0


def test_a_blind_item_lights_nothing_and_the_kiosk_shows_no_suggestion(tmp_path: Path) -> None:
    station = Station(tmp_path, 0.5, rng=AlwaysBlind())
    station.machine.on_weight(WeightState(0.3, False, True))
    station.machine.on_weight(WeightState(0.3, True, True))
    assert station.buttons.lit == set() and station.view.current.suggestion is None
    screen = screen_state_of(station.view.current)
    assert screen["suggestion"] is None and not any(tile["lit"] for tile in screen["categories"])
    station.machine.on_press(ButtonEvent("C", time.monotonic()))  # confirm: nothing was offered to confirm
    assert station.events() == []
    station.machine.on_press(ButtonEvent("1", time.monotonic()))  # the sorter chooses pp unprompted
    [event] = station.events()
    parsed = SortingEvent.model_validate_json(json.dumps(event))
    assert parsed.suggestion == PET.model_copy(update={"shown": False}) and parsed.accepted is None
    assert (event["category"], event["suggestion"]["shown"], event["schema_version"]) == ("pp", False, 2)
    # The capture still learns the label, with the hidden suggestion (shown=False) beside it.
    [(category, suggestion, accepted)] = station.vision.learned
    assert (category, suggestion is not None and suggestion.shown, accepted) == ("pp", False, None)
    # An undo of a blind item carries its hidden suggestion too.
    station.machine.on_press(ButtonEvent("U", time.monotonic()))
    undo = SortingEvent.model_validate_json(json.dumps(station.events()[-1]))
    assert undo.undoes == parsed.event_id and undo.suggestion == parsed.suggestion and undo.accepted is None


def test_the_share_is_read_per_item_from_the_current_config(tmp_path: Path) -> None:
    station = Station(tmp_path, 0.0, rng=AlwaysBlind())
    station.item()
    # A remote config replaces the machine's config between items: the next item uses the new share.
    station.machine.config = station.config.model_copy(
        update={"vision": station.config.vision.model_copy(update={"blind_share": 0.5})}
    )
    station.item()
    assert [e["suggestion"]["shown"] for e in station.events()] == [True, False]
