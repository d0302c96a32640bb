"""The station's side of vision: what a confirmed press keeps for learning."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np

from config.vision import CaptureConfig
from core.contract import Suggestion
from edge.stations.camera import Camera
from edge.stations.vision_link import CameraVision
from edge.vision.answer import Prediction, Source
from edge.vision.capture import CaptureStore
from edge.vision.dataset import iter_samples
from edge.vision.suggester import Suggester
from tests.conftest import wait_until


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
