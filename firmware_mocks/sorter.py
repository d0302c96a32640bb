"""A simulated sorter at a simulated station: places items, waits for a stable weight, presses a button.

The rig (scale + button board on ptys) is the physical world; the station process on the other end of the
ptys is the real agent. The sorter takes the lit suggestion most of the time and otherwise picks a category,
as a trainee would.

With an :class:`~firmware_mocks.camera.ItemCamera` (the learning demo) each item has a true category, drawn
before it is placed: the camera shows that item, and the sorter presses its category, except that it takes a
lit suggestion that is wrong now and then (the bias blind checks measure) and slips on a few unprompted items.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from pathlib import Path

from config.drivers import SerialBoardButtonsConfig
from config.station import Category, StationConfig
from firmware_mocks.buttons.serial_board import ButtonBoardMock
from firmware_mocks.camera import ItemCamera
from firmware_mocks.scales.load import LoadSettings, SimulatedLoad
from firmware_mocks.scales.mt_sics import MtSicsScaleMock

logger = logging.getLogger(__name__)

# Typical item weights (kg) per stream: (low, high) of a uniform draw.
ITEM_WEIGHTS = {"plastic": (0.02, 0.9), "textile": (0.15, 2.5)}
DEFAULT_WEIGHTS = (0.05, 1.5)


@dataclass
class SorterPace:
    idle_s: tuple[float, float] = (0.5, 2.0)  # between items
    look_s: tuple[float, float] = (0.3, 0.8)  # from stable weight to the press
    accept_rate: float = 0.85  # chance of taking a lit suggestion
    # With a learning camera (the item's true category known):
    wrong_accept_rate: float = 0.3  # chance of taking a lit suggestion that is wrong: sorters follow what is lit
    slip_rate: float = 0.03  # chance of pressing a random category when nothing is lit


class StationRig:
    """Scale and button board for one station, at the paths its config names."""

    def __init__(
        self,
        config: StationConfig,
        seed: int | None = None,
        garbage_rate: float = 0.0,
        settle_s: float | None = None,
    ) -> None:
        """``settle_s``: how long a dropped item swings (default: a little longer than the station's window)."""
        self.config = config
        swing = config.scale.stable_time_s + 0.3 if settle_s is None else settle_s
        self.load = SimulatedLoad(LoadSettings(settle_s=swing), seed)
        self.scale = MtSicsScaleMock(self.load, Path(config.scale.port), garbage_rate=garbage_rate, seed=seed)
        assert isinstance(config.buttons, SerialBoardButtonsConfig), "the rig simulates a serial button board"
        self.buttons = ButtonBoardMock(Path(config.buttons.port))

    def start(self) -> StationRig:
        self.scale.start()
        self.buttons.start()
        return self

    def stop(self) -> None:
        self.scale.stop()
        self.buttons.stop()


class SimulatedSorter:
    def __init__(
        self,
        rig: StationRig,
        pace: SorterPace | None = None,
        seed: int | None = None,
        camera: ItemCamera | None = None,
    ) -> None:
        self.rig = rig
        self.pace = pace or SorterPace()
        self.camera = camera
        self.items_pressed = 0
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="sorter", daemon=True)

    def start(self) -> SimulatedSorter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def run(self) -> None:
        low, high = ITEM_WEIGHTS.get(self.rig.config.station.stream, DEFAULT_WEIGHTS)
        settle = self.rig.load.settings.settle_s + self.rig.config.scale.stable_time_s
        while not self._stop.wait(self._random.uniform(*self.pace.idle_s)):
            truth = self._random.choice(self.rig.config.categories) if self.camera is not None else None
            if self.camera is not None and truth is not None:
                self.camera.show(truth.id)  # before the item lands: the station takes its frame as the weight rises
            self.rig.load.place(round(self._random.uniform(low, high), 3))
            lit = self.rig.buttons.wait_for_led(timeout=settle + 0.5)
            if self._stop.wait(self._random.uniform(*self.pace.look_s)):
                break
            self.rig.buttons.press(self._choose(lit) if truth is None else self.choose_for(truth, lit))
            self.items_pressed += 1
            self._stop.wait(0.3)
            self.rig.load.clear()
            if self.camera is not None:
                self.camera.clear()
            # Give the station time to see the empty plate before the next item lands.
            self._stop.wait(self.rig.config.scale.poll_interval_s * 3)

    def _choose(self, lit: list[str]) -> str:
        if lit and self._random.random() < self.pace.accept_rate:
            return self.rig.config.buttons.confirm_key
        return self._random.choice(self.rig.config.categories).key

    def choose_for(self, truth: Category, lit: list[str]) -> str:
        """The key for an item whose category is ``truth``: right, but swayed by a wrong lit suggestion now and then."""
        confirm = self.rig.config.buttons.confirm_key
        if lit:
            if truth.key in lit:
                return confirm if self._random.random() < self.pace.accept_rate else truth.key
            if self._random.random() < self.pace.wrong_accept_rate:
                return confirm
            return truth.key
        if self._random.random() < self.pace.slip_rate:
            return self._random.choice(self.rig.config.categories).key
        return truth.key
