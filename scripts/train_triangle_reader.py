"""Train the triangle reader's digit recogniser (edge/vision/weights/resin-digit.onnx) on rendered triangles.

    PYTHONPATH=$PWD .venv/bin/python scripts/train_triangle_reader.py [--frames 1600] [--seed 16016]

Renders triangles with ``scripts/render_triangle_training.py`` (tuning fonts only), cuts the digit crop of every
apex-up view that ``resin_triangle.upright_views`` finds (the crops the reader will see), labels the view that is
truly upright with its digit and the two wrong turns "none", adds crops of places that are no triangle, and trains
two dense layers on the crops' gradient histograms with numpy (Adam). Rendering and cutting take most of the time
(about 5 minutes for 1600 frames on a loaded 2-core machine), training under a minute. The frames are split by
frame: 80 % train, 10 % validation (temperature scaling and the decision thresholds), 10 % test (the figures in
the card). Writes the ONNX file (Gemm, Relu, Gemm, scaled Softmax) and its card with the sha256.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from edge.vision.classifier.calibration import expected_calibration_error, fit_temperature
from edge.vision.model_files import ModelCard, Preprocessing, SplitCounts, TensorSpec, TrainingInfo, write_card
from edge.vision.resin_triangle import WINDOW, UprightTriangle, triangle_candidates, upright_views
from edge.vision.triangle_reader import ALONE_METRIC, CLASSES, FEATURES, MODEL_NAME, best_digit, view_features
from scripts import small_mlp
from scripts.render_triangle_training import DEFAULT_SEED, render_frame
from scripts.small_mlp import MlpSettings, logits_of, softmax

# Input dropout: a few pixels lost is what dirt and glare do.
SETTINGS = MlpSettings(
    hidden=128,
    epochs=int(os.environ.get("TRIANGLE_EPOCHS", "25")),
    batch=256,
    learning_rate=2e-3,
    weight_decay=1e-3,
    input_dropout=0.1,
)
TARGET_PRECISION = 0.99
# The recogniser answers alone from the lowest of these confidences at which, on the validation split, it is right on
# at least ALONE_PRECISION of what it answers (triangles and places that are no triangle together, with the reader's
# own rule that the other two views read no digit), answering on at least ALONE_MIN_ANSWERS triangles there.
ALONE_THRESHOLDS = (0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999)
ALONE_PRECISION = 0.995
ALONE_MIN_ANSWERS = 30
# ... and then one step further up the grid: the views the reader cuts in a whole frame are not quite those of the
# splits (end-to-end on the tuning-validation frames, the lowest passing threshold, 0.9, let a 3 answer as a 5 at 0.92).
ALONE_MARGIN_STEPS = 1


# Frames more on grained, matte surfaces (render_frame(..., matte=True)), split as the plain ones are.
MATTE_FRAMES = 600
MATTE_SEED = 16216
Frames = list[tuple[int, list[np.ndarray], list[int]]]


def split_frames(*parts: Frames) -> dict[str, Frames]:
    """Each part split by frame, in the order rendered, 80 % train, 10 % validation, 10 % test; the parts' splits
    joined in the order given."""
    splits: dict[str, Frames] = {"train": [], "val": [], "test": []}
    for data in parts:
        n = len(data)
        splits["train"] += data[: int(0.8 * n)]
        splits["val"] += data[int(0.8 * n) : int(0.9 * n)]
        splits["test"] += data[int(0.9 * n) :]
    return splits


def _angle_between(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


def collect(
    frames: int,
    seed: int,
    features: Callable[[UprightTriangle], np.ndarray] = view_features,
    variety: bool = False,
    matte: bool = False,
) -> Frames:
    """Per frame: (digit, ``features`` of each view, label of each view), then (0, ...) for the views of each place
    in it that is no triangle: a random place, the places the reader's scan (``triangle_candidates``) would try away
    from the triangle, and the distractor line (a lot number) as the text detector boxes it. ``variety``, ``matte``:
    frames rendered with ``render_frame(..., variety=True)``, ``render_frame(..., matte=True)``."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    out = []
    for _ in range(frames):
        item = render_frame(rng, np_rng, variety=variety, matte=matte)
        # What a detector boxes: the whole triangle, or only its digit; a little off either way.
        box = item.box if rng.random() < 0.6 else item.digit_box
        box = box + np_rng.normal(0, 0.06 * item.side, (1, 2)).astype(np.float32)
        cx, cy = item.centre
        candidates = triangle_candidates(item.frame)
        # The triangle as the reader's scan cuts it too (faint relief is mostly found that way, and the window's
        # scale and centre differ from a detector's box): its views are triangles of their own in the splits.
        near = [c for c in candidates if math.hypot(*(c.mean(axis=0) - (cx, cy))) < 0.5 * item.side]
        for place in [box, *near[:1]]:
            feats, labels = [], []
            for view in upright_views(item.frame, place.astype(np.float32)):
                up = view.to_frame[:, :2] @ np.array([0.0, -1.0])
                angle = math.degrees(math.atan2(up[1], up[0]))
                right = _angle_between(angle, item.up) < 30
                feats.append(features(view))
                labels.append(item.digit if right else 0)
            out.append((item.digit, feats, labels))
        # Places that are no triangle: background, a corner of the triangle, what the scan would try, a lot number.
        digit_centre = item.digit_box.mean(axis=0)
        places = []
        x = rng.uniform(20, 620) if rng.random() < 0.6 else cx + rng.uniform(-1, 1) * item.side
        y = rng.uniform(20, 460) if rng.random() < 0.6 else cy + rng.uniform(-1, 1) * item.side
        if math.hypot(x - cx, y - cy) >= 0.3 * item.side:
            half = rng.uniform(10, 60)
            places.append(
                np.array([[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half]])
            )
        places += [c for c in candidates if math.hypot(*(c.mean(axis=0) - (cx, cy))) > item.side]
        if item.distractor_box is not None:
            places.append(item.distractor_box)
        for place in places:
            feats, labels = [], []
            for view in upright_views(item.frame, place.astype(np.float32)):
                # A place whose view finds the triangle after all (upright_views looks round the box, and the base
                # line it finds may be the triangle's) is no negative: its digit crop holds the triangle's digit, and
                # reading it is right. Counted as "none", those made the recogniser look wrong on a third of the
                # places that are no triangle.
                middle = view.to_frame @ np.array([WINDOW / 2, WINDOW / 2, 1.0])
                crop_centre = view.digit()[1].mean(axis=0)
                if (
                    math.hypot(middle[0] - cx, middle[1] - cy) < 0.8 * item.side
                    or math.hypot(*(crop_centre - digit_centre)) < 0.5 * item.side
                ):
                    feats = []
                    break
                feats.append(features(view))
                labels.append(0)
            if feats:
                out.append((0, feats, labels))  # digit 0: any answer on it is wrong
    return out


def collected(
    frames: int,
    seed: int,
    cache: Path | None,
    features: Callable[[UprightTriangle], np.ndarray] = view_features,
    variety: bool = False,
    matte: bool = False,
) -> Frames:
    """``collect``'s frames, read from ``cache`` where that file exists, else collected (none for 0 frames) and
    kept there."""
    if cache is not None and cache.is_file():
        return _load(cache)
    data = collect(frames, seed, features=features, variety=variety, matte=matte) if frames else []
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        _save(cache, data)
    return data


def _save(path: Path, data: Frames) -> None:
    sizes = np.array([len(f) for _, f, _ in data])
    feats = np.concatenate([np.stack(f) for _, f, _ in data if f]) if data else np.zeros((0, FEATURES))
    labels = np.array([label for _, _, ls in data for label in ls])
    np.savez_compressed(path, digits=np.array([d for d, _, _ in data]), sizes=sizes, feats=feats, labels=labels)


def _load(path: Path) -> Frames:
    with np.load(path) as saved:  # each access to an npz member decompresses it again: read each once
        digits, sizes, feats, labels = (saved[k] for k in ("digits", "sizes", "feats", "labels"))
    out, start = [], 0
    for digit, size in zip(digits, sizes, strict=True):
        end = start + int(size)
        out.append((int(digit), list(feats[start:end]), [int(x) for x in labels[start:end]]))
        start = end
    return out


def train(x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    # Classes are unbalanced (two "none" views per triangle): weight them equally.
    counts = np.bincount(y, minlength=len(CLASSES)).astype(np.float32)
    class_weight = (len(y) / (len(CLASSES) * np.maximum(counts, 1))).astype(np.float32)
    return small_mlp.train(x, y, len(CLASSES), class_weight, SETTINGS, seed)


def export(weights: dict[str, np.ndarray], temperature: float, path: Path, features: int = FEATURES) -> None:
    small_mlp.export(
        weights, path, name="resin_digit", features=features, classes=len(CLASSES), temperature=temperature
    )


def calibrated_alone(
    val_frames: list[tuple[int, np.ndarray, np.ndarray]], margin_steps: int, name: str = "alone"
) -> float:
    """The lowest of ``ALONE_THRESHOLDS`` at which a digit alone is right on at least ``ALONE_PRECISION`` of what it
    answers on ``val_frames`` (``triangle_precision``), answering at least ``ALONE_MIN_ANSWERS`` triangles, then
    ``margin_steps`` further up the grid; above 1 (never alone) when none passes. Each try is printed as ``name``."""
    for threshold in ALONE_THRESHOLDS:
        precision, coverage, wrong = triangle_precision(val_frames, threshold, alone=True)
        answered = round(coverage * sum(1 for f in val_frames if f[0]))
        print(f"{name} at {threshold}: val precision {precision:.4f} coverage {coverage:.3f} wrong {wrong}")  # noqa: T201
        if precision >= ALONE_PRECISION and answered >= ALONE_MIN_ANSWERS:
            return ALONE_THRESHOLDS[min(len(ALONE_THRESHOLDS) - 1, ALONE_THRESHOLDS.index(threshold) + margin_steps)]
    return 1.01


def triangle_precision(
    frames: list[tuple[int, np.ndarray, np.ndarray]], threshold: float, alone: bool = False
) -> tuple[float, float, int]:
    """Precision and coverage of the triangle-level digit (best view) at ``threshold``; coverage over triangles,
    precision over triangles and places that are none (digit 0). ``alone``: with the reader's rule for a digit that
    answers alone (the other two views read no digit, ``DigitReading.others_none``)."""
    answered = right = triangles = 0
    for digit, probs, _ in frames:
        triangles += digit != 0
        reading = best_digit(probs)
        if reading.digit and reading.confidence >= threshold and (reading.others_none or not alone):
            answered += 1
            right += reading.digit == digit
    return (right / answered if answered else 1.0), right / max(1, triangles), answered - right


def main() -> None:  # noqa: PLR0915 -- one step after another
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=Path("edge/vision/weights") / MODEL_NAME)
    parser.add_argument("--cache", type=Path, help="keep the cut crops' features here and reuse them (.npz)")
    parser.add_argument("--matte-frames", type=int, default=MATTE_FRAMES, help="more frames, on grained surfaces")
    parser.add_argument("--matte-seed", type=int, default=MATTE_SEED)
    args = parser.parse_args()
    started = time.time()
    parts = []
    for frames, seed, matte, suffix in (
        (args.frames, args.seed, False, ""),
        (args.matte_frames, args.matte_seed, True, "m"),
    ):
        cache = args.cache.with_name(f"{args.cache.stem}{suffix}{args.cache.suffix}") if args.cache else None
        parts.append(collected(frames, seed, cache, matte=matte))
    print(f"rendered and cut {args.frames} + {args.matte_frames} frames in {time.time() - started:.0f} s")  # noqa: T201
    splits = split_frames(*parts)

    def stack(part: Frames) -> tuple[np.ndarray, np.ndarray]:
        feats = [f for _, fs, _ in part for f in fs]
        labels = [label for _, _, ls in part for label in ls]
        return np.stack(feats).astype(np.float32), np.array(labels, np.int64)

    x_train, y_train = stack(splits["train"])
    x_val, y_val = stack(splits["val"])
    x_test, y_test = stack(splits["test"])
    weights = train(x_train, y_train, args.seed)
    val_logits = logits_of(weights, x_val)
    temperature = fit_temperature(val_logits, y_val)
    ece_before = expected_calibration_error(softmax(val_logits), y_val)
    ece_after = expected_calibration_error(softmax(val_logits / temperature), y_val)

    def per_frame(part: Frames) -> list[tuple[int, np.ndarray, np.ndarray]]:
        out = []
        for digit, feats, labels in part:
            probs = softmax(logits_of(weights, np.stack(feats)) / temperature) if feats else np.zeros((0, 8))
            # Only the views of the triangle itself (the last ones may be the "no triangle" places).
            out.append((digit, probs, np.array(labels)))
        return out

    metrics: dict[str, float] = {
        "temperature": temperature,
        "ece_val_before": ece_before,
        "ece_val_after": ece_after,
        "view_accuracy_test": float((logits_of(weights, x_test).argmax(axis=1) == y_test).mean()),
    }
    for name, part in (("val", splits["val"]), ("test", splits["test"])):
        frames = per_frame(part)
        for threshold in (0.6, 0.9, 0.99, 0.995):
            precision, coverage, wrong = triangle_precision(frames, threshold)
            metrics[f"{name}_precision_at_{threshold}"] = precision
            metrics[f"{name}_coverage_at_{threshold}"] = coverage
            print(f"{name} threshold {threshold}: precision {precision:.4f} coverage {coverage:.3f} wrong {wrong}")  # noqa: T201
            precision, _, wrong = triangle_precision([f for f in frames if f[0]], threshold)
            metrics[f"{name}_triangles_only_precision_at_{threshold}"] = precision
    # The threshold for the digit alone (triangle_reader.DIGIT_ALONE), chosen on the validation split only.
    val_frames, test_frames = per_frame(splits["val"]), per_frame(splits["test"])
    alone = calibrated_alone(val_frames, ALONE_MARGIN_STEPS)
    metrics[ALONE_METRIC] = alone
    for name, frames in (("val", val_frames), ("test", test_frames)):
        precision, coverage, wrong = triangle_precision(frames, alone, alone=True)
        metrics[f"{name}_alone_precision"] = precision
        metrics[f"{name}_alone_coverage"] = coverage
        metrics[f"{name}_alone_wrong"] = wrong
        metrics[f"{name}_alone_answers"] = sum(
            1 for d, p, _ in frames if (r := best_digit(p)).digit and r.confidence >= alone and r.others_none
        )
        metrics[f"{name}_places_no_triangle"] = sum(1 for d, _, _ in frames if d == 0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export(weights, temperature, args.out)
    counts = {
        cls: SplitCounts(train=int((y_train == k).sum()), val=int((y_val == k).sum()), test=int((y_test == k).sum()))
        for k, cls in enumerate(CLASSES)
    }
    card = ModelCard(
        name="resin-digit",
        version="1.3.0",
        kind="classifier",
        created=datetime.now(UTC),
        sha256="0" * 64,
        inputs=(
            TensorSpec(
                name="features",
                shape=("batch", FEATURES),
                meaning="edge.vision.triangle_reader.view_features of one apex-up view: the HOG (9 unsigned bins, "
                "8 px cells, 2x2-cell blocks L2-normalised) of its digit crop scaled to 32x32 grey (area "
                "interpolation) and standardised, then the same of the whole triangle cut square round its base line "
                "(UprightTriangle.outline)",
            ),
        ),
        outputs=(
            TensorSpec(name="probabilities", shape=("batch", len(CLASSES)), meaning="temperature-scaled softmax"),
        ),
        preprocessing=Preprocessing(size=CROP_SIZE),
        classes=CLASSES,
        training=TrainingInfo(
            dataset=f"scripts/render_triangle_training.py, {args.frames} frames and {args.matte_frames} on grained "
            f"surfaces (--matte, seed {args.matte_seed}), tuning fonts only, views cut by "
            "edge.vision.resin_triangle.upright_views",
            seed=args.seed,
            counts=counts,
            settings={
                "hidden": SETTINGS.hidden,
                "epochs": SETTINGS.epochs,
                "batch": SETTINGS.batch,
                "learning_rate": SETTINGS.learning_rate,
                "weight_decay": SETTINGS.weight_decay,
                "seconds": round(time.time() - started),
            },
        ),
        metrics=metrics,
        source="Trained from scratch by scripts/train_triangle_reader.py (numpy, exported with the onnx package).",
        licence="Same as the project.",
        notes="The preprocessing field does not apply: the input is the feature vector described under inputs, "
        "computed by edge.vision.triangle_reader.view_features from a view the triangle reader cuts. Rendered "
        "data only: the figures are on rendered tuning data, not field data. precision_at_T counts the triangles and "
        "the places cut as no triangle (some of which hold part of a triangle's digit after all); "
        "triangles_only_precision_at_T the triangles alone. On places that are no triangle the recogniser does give "
        "confident digits, so it answers alone (without the OCR's digit or the abbreviation agreeing) only from "
        f"{ALONE_METRIC} and only when the triangle's other two views read no digit: the lowest confidence at which "
        "its precision on the validation split, places that are no triangle included (a random place, the places the "
        "reader's scan would try, a lot number as the detector boxes it), is at least 99.5 % (val_alone_*; "
        "test_alone_* the same threshold on the test split). 1.01 means never.",
    )
    sealed = write_card(args.out, card)
    print(json.dumps(metrics, indent=1))  # noqa: T201
    print(f"wrote {args.out} (sha256 {sealed.sha256[:12]}) in {time.time() - started:.0f} s")  # noqa: T201


CROP_SIZE = 32

if __name__ == "__main__":
    main()
