"""Evaluating a trained classifier file on a labelled folder, abstaining below a confidence threshold."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import Progress

from edge.vision.classifier.inference import ImageClassifier
from edge.vision.dataset import iter_samples
from edge.vision.evaluation import Metrics

logger = logging.getLogger(__name__)

_BATCH_SIZE = 16


def evaluate(
    model_path: Path,
    dataset_dir: Path,
    threshold: float,
    *,
    stream: str | None = None,
    console: Console | None = None,
) -> Metrics:
    """Figures for ``model_path`` on the captures under ``dataset_dir``; no suggestion when the top probability is
    below ``threshold``.

    ``stream`` defaults to the stream in the model's card. Use captures the model was not trained on: on its own
    training folder the figures flatter it. Unreadable images are skipped (and logged).
    """
    classifier = ImageClassifier(model_path)
    training = classifier.card.training
    wanted = stream if stream is not None else (training.stream if training else None)
    samples = list(iter_samples(dataset_dir, wanted))
    pairs: list[tuple[str, str | None]] = []
    batch: list[tuple[str, npt.NDArray[np.uint8]]] = []

    def flush() -> None:
        candidates, _ = classifier.predict_batch_with_features([frame for _, frame in batch])
        for (truth, _), ranked in zip(batch, candidates, strict=True):
            top = ranked[0]
            pairs.append((truth, top.label if top.confidence >= threshold else None))
        batch.clear()

    with Progress(console=console, disable=console is None, transient=True) as progress:
        task = progress.add_task("evaluating", total=len(samples))
        for sample in samples:
            frame = cv2.imread(str(sample.image), cv2.IMREAD_COLOR)
            if frame is None:
                logger.warning("skipping %s: not a readable image", sample.image)
            else:
                batch.append((sample.meta.label, np.asarray(frame, np.uint8)))
                if len(batch) >= _BATCH_SIZE:
                    flush()
            progress.advance(task)
        if batch:
            flush()
    return Metrics.from_pairs(pairs)
