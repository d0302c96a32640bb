"""The sorting state machine: weight and button presses in, sorting and undo events into the journal.

States (docs/station.md has the diagram)::

    IDLE --weight above minimum--> WEIGHING --stable--> READY (suggestion lit)
    READY --category or confirm key--> DONE (event journaled) --plate empty--> IDLE
        (on a blind check, edge/stations/blind.py, READY lights nothing: the suggestion is only journaled)
    WEIGHING --plate empty before stable--> IDLE;  READY --plate empty without a press--> IDLE
        (nothing recorded, or an 'unsorted' event when ``unpressed = "unsorted"``)
    any state --undo key--> an undo event for the last event, within the undo window
    confirm held long: tare;  undo held long: zero (both only with an empty or steady plate)

The machine keeps its phase, suggestion and last event in the published :class:`AgentView`, and only the agent's
thread calls it. A press the station cannot record (journal full, a weight the contract refuses, any event the
contract refuses) is refused with a warning in the log and on the sorter's screen (``refused``); it never raises.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from pydantic import ValidationError

from config.station import StationConfig
from core.contract import MAX_WEIGHT_KG, SortingEvent, Suggestion
from edge.stations.agent_view import (
    REFUSED_INVALID,
    REFUSED_JOURNAL_FULL,
    REFUSED_TOO_HEAVY,
    REFUSED_TOO_LIGHT,
    LastEvent,
    Phase,
)
from edge.stations.blind import BlindChecks
from edge.stations.buttons import ButtonEvent
from edge.stations.buttons.presses import LONG_SUFFIX
from edge.stations.parts import StationParts
from edge.stations.publisher import Publisher
from edge.stations.sorting_events import sorted_event, undo_event
from edge.stations.weighing import WeightState

logger = logging.getLogger(__name__)

UNSORTED = "unsorted"

ContractRefused = Callable[[str, ValidationError], None]
"""Told what the contract refused (``event``, ``undo event``) and why; logs it (StationHealth.contract_refused)."""


class SortingMachine:
    def __init__(
        self,
        parts: StationParts,
        publisher: Publisher,
        contract_refused: ContractRefused,
        blind: BlindChecks | None = None,
    ) -> None:
        self._parts = parts
        self.config = parts.config
        self._ident = parts.config.station
        self._publisher = publisher
        self._contract_refused = contract_refused
        self._awaiting_suggestion = False
        self._stable_weight_kg = 0.0
        self.blind = blind if blind is not None else BlindChecks()
        # A blind check's suggestion (shown=False): journaled with the event, never in the view nor on a button.
        self._hidden: Suggestion | None = None
        # Press-to-committed times of the latest events, for benchmarks and the log.
        self.latencies: deque[float] = deque(maxlen=100_000)

    def reconfigure(self, config: StationConfig) -> None:
        """Another config's categories (remote config): only between items, so an item keeps the categories its
        key presses started with."""
        self.config = config

    @property
    def phase(self) -> Phase:
        return self._parts.view.current.phase

    @property
    def suggestion(self) -> Suggestion | None:
        return self._parts.view.current.suggestion

    # -- the weight ------------------------------------------------------------------------------------
    def on_weight(self, state: WeightState) -> None:
        if state != self._parts.view.current.weight:
            self._parts.view.change(weight=state)
        if self.phase is Phase.IDLE and state.loaded:
            self._parts.view.change(phase=Phase.WEIGHING)
            if self._parts.vision is not None:
                self._parts.vision.begin()  # works while the weight settles
        elif self.phase is Phase.WEIGHING and not state.loaded:
            # Never settled: a swing of the plate or an item put down and picked up at once.
            self._to_idle()
        elif self.phase is Phase.WEIGHING and state.stable:
            self._show_suggestion()
        elif self.phase is Phase.READY and not state.loaded:
            self._taken_off_unpressed()
        elif self.phase is Phase.DONE and not state.loaded:
            self._to_idle()

    def _to_idle(self) -> None:
        self._parts.view.change(phase=Phase.IDLE, suggestion=None, refused=None)
        self._awaiting_suggestion = False
        self._hidden = None
        if self._parts.vision is not None:
            self._parts.vision.cancel()
        self._parts.buttons.all_off()

    def _taken_off_unpressed(self) -> None:
        if self.config.unpressed == "unsorted" and self._stable_weight_kg > 0:
            logger.info("item taken off without a press: recorded as %s", UNSORTED)
            self.record(UNSORTED, self._stable_weight_kg, None)
        else:
            logger.info("item taken off without a press; nothing recorded")
        self._to_idle()

    # -- the suggestion --------------------------------------------------------------------------------
    def _show_suggestion(self) -> None:
        """Remember the stable weight and light the suggested category (no suggester: the sorter chooses)."""
        self._stable_weight_kg = round(self._parts.view.current.weight.weight_kg, 3)
        self._parts.view.change(phase=Phase.READY, suggestion=None)
        self._hidden = None
        self._awaiting_suggestion = self._parts.vision is not None
        self.check_suggestion()

    def check_suggestion(self) -> None:
        """Light the suggestion once vision has one; called at READY and on every loop step until then."""
        if not self._awaiting_suggestion or self._parts.vision is None or self.phase is not Phase.READY:
            return
        done, suggestion = self._parts.vision.poll()
        if not done:
            return
        self._awaiting_suggestion = False
        if suggestion is None:
            return
        category = next((c for c in self.config.categories if c.id == suggestion.label), None)
        if category is None:
            logger.warning("suggestion %s is not a category of this station; not shown", suggestion.label)
            return
        # The share is read per item from the config the machine holds now, so a changed setting counts at once.
        if self.blind.draw(self.config.vision.blind_share):
            self._hidden = Suggestion(
                label=suggestion.label,
                confidence=suggestion.confidence,
                model_version=suggestion.model_version,
                shown=False,
            )
            logger.info("blind check: suggestion %s not shown", suggestion.label)
            return
        self._parts.view.change(suggestion=suggestion)
        self._parts.buttons.set_led(category.key, True)

    # -- the buttons -----------------------------------------------------------------------------------
    def on_press(self, press: ButtonEvent) -> None:
        keys = self.config.buttons
        if press.key == keys.undo_key:
            self.undo()
        elif press.key == keys.confirm_key + LONG_SUFFIX:
            self._scale_command("tare")
        elif press.key == keys.undo_key + LONG_SUFFIX:
            self._scale_command("zero")
        elif self.phase is not Phase.READY:
            logger.info("key %s pressed while %s: ignored", press.key, self.phase.value)
        elif press.key == keys.confirm_key:
            if self.suggestion is None:
                logger.info("confirm pressed with no suggestion: choose a category key")
                return
            self.record(self.suggestion.label, self._stable_weight_kg, press)
        else:
            found = self.config.category_for_key(press.key.removesuffix(LONG_SUFFIX))
            if found is None:
                logger.info("key %s is not a category here: ignored", press.key)
                return
            self.record(found.id, self._stable_weight_kg, press)

    def _scale_command(self, command: Literal["tare", "zero"]) -> None:
        if not self._parts.scale.is_open or self.phase in (Phase.READY, Phase.DONE):
            logger.info("%s refused: no scale, or an item is being sorted", command)
            return
        self._parts.scale.command(command)

    # -- events ----------------------------------------------------------------------------------------
    def _refuse(self, why: str, message: str, *args: object) -> None:
        """The item on the plate is not recorded: say so in the log and on the sorter's screen."""
        logger.warning(message, *args)
        self._parts.view.change(refused=why)

    def record(self, category: str, weight_kg: float, press: ButtonEvent | None) -> None:
        """Journal the item on the plate as sorted into ``category`` (``press``: the key that chose it, if any)."""
        # The contract stores grams: a weight that rounds to 0 g is refused (min_weight_kg below 0.0005 kg lets
        # such an item through the weigher), and so is one over the heaviest scale in the network.
        if self._parts.view.current.journal_full:
            self._refuse(REFUSED_JOURNAL_FULL, "journal full: item refused; free disk space or reconnect the station")
            return
        if round(weight_kg * 1000) < 1:
            self._refuse(REFUSED_TOO_LIGHT, "item of %.4f kg refused: it rounds to 0 g, too light to record", weight_kg)
            return
        if weight_kg > MAX_WEIGHT_KG:
            self._refuse(REFUSED_TOO_HEAVY, "item of %.1f kg refused: over %.0f kg", weight_kg, MAX_WEIGHT_KG)
            return
        suggestion = self.suggestion or self._hidden
        built: list[SortingEvent] = []

        def build(seq: int) -> tuple[str, bytes]:
            event = sorted_event(self._ident, self._parts.boot_id, seq, category, weight_kg, suggestion)
            built.append(event)
            return str(event.event_id), event.to_json()

        try:
            self._parts.journal.append(build)
        except ValidationError as exc:
            # Nothing was journaled (the transaction rolled back); the station goes on with the next item.
            self._contract_refused("event", exc)
            self._refuse(REFUSED_INVALID, "item %s %.3f kg refused: the contract refuses it", category, weight_kg)
            return
        event = built[0]
        self._parts.view.change(last=LastEvent(event, time.monotonic()), phase=Phase.DONE, refused=None)
        self._awaiting_suggestion = False
        if self._parts.vision is not None:
            self._parts.vision.learn(category, suggestion, event.accepted)
        self._parts.buttons.all_off()
        self._publisher.wake()
        after = ""
        if press is not None:
            self.latencies.append(time.monotonic() - press.at)
            after = f", {self.latencies[-1] * 1000:.1f} ms after the press"
        logger.info("sorted %s %.3f kg (seq %d%s)", category, weight_kg, event.seq, after)

    def undo(self) -> None:
        """Take back the last event with an undo event, once, within the undo window."""
        last = self._parts.view.current.last
        if last is None or last.undone or time.monotonic() - last.monotonic > self.config.undo_window_s:
            logger.info("undo pressed with nothing to take back")
            return
        original = last.event

        def build(seq: int) -> tuple[str, bytes]:
            event = undo_event(original, self._parts.boot_id, seq)
            return str(event.event_id), event.to_json()

        try:
            self._parts.journal.append(build)
        except ValidationError as exc:
            self._contract_refused("undo event", exc)
            logger.warning("undo of %s refused: the contract refuses its event", original.category)
            return
        self._parts.view.change(last=replace(last, undone=True))
        self._publisher.wake()
        logger.info("undid %s %.3f kg (seq %d)", original.category, original.weight_kg, original.seq)
