"""Training at the hub: a site's new classifier, and whether it may be offered for rollout (docs/fleet.md,
"Training at the hub").

:func:`train_site_model` trains exactly as ``sortcentre vision train`` does (``edge.vision.classifier.train``: the
same per-class held-out split, temperature calibration and model card), then runs the model the stations run now on
the SAME held-out captures and compares the two at the stream's threshold:

    precision   of the items that got a suggestion (top confidence >= threshold), the share that was right
    coverage    the share of items that got a suggestion at all

The rule (:func:`compare`): a new model is offered when there is no current model, or when its held-out precision
at the threshold is at least the current one's; it is not offered when it is lower, or when it suggests nothing at
all on the held-out split (a precision of no suggestions says nothing). Coverage is reported beside it and does not
decide: a model that abstains more but is right more often is the safer one to put in front of sorters.

The comparison goes into the new model's card as metrics (numbers) and a sentence in its notes, so the card keeps
the schema every station already reads.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from rich.console import Console

from edge.vision.classifier import ImageClassifier, TrainResult, train
from edge.vision.dataset import Sample
from edge.vision.evaluation import Metrics
from edge.vision.model_bundle import BUNDLE_SUFFIX, unpack_bundle
from edge.vision.model_files import write_card

logger = logging.getLogger(__name__)

# Held-out frames per call of the current model: the same batch size as training's feature pass.
_BATCH_SIZE = 16


@dataclass(frozen=True, slots=True)
class HeldOut:
    """A model's figures on the held-out split at one threshold."""

    items: int
    suggested: int
    correct: int

    @property
    def precision(self) -> float | None:
        """None when it suggested nothing: there is no precision to compare."""
        return self.correct / self.suggested if self.suggested else None

    @property
    def coverage(self) -> float:
        return self.suggested / self.items if self.items else 0.0

    @classmethod
    def from_metrics(cls, metrics: Metrics) -> HeldOut:
        return cls(metrics.total, metrics.suggested, metrics.correct)

    def describe(self) -> str:
        precision = "-" if self.precision is None else f"{self.precision:.3f}"
        return f"precision {precision} ({self.correct}/{self.suggested}), coverage {self.coverage:.3f}"


@dataclass(frozen=True, slots=True)
class TrainingResult:
    model_path: Path
    version: str  # as the stations report it in events: NAME@VERSION
    threshold: float
    held_out: int  # captures in the held-out split
    new: HeldOut
    current_version: str | None  # None: no model runs now
    current: HeldOut | None
    offerable: bool
    reason: str
    trained: TrainResult

    def as_dict(self) -> dict[str, object]:
        """For the API and logs."""

        def figures(h: HeldOut | None) -> dict[str, object] | None:
            if h is None:
                return None
            return {"items": h.items, "suggested": h.suggested, "precision": h.precision, "coverage": h.coverage}

        return {
            "model_path": str(self.model_path),
            "version": self.version,
            "threshold": self.threshold,
            "held_out": self.held_out,
            "new": figures(self.new),
            "current_version": self.current_version,
            "current": figures(self.current),
            "offerable": self.offerable,
            "reason": self.reason,
            "images": self.trained.images,
            "test_accuracy": self.trained.test_accuracy,
        }


def compare(
    new: HeldOut, current: HeldOut | None, *, threshold: float, current_version: str | None
) -> tuple[bool, str]:
    """(offerable, reason): the rule in the module docstring, with the figures it compared."""
    at = f"at threshold {threshold:.2f} on {new.items} held-out captures"
    if new.precision is None:
        return False, f"not offered: the new model suggests nothing {at}"
    if current is None:
        return True, f"offered: first model for this stream; {new.describe()} {at}"
    name = current_version or "the current model"
    versus = f"new {new.describe()} vs {name} {current.describe()} {at}"
    if current.precision is not None and new.precision < current.precision:
        return False, f"not offered: held-out precision below the current model's: {versus}"
    return True, f"offered: held-out precision at least the current model's: {versus}"


def figures_of_probabilities(
    probabilities: npt.NDArray[np.float64], classes: tuple[str, ...], truths: list[str], threshold: float
) -> HeldOut:
    best = probabilities.argmax(axis=1)
    pairs = [
        (truth, classes[int(i)] if float(p[i]) >= threshold else None)
        for truth, i, p in zip(truths, best, probabilities, strict=True)
    ]
    return HeldOut.from_metrics(Metrics.from_pairs(pairs))


def figures_of_model(classifier: ImageClassifier, samples: tuple[Sample, ...], threshold: float) -> HeldOut:
    """``classifier`` on ``samples`` (their confirmed labels are the truth); an unreadable image counts as an item
    without a suggestion, so both models are measured on the same number of items."""
    pairs: list[tuple[str, str | None]] = []
    for start in range(0, len(samples), _BATCH_SIZE):
        batch = samples[start : start + _BATCH_SIZE]
        frames, truths = [], []
        for sample in batch:
            frame = cv2.imread(str(sample.image), cv2.IMREAD_COLOR)
            if frame is None:
                logger.warning("held-out capture %s is no longer readable: counted without a suggestion", sample.image)
                pairs.append((sample.meta.label, None))
            else:
                frames.append(np.asarray(frame, np.uint8))
                truths.append(sample.meta.label)
        if frames:
            candidates, _ = classifier.predict_batch_with_features(frames)
            for truth, ranked in zip(truths, candidates, strict=True):
                top = ranked[0]
                pairs.append((truth, top.label if top.confidence >= threshold else None))
    return HeldOut.from_metrics(Metrics.from_pairs(pairs))


def _open_current(path: Path, scratch: Path) -> ImageClassifier:
    """A model file (with its card beside it) or a bundle as the hub's model store keeps it."""
    if path.name.endswith(BUNDLE_SUFFIX):
        path = unpack_bundle(path, scratch)
    return ImageClassifier(path)


def train_site_model(
    dataset_dir: Path,
    stream: str,
    out_dir: Path,
    *,
    current_model: Path | None,
    seed: int = 0,
    threshold: float = 0.9,
    site: str | None = None,
    holdout: float = 0.2,
    version: str | None = None,
    console: Console | None = None,
) -> TrainingResult:
    """Train ``OUT/<stream>-classifier.onnx`` from ``dataset_dir`` (one site's captures: STREAM/LABEL/ID.jpg) and
    compare it with ``current_model`` (a model file or bundle; None: no model runs now) on the same held-out split
    at ``threshold`` (the stream's threshold, ``VisionConfig.thresholds``).

    Raises what ``train`` raises (TrainingError, ModelFileError); a current model that cannot be opened raises
    ModelFileError or BundleError: a comparison against nothing would offer any model.
    """
    if version is None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        version = f"{site}-{stamp}" if site else stamp
    trained = train(dataset_dir, out_dir, stream=stream, seed=seed, holdout=holdout, version=version, console=console)
    assert trained.test_probabilities is not None
    samples = trained.test_samples
    truths = [s.meta.label for s in samples]
    new = figures_of_probabilities(trained.test_probabilities, trained.head.classes, truths, threshold)
    current: HeldOut | None = None
    current_version: str | None = None
    if current_model is not None:
        with tempfile.TemporaryDirectory(prefix="current-model-") as scratch:
            classifier = _open_current(current_model, Path(scratch))
            current_version = classifier.model_version
            current = figures_of_model(classifier, samples, threshold)
    offerable, reason = compare(new, current, threshold=threshold, current_version=current_version)
    card = trained.card
    metrics = {
        **card.metrics,
        "heldout_threshold": threshold,
        "heldout_items": float(len(samples)),
        "heldout_coverage_at_threshold": new.coverage,
        "offerable": 1.0 if offerable else 0.0,
    }
    if new.precision is not None:
        metrics["heldout_precision_at_threshold"] = new.precision
    if current is not None:
        metrics["current_heldout_coverage_at_threshold"] = current.coverage
        if current.precision is not None:
            metrics["current_heldout_precision_at_threshold"] = current.precision
    notes = f"{card.notes} Rollout check: {reason}."
    sealed = write_card(trained.model_path, card.model_copy(update={"metrics": metrics, "notes": notes}))
    trained = replace(trained, card=sealed)
    result = TrainingResult(
        model_path=trained.model_path,
        version=f"{sealed.name}@{sealed.version}",
        threshold=threshold,
        held_out=len(samples),
        new=new,
        current_version=current_version,
        current=current,
        offerable=offerable,
        reason=reason,
        trained=trained,
    )
    if offerable:
        logger.info("trained %s: %s", result.version, reason)
    else:
        logger.warning("trained %s, which will not be offered for rollout: %s", result.version, reason)
    return result
