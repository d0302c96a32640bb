"""The side lights on gpiozero's simulated pins: one frame per light, in order, each light on only for its frame; a
light that cannot be claimed or fails while switching is reported and the item is read from the single frame."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from gpiozero import LED  # type: ignore[import-untyped]
from gpiozero.pins.mock import MockFactory, MockPin  # type: ignore[import-untyped]

from config.vision import LightConfig, SimulatedLightsConfig, VisionConfig
from edge.stations.camera import Camera, Frame
from edge.stations.devices import DeviceAlarms
from edge.stations.lights import Lights, open_lights
from edge.stations.vision_link import CameraVision
from edge.vision.answer import Answer, NoSuggestion
from edge.vision.lighting import LitFrame
from edge.vision.suggester import LitFrames, Suggester
from tests.conftest import wait_until

PINS = (17, 27, 22)
AZIMUTHS = (0.0, 120.0, 240.0)


def leds() -> tuple[LightConfig, ...]:
    return tuple(LightConfig(pin=p, azimuth_deg=a, settle_ms=1) for p, a in zip(PINS, AZIMUTHS, strict=True))


class LitCamera:
    """A camera whose frame shows which lights are on right now: grey level 10 x (1 + index of the light on), 0 in
    the dark; it remembers the lights that were on for every frame it gave."""

    def __init__(self, factory: MockFactory) -> None:
        self._factory = factory
        self.seen: list[tuple[int, ...]] = []

    def _on(self) -> tuple[int, ...]:
        return tuple(pin for pin in PINS if self._factory.pin(pin).state)

    def _frame(self) -> Frame:
        on = self._on()
        self.seen.append(on)
        level = 10 * (1 + PINS.index(on[0])) if len(on) == 1 else 0
        return np.full((24, 32, 3), level, np.uint8)

    def latest(self, _max_age_s: float) -> Frame:
        return self._frame()

    def latest_after(self, _since: float) -> Frame:
        return self._frame()


Asked = list[LitFrame] | None


class RecordingSuggester:
    def __init__(self, asked: list[Asked]) -> None:
        self.problems: list[str] = []
        self._asked = asked

    def suggest(self, _frame: Any, _stream: str, lit: LitFrames | None = None) -> Answer:
        if lit is not None:
            frames = lit()
            self._asked.append(list(frames) if frames is not None else None)
        return NoSuggestion("nothing read")


def test_one_frame_per_light_in_order_each_light_on_only_for_its_frame() -> None:
    factory = MockFactory()
    lights = Lights(leds(), pin_factory=factory)
    camera = LitCamera(factory)
    try:
        frames = lights.capture(camera)
        assert frames is not None
        assert [f.azimuth_deg for f in frames] == list(AZIMUTHS)
        assert [int(f.frame[0, 0, 0]) for f in frames] == [10, 20, 30]
        assert camera.seen == [(17,), (27,), (22,)]  # exactly one light on for each frame
        for pin in PINS:
            factory.pin(pin).assert_states([False, True, False])  # on for its frame, then off again
        assert lights.problem is None
    finally:
        lights.close()


def test_the_simulated_driver_runs_on_mock_pins_without_hardware() -> None:
    lights = open_lights(SimulatedLightsConfig(driver="simulated", leds=leds()))
    assert lights is not None and lights.usable and lights.kind == "simulated"
    lights.close()
    assert open_lights(VisionConfig().lights) is None  # no leds: no lights, today's single frame


def test_a_pin_taken_by_another_program_is_reported_and_no_light_is_used() -> None:
    factory = MockFactory()
    other = LED(27, pin_factory=factory)  # another program holds BCM 27
    lights = Lights(leds(), pin_factory=factory)
    try:
        assert not lights.usable
        problem = lights.problem
        assert problem is not None and problem.kind == "absent"
        assert "27" in problem.reason and "GPIOPinInUse" in problem.reason
        assert lights.capture(LitCamera(factory)) is None
        assert not factory.pin(17).state  # the pins it had claimed were given back, and left dark
    finally:
        lights.close()
        other.close()


class BrokenPin(MockPin):  # type: ignore[misc]
    """A pin whose output fails when driven high (a shorted MOSFET gate, a dead GPIO line)."""

    @property
    def state(self) -> bool:
        return False

    @state.setter
    def state(self, value: bool) -> None:
        if value:
            raise OSError("GPIO line 27: input/output error")


def test_a_light_failing_while_switching_is_reported_and_the_item_is_read_from_the_single_frame() -> None:
    factory = MockFactory()
    factory.pin(27, pin_class=BrokenPin)
    lights = Lights(leds(), pin_factory=factory)
    camera = LitCamera(factory)
    assert lights.usable
    assert lights.capture(camera) is None
    problem = lights.problem
    assert problem is not None and problem.kind == "fault"
    assert "BCM pin 27" in problem.reason and "input/output error" in problem.reason
    assert not any(factory.pin(pin).state for pin in (17, 22))  # nothing left burning
    alarms = DeviceAlarms()
    alarms.update("lights", problem)
    assert alarms.codes() == ["lights_fault"]  # in the heartbeat and on the dashboard

    asked: list[Asked] = []
    suggester = RecordingSuggester(asked)
    vision = CameraVision(
        cast(Suggester, suggester),
        cast(Camera, camera),
        "plastic",
        "zwolle",
        "zwolle-plastic-1",
        frame_delay_s=0,
        max_frame_age_s=1,
        lights=lights,
    )
    try:
        vision.begin()
        assert wait_until(lambda: vision.poll()[0], timeout=5, interval=0.01)
        assert asked == [None]  # the reader was told the lights gave nothing: it keeps the single frame's answer
    finally:
        vision.close()


def test_the_station_reads_the_ambient_frame_in_the_dark_then_one_frame_per_light() -> None:
    factory = MockFactory()
    lights = Lights(leds(), pin_factory=factory)
    camera = LitCamera(factory)
    asked: list[Asked] = []
    vision = CameraVision(
        cast(Suggester, RecordingSuggester(asked)),
        cast(Camera, camera),
        "plastic",
        "zwolle",
        "zwolle-plastic-1",
        frame_delay_s=0,
        max_frame_age_s=1,
        lights=lights,
    )
    try:
        for _item in range(2):
            vision.begin()
            assert wait_until(lambda: vision.poll()[0], timeout=5, interval=0.01)
            vision.cancel()
        assert camera.seen == [(), (17,), (27,), (22,)] * 2  # ambient in the dark, then each light alone
        assert [[int(f.frame[0, 0, 0]) for f in frames or []] for frames in asked] == [[10, 20, 30]] * 2
    finally:
        vision.close()
    assert lights.problem is None and lights.captures == 2
    assert not any(factory.pin(pin).state for pin in PINS)
