"""The station's side of vision: what a confirmed press keeps for learning, and a new classifier swapped in
between items, never while one is on the plate."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt

from config.vision import CaptureConfig, VisionConfig
from core.contract import Suggestion
from edge.stations.camera import Camera
from edge.stations.vision_link import CameraVision
from edge.vision.answer import Candidate, Prediction, Source
from edge.vision.capture import CaptureStore
from edge.vision.dataset import iter_samples
from edge.vision.suggester import Suggester
from tests.conftest import wait_until

FEATURES = np.zeros(4, np.float32)


class StillCamera:
    def latest(self, _max_age_s: float) -> np.ndarray:
        return np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)


class ClassifyingSuggester:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def suggest(self, _frame: object, _stream: str) -> Prediction:
        return Prediction("pp", 0.95, Source.CLASSIFIER, "plastic-1@1", features=(0.5, -1.25))


def test_a_confirmed_press_keeps_the_crop_label_and_the_classifiers_features(tmp_path: Path) -> None:
    store = CaptureStore(CaptureConfig(enabled=True, folder=tmp_path, plate_roi=(0, 0, 32, 24)))
    vision = CameraVision(
        cast(Suggester, ClassifyingSuggester()),
        cast(Camera, StillCamera()),
        "plastic",
        "zwolle",
        "zwolle-plastic-1",
        frame_delay_s=0,
        max_frame_age_s=1,
        capture=store,
    )
    try:
        vision.begin()
        assert wait_until(lambda: vision.poll()[0], timeout=5, interval=0.01)
        vision.learn("pp", Suggestion(label="pp", confidence=0.95, model_version="plastic-1@1"), True)
        assert wait_until(lambda: store.counters.stored == 1, timeout=5, interval=0.01)
    finally:
        vision.close()
    (sample,) = iter_samples(tmp_path)
    assert (sample.meta.label, sample.meta.suggested, sample.meta.accepted) == ("pp", "pp", True)
    assert sample.meta.features == (0.5, -1.25)
    assert sample.meta.captured_at is not None and sample.meta.captured_at <= datetime.now(UTC)


class Classifier:
    """Always says "pp" with this version."""

    def __init__(self, version: str) -> None:
        self.model_version = version

    def predict_with_features(
        self, frame_bgr: npt.NDArray[np.uint8]
    ) -> tuple[list[Candidate], npt.NDArray[np.float32]]:
        return [Candidate("pp", 0.99), Candidate("pet", 0.01)], FEATURES


def vision_with(classifier: Classifier) -> CameraVision:
    suggester = Suggester(VisionConfig(read_markings=False), ["pp", "pet"])
    suggester.use_classifier(classifier)
    return CameraVision(
        suggester,
        cast(Camera, StillCamera()),
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
