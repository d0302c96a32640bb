"""Running a trained classifier file on camera frames: all classes with calibrated probabilities, best first."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge.vision.answer import Candidate
from edge.vision.classifier.backbone import FEATURES, IMAGE, Features
from edge.vision.classifier.compose import PROBABILITIES
from edge.vision.classifier.preprocess import preprocess_batch
from edge.vision.model_files import DEFAULT_THREADS, ModelFileError, load_model

logger = logging.getLogger(__name__)


class ImageClassifier:
    """A ``<stream>-classifier.onnx`` file opened through :func:`load_model`; raises ModelFileError if unusable.

    onnxruntime sessions allow concurrent ``run`` calls, so one instance may serve several threads. Each call is
    blocking CPU work (tens of milliseconds on a Pi): call it from a worker thread, never from async code.
    """

    def __init__(self, path: Path, *, threads: int = DEFAULT_THREADS) -> None:
        self.path = path
        self.session, self.card = load_model(path, threads=threads)
        if self.card.kind != "classifier":
            raise ModelFileError(f"model file {path} is a {self.card.kind}, not a classifier")
        outputs = {o.name: o.shape for o in self.session.get_outputs()}
        if PROBABILITIES not in outputs or outputs[PROBABILITIES][-1] != len(self.card.classes):
            raise ModelFileError(
                f"model file {path} does not give {len(self.card.classes)} probabilities as its card's classes "
                f"say (outputs: {outputs})"
            )
        self._outputs = [PROBABILITIES, *([FEATURES] if FEATURES in outputs else [])]

    @property
    def classes(self) -> tuple[str, ...]:
        return self.card.classes

    @property
    def model_version(self) -> str:
        """What a Prediction carries: ``NAME@VERSION``."""
        return f"{self.card.name}@{self.card.version}"

    def _candidates(self, probabilities: npt.NDArray[np.float32]) -> list[Candidate]:
        order = np.argsort(-probabilities, kind="stable")
        return [Candidate(self.card.classes[i], float(probabilities[i])) for i in order]

    def predict_batch_with_features(
        self, frames_bgr: list[npt.NDArray[np.uint8]]
    ) -> tuple[list[list[Candidate]], Features]:
        """Candidates for each frame, and the backbone features (to store beside a confirmed capture)."""
        batch = preprocess_batch(frames_bgr, self.card.preprocessing)
        results = self.session.run(self._outputs, {IMAGE: batch})
        features = (
            np.asarray(results[1], np.float32) if len(results) > 1 else np.zeros((len(frames_bgr), 0), np.float32)
        )
        return [self._candidates(p) for p in results[0]], features

    def predict_with_features(self, frame_bgr: npt.NDArray[np.uint8]) -> tuple[list[Candidate], Features]:
        candidates, features = self.predict_batch_with_features([frame_bgr])
        return candidates[0], features[0]

    def predict(self, frame_bgr: npt.NDArray[np.uint8]) -> list[Candidate]:
        """Every class with its calibrated probability, most likely first."""
        return self.predict_batch_with_features([frame_bgr])[0][0]
