"""The frozen feature backbone: EfficientNet-Lite0 pretrained on ImageNet, 1280 pooled features per image.

The ONNX file comes from ``scripts/export_backbone.py`` (a one-off export with torch); at run time only onnxruntime is
needed. A trained classifier file is this graph with a linear head appended, so it has the same input and still gives
the features as a second output.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt

from core.package_data import data_path
from edge.vision.classifier.preprocess import preprocess_batch
from edge.vision.model_files import ModelFileError, load_model

logger = logging.getLogger(__name__)

BACKBONE_NAME = "efficientnet-lite0-features"
# Package data (edge/vision/weights), so an installed wheel trains as a checkout does.
DEFAULT_BACKBONE = data_path("edge.vision.weights", f"{BACKBONE_NAME}.onnx")
IMAGE = "image"  # input: (batch, 3, 224, 224) float32, RGB in [-1, 1]
FEATURES = "features"  # output: (batch, 1280) float32
FEATURE_SIZE = 1280

Features = npt.NDArray[np.float32]


class FeatureExtractor:
    """Runs the backbone on BGR frames; :meth:`extract` batches them."""

    def __init__(self, path: Path = DEFAULT_BACKBONE, *, threads: int = 2) -> None:
        self.session, self.card = load_model(path, threads=threads)
        names = [o.name for o in self.session.get_outputs()]
        if FEATURES not in names:
            raise ModelFileError(f"model file {path} has no '{FEATURES}' output (outputs: {names})")

    def extract(self, frames_bgr: list[npt.NDArray[np.uint8]]) -> Features:
        """(N, 1280) features for N frames."""
        if not frames_bgr:
            return np.zeros((0, FEATURE_SIZE), np.float32)
        batch = preprocess_batch(frames_bgr, self.card.preprocessing)
        out = self.session.run([FEATURES], {IMAGE: batch})[0]
        return np.asarray(out, dtype=np.float32)
