"""The vision link swaps a new classifier in between items, never while one is on the plate."""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from config.vision import VisionConfig
from core.contract import Suggestion
from edge.stations.vision_link import CameraVision
from edge.vision.answer import Candidate
from edge.vision.suggester import Suggester
from tests.conftest import wait_until


class StillCamera:
    def __init__(self) -> None:
        self.frame = np.zeros((48, 64, 3), np.uint8)

    def latest(self, max_age_s: float) -> npt.NDArray[np.uint8]:
        return self.frame


class Classifier:
    """Always says "pp" with this version."""

    def __init__(self, version: str) -> None:
        self.model_version = version

    def predict(self, frame_bgr: npt.NDArray[np.uint8]) -> list[Candidate]:
        return [Candidate("pp", 0.99), Candidate("pet", 0.01)]


def vision_with(classifier: Classifier) -> CameraVision:
    suggester = Suggester(VisionConfig(read_markings=False), ["pp", "pet"])
    suggester.use_classifier(classifier)
    return CameraVision(
        suggester,
        StillCamera(),  # type: ignore[arg-type]
        "plastic",
        "zwolle",
        "zwolle-plastic-1",
        frame_delay_s=0,
        max_frame_age_s=1,
    )


def suggestion(vision: CameraVision) -> Suggestion | None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, wire = vision.poll()
        if done:
            return wire
        time.sleep(0.01)
    raise AssertionError("no suggestion")


def test_a_classifier_offered_during_an_item_is_swapped_in_after_it() -> None:
    vision = vision_with(Classifier("m@1"))
    try:
        vision.begin()
        first = suggestion(vision)
        vision.use_classifier(Classifier("m@2"))  # the item is still on the plate
        assert suggestion(vision) == first  # and its suggestion stays what it was
        vision.learn("pp", first, True)
        vision.begin()
        second = suggestion(vision)
        assert first is not None and first.model_version == "m@1"
        assert second is not None and second.model_version == "m@2"
    finally:
        vision.close()


def test_a_classifier_offered_between_items_is_used_for_the_next_one() -> None:
    vision = vision_with(Classifier("m@1"))
    try:
        vision.use_classifier(Classifier("m@2"))
        vision.begin()
        got = suggestion(vision)
        assert got is not None and got.model_version == "m@2"
        vision.cancel()
        vision.use_classifier(Classifier("m@3"))
        vision.begin()
        assert wait_until(lambda: (s := suggestion(vision)) is not None and s.model_version == "m@3", timeout=5)
    finally:
        vision.close()
