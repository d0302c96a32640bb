"""Training a site's classifier from its own confirmed captures.

    features   each image through the frozen backbone once; cached by image sha256 (see ``features.py``), so a
               retrain computes only the captures added since the last one
    split      per class, with ``seed``: ``holdout`` of the images to test, ``calibration`` of the rest to validation,
               the remainder to train; classes with fewer than ``MIN_PER_CLASS`` images are left out (and named)
    head       L2-regularised softmax regression on the train split (numpy, deterministic)
    calibrate  one temperature fitted on the validation split, which the head never saw; the test split is used for
               nothing but the reported figures (accuracy, ECE before and after calibration)
    compose    head and temperature appended to the backbone's ONNX graph: ``OUT/<stream>-classifier.onnx``, with
               its card next to it

The head is not refitted on train + validation afterwards: the temperature was fitted to this head's logits, and a
head fitted on more data would be more confident than the temperature assumes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from edge.vision.classifier.backbone import (
    DEFAULT_BACKBONE,
    FEATURE_SIZE,
    FEATURES,
    IMAGE,
    FeatureExtractor,
    Features,
)
from edge.vision.classifier.calibration import expected_calibration_error, fit_temperature, negative_log_likelihood
from edge.vision.classifier.compose import PROBABILITIES, append_head
from edge.vision.classifier.features import FeatureCache, default_cache_dir, image_sha256
from edge.vision.classifier.head import DEFAULT_L2, LinearHead, fit_head, stratified_split
from edge.vision.classifier.preprocess import preprocess_batch
from edge.vision.dataset import Sample, iter_samples
from edge.vision.model_files import ModelCard, SplitCounts, TensorSpec, TrainingInfo, write_card

logger = logging.getLogger(__name__)

# One image in train, validation and test each.
MIN_PER_CLASS = 3
# Images per backbone call: larger batches barely help on 2 threads and cost memory on a Pi.
BATCH_SIZE = 16
# Test images run through the finished ONNX file to check it against the numpy head.
_CHECK_IMAGES = 8
_CHECK_TOLERANCE = 1e-3


class TrainingError(Exception):
    """The data set cannot give a classifier (too few images or classes); the message says what is missing."""


@dataclass(frozen=True, slots=True)
class TrainResult:
    model_path: Path
    card: ModelCard
    head: LinearHead  # before temperature; the ONNX file computes head.probabilities(features, temperature)
    temperature: float
    counts: dict[str, SplitCounts]
    left_out: dict[str, int]  # classes with too few images, and how many they had
    test_accuracy: float
    ece_before: float
    ece_after: float
    images: int  # images used (after leaving out unreadable images and too-small classes)
    unreadable: int
    cache_hits: int
    feature_seconds: float
    fit_seconds: float  # head + temperature
    # The held-out test split, for comparing another model on exactly these captures (hub/fleet/training.py):
    # its samples, and this model's calibrated probabilities on them (rows in the order of ``head.classes``).
    test_samples: tuple[Sample, ...] = ()
    test_probabilities: npt.NDArray[np.float64] | None = None


def _read(path: Path) -> npt.NDArray[np.uint8] | None:
    frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if frame is None else np.asarray(frame, np.uint8)


def _features(
    samples: list[Sample], extractor: FeatureExtractor, cache: FeatureCache, console: Console | None
) -> tuple[list[Sample], Features, int]:
    """Features of every readable sample (cached or computed), the samples they belong to, and how many were not."""
    found: dict[int, Features] = {}
    pending: list[tuple[int, str, npt.NDArray[np.uint8]]] = []
    unreadable = 0

    def flush() -> None:
        vectors = extractor.extract([frame for _, _, frame in pending])
        for (index, key, _), vector in zip(pending, vectors, strict=True):
            cache.put(key, vector)
            found[index] = vector
        pending.clear()

    columns = (TextColumn("features"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=console is None, transient=True) as progress:
        task = progress.add_task("features", total=len(samples))
        for index, sample in enumerate(samples):
            key = image_sha256(sample.image)
            cached = cache.get(key)
            if cached is not None:
                found[index] = cached
            elif (frame := _read(sample.image)) is None:
                logger.warning("skipping %s: not a readable image", sample.image)
                unreadable += 1
            else:
                pending.append((index, key, frame))
                if len(pending) >= BATCH_SIZE:
                    flush()
            progress.advance(task)
        if pending:
            flush()
    order = sorted(found)
    stacked = np.stack([found[i] for i in order]) if order else np.zeros((0, FEATURE_SIZE), np.float32)
    return [samples[i] for i in order], stacked, unreadable


def _write_model(
    model_path: Path,
    head: LinearHead,
    temperature: float,
    extractor: FeatureExtractor,
    *,
    backbone: Path,
    frames: list[npt.NDArray[np.uint8]],
    check_features: Features,
    doc: str,
) -> float:
    """Backbone + head to ``model_path``, checked on ``frames`` against the numpy head; returns the largest
    difference in probability."""
    import onnxruntime as ort

    model_path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the final name, then renamed: a station never opens half a file (it may briefly see the new
    # file with the old card, which the sha256 check refuses, and it keeps weighing without suggestions).
    partial = model_path.with_name(f".{model_path.name}.partial")
    weights, bias = head.folded(temperature)
    append_head(backbone, partial, weights, bias, classes=head.classes, doc=doc)
    if not frames:  # every test image vanished since its features were cached: nothing to check on
        partial.replace(model_path)
        return 0.0
    expected = head.probabilities(check_features, temperature)
    session = ort.InferenceSession(str(partial), providers=["CPUExecutionProvider"])
    got = session.run([PROBABILITIES], {IMAGE: preprocess_batch(frames, extractor.card.preprocessing)})[0]
    diff = float(np.abs(got - expected).max())
    if diff > _CHECK_TOLERANCE or not np.array_equal(got.argmax(1), expected.argmax(1)):
        partial.unlink()
        raise TrainingError(f"{model_path} would disagree with the numpy head by {diff:.2e}: not written")
    partial.replace(model_path)
    return diff


def _card(
    backbone: ModelCard,
    *,
    name: str,
    version: str,
    created: datetime,
    classes: tuple[str, ...],
    training: TrainingInfo,
    metrics: dict[str, float],
    notes: str,
) -> ModelCard:
    images = sum(c.train + c.val + c.test for c in training.counts.values())
    return ModelCard(
        name=name,
        version=version,
        kind="classifier",
        created=created,
        sha256="0" * 64,  # write_card puts the file's own
        inputs=backbone.inputs,
        outputs=(
            TensorSpec(
                name=PROBABILITIES,
                shape=("batch", len(classes)),
                meaning="calibrated class probabilities, in the order of `classes`",
            ),
            TensorSpec(name=FEATURES, shape=("batch", FEATURE_SIZE), meaning="the backbone's features"),
        ),
        preprocessing=backbone.preprocessing,
        classes=classes,
        training=training,
        metrics=metrics,
        source=(
            f"linear softmax head trained by edge.vision.classifier.train on {images} confirmed captures of stream "
            f"{training.stream!r}, appended to the backbone {backbone.name} {backbone.version} "
            f"(sha256 {backbone.sha256})"
        ),
        licence=f"head: trained on this site's own captures. Backbone: {backbone.licence}",
        notes=notes,
    )


def train(
    dataset_dir: Path,
    out_dir: Path,
    *,
    stream: str,
    seed: int = 0,
    holdout: float = 0.2,
    calibration: float = 0.2,
    l2: float = DEFAULT_L2,
    backbone: Path = DEFAULT_BACKBONE,
    cache_dir: Path | None = None,
    disk_cache: bool = True,
    threads: int = 2,
    version: str | None = None,
    console: Console | None = None,
) -> TrainResult:
    """Train ``OUT/<stream>-classifier.onnx`` (+ card) from the captures of ``stream`` under ``dataset_dir``.

    ``cache_dir`` defaults to ``DATASET/.features/<backbone sha256[:16]>``; ``disk_cache=False`` keeps features in
    memory only. ``console`` shows a progress bar (None: no bar). Raises :class:`TrainingError` when the data cannot
    give a classifier, and :class:`~edge.vision.model_files.ModelFileError` for an unusable backbone.
    """
    if not 0 < holdout < 1 or not 0 < calibration < 1:
        raise ValueError(f"holdout ({holdout}) and calibration ({calibration}) are shares between 0 and 1")
    started = time.perf_counter()
    extractor = FeatureExtractor(backbone, threads=threads)
    folder = (cache_dir or default_cache_dir(dataset_dir, extractor.card.sha256)) if disk_cache else None
    cache = FeatureCache(folder)
    samples = list(iter_samples(dataset_dir, stream))
    if not samples:
        raise TrainingError(f"no captures of stream {stream!r} under {dataset_dir}")
    samples, features, unreadable = _features(samples, extractor, cache, console)
    feature_seconds = time.perf_counter() - started

    names = [s.meta.label for s in samples]
    sizes = {label: names.count(label) for label in sorted(set(names))}
    left_out = {label: n for label, n in sizes.items() if n < MIN_PER_CLASS}
    if left_out:
        logger.warning("leaving out classes with fewer than %d images: %s", MIN_PER_CLASS, left_out)
    classes = tuple(label for label in sizes if label not in left_out)
    if len(classes) < 2:
        raise TrainingError(
            f"stream {stream!r} under {dataset_dir} has {len(classes)} class(es) with at least {MIN_PER_CLASS} "
            f"images (images per class: {sizes}); a classifier needs two"
        )
    keep = np.array([name in classes for name in names])
    samples = [s for s, k in zip(samples, keep, strict=True) if k]
    features = features[keep]
    labels = np.array([classes.index(s.meta.label) for s in samples], dtype=np.int64)

    fit_started = time.perf_counter()
    train_idx, val_idx, test_idx = stratified_split(labels, test=holdout, val=calibration, seed=seed)
    head = fit_head(features[train_idx], labels[train_idx], classes, l2=l2)
    temperature = fit_temperature(head.logits(features[val_idx]), labels[val_idx])
    fit_seconds = time.perf_counter() - fit_started

    test_logits = head.logits(features[test_idx])
    before = head.probabilities(features[test_idx])
    after = head.probabilities(features[test_idx], temperature)
    test_accuracy = float(np.mean(after.argmax(1) == labels[test_idx]))
    ece_before = expected_calibration_error(before, labels[test_idx])
    ece_after = expected_calibration_error(after, labels[test_idx])
    counts = {
        label: SplitCounts(
            train=int(np.sum(labels[train_idx] == c)),
            val=int(np.sum(labels[val_idx] == c)),
            test=int(np.sum(labels[test_idx] == c)),
        )
        for c, label in enumerate(classes)
    }

    created = datetime.now(UTC)
    name = f"{stream}-classifier"
    model_path = out_dir / f"{name}.onnx"
    check = [(int(i), frame) for i in test_idx[:_CHECK_IMAGES] if (frame := _read(samples[i].image)) is not None]
    onnx_diff = _write_model(
        model_path,
        head,
        temperature,
        extractor,
        backbone=backbone,
        frames=[frame for _, frame in check],
        check_features=features[[i for i, _ in check]],
        doc=f"{name} trained {created.isoformat()}",
    )

    card = write_card(
        model_path,
        _card(
            extractor.card,
            name=name,
            version=version or created.strftime("%Y%m%d-%H%M%S"),
            created=created,
            classes=classes,
            training=TrainingInfo(
                dataset=str(dataset_dir),
                stream=stream,
                seed=seed,
                counts=counts,
                settings={
                    "holdout": holdout,
                    "calibration": calibration,
                    "l2": l2,
                    "temperature": temperature,
                    "backbone": f"{extractor.card.name} {extractor.card.version}",
                    "backbone_sha256": extractor.card.sha256,
                },
            ),
            metrics={
                "test_accuracy": test_accuracy,
                "ece_before_calibration": ece_before,
                "ece_after_calibration": ece_after,
                "test_nll_before_calibration": negative_log_likelihood(test_logits, labels[test_idx]),
                "test_nll_after_calibration": negative_log_likelihood(test_logits, labels[test_idx], temperature),
                "onnx_vs_numpy_max_abs_diff": onnx_diff,
            },
            notes=(
                f"test split: {len(test_idx)} images, {100 * holdout:.0f}% of each class; figures on few test images "
                "are rough. Temperature fitted on the validation split only."
                + (f" Left out (fewer than {MIN_PER_CLASS} images): {left_out}." if left_out else "")
            ),
        ),
    )
    logger.info(
        "trained %s on %d images: test accuracy %.3f, ECE %.3f -> %.3f (T=%.2f)",
        model_path,
        len(samples),
        test_accuracy,
        ece_before,
        ece_after,
        temperature,
    )
    return TrainResult(
        model_path=model_path,
        card=card,
        head=head,
        temperature=temperature,
        counts=counts,
        left_out=left_out,
        test_accuracy=test_accuracy,
        ece_before=ece_before,
        ece_after=ece_after,
        images=len(samples),
        unreadable=unreadable,
        cache_hits=cache.hits,
        feature_seconds=feature_seconds,
        fit_seconds=fit_seconds,
        test_samples=tuple(samples[i] for i in test_idx),
        test_probabilities=after,
    )
