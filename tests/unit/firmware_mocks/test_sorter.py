"""The simulated sorter with a learning camera: the camera shows each item before it lands, and the sorter
presses that item's category, swayed now and then by a wrong lit suggestion."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from config.station import StationConfig
from firmware_mocks.camera import ItemCamera
from firmware_mocks.scales.load import LoadSettings
from firmware_mocks.sorter import SimulatedSorter, SorterPace, StationRig
from tests.conftest import wait_until
from tests.unit.edge.stations.configs import station_config


@dataclass
class Log:
    steps: list[tuple[str, Any]] = field(default_factory=list)


class Load:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.settings = LoadSettings(settle_s=0.0)

    def place(self, kg: float) -> None:
        self.log.steps.append(("place", kg))

    def clear(self) -> None:
        self.log.steps.append(("clear", None))


class Buttons:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.lit: list[str] = []

    def wait_for_led(self, timeout: float) -> list[str]:
        return self.lit

    def press(self, key: str) -> None:
        self.log.steps.append(("press", key))


class Camera(ItemCamera):
    def __init__(self, folder: Path, config: StationConfig, log: Log) -> None:
        super().__init__(folder, [c.id for c in config.categories], seed=1)
        self.log = log

    def show(self, category: str) -> None:
        super().show(category)
        self.log.steps.append(("show", category))


def rig(config: StationConfig, log: Log) -> StationRig:
    class FakeRig:
        pass

    fake = FakeRig()
    fake.config = config  # type: ignore[attr-defined]
    fake.load = Load(log)  # type: ignore[attr-defined]
    fake.buttons = Buttons(log)  # type: ignore[attr-defined]
    return cast(StationRig, fake)


QUICK = SorterPace(idle_s=(0.0, 0.001), look_s=(0.0, 0.001))


def test_the_camera_shows_each_item_before_it_lands_and_the_sorter_presses_its_category(tmp_path: Path) -> None:
    config = station_config(tmp_path, scale={"poll_interval_s": 0.01, "stable_time_s": 0.01})
    log = Log()
    keys = {c.id: c.key for c in config.categories}
    sorter = SimulatedSorter(rig(config, log), QUICK, seed=4, camera=Camera(tmp_path / "camera", config, log))
    sorter.pace.slip_rate = 0.0
    sorter.start()
    try:
        assert wait_until(lambda: sorter.items_pressed >= 3, 10)
    finally:
        sorter.stop()
    steps = log.steps
    shows = [i for i, (what, _) in enumerate(steps) if what == "show"]
    for i in shows[:3]:
        (_, category), (place, _), (press, key) = steps[i : i + 3]
        assert (place, press) == ("place", "press") and key == keys[category]  # shown, placed, then pressed


def test_choices_follow_the_truth_but_a_wrong_lit_suggestion_sways_some(tmp_path: Path) -> None:
    config = station_config(tmp_path)
    fake = rig(config, Log())
    sorter = SimulatedSorter(fake, SorterPace(accept_rate=0.8, wrong_accept_rate=0.3, slip_rate=0.05), seed=2)
    pp, pet = config.categories[0], config.categories[1]
    confirm = config.buttons.confirm_key
    n = 2000
    right_lit = [sorter.choose_for(pp, [pp.key]) for _ in range(n)]
    assert set(right_lit) == {confirm, pp.key}  # right either way: confirm or its own key
    wrong_lit = [sorter.choose_for(pp, [pet.key]) for _ in range(n)]
    assert set(wrong_lit) == {confirm, pp.key} and 0.25 < wrong_lit.count(confirm) / n < 0.35
    unlit = [sorter.choose_for(pp, []) for _ in range(n)]
    assert 0.9 < unlit.count(pp.key) / n < 1.0
