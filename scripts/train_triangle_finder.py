"""Train the triangle finder (edge/vision/weights/triangle-finder.onnx) on rendered triangles.

    PYTHONPATH=$PWD .venv/bin/python scripts/train_triangle_finder.py [--frames 1200] [--seed 16016] [--val-seed 777]

Renders frames with ``scripts/render_triangle_training.py`` (tuning fonts and styles only), computes the finder's
features at every grid location (``triangle_finder.grid_features``) and labels the locations within a tenth of a side
of the triangle's centre with the window size nearest the triangle's box (1.24 sides), the locations farther than 0.45
sides from it "none" (a random sample, and the ones the edge statistics like most: hard negatives), and leaves the
ring between unlabelled; more "none" locations are drawn beside the triangle (``NEAR_NEGATIVES``). Trains one hidden
layer with numpy (Adam) and writes the ONNX file (Gemm, Relu, Gemm, Softmax) and its card.
The validation frames (another seed: by default the tuning-validation seed 777, frames in the order
``render_triangle_training.py --out`` writes them) give the figures in the card: how many triangles the finder
finds (a proposal within half a side of the centre whose box passes ``upright_views``), how many the scan finds, and
both together, and the proposals per frame that pass the outline test elsewhere. ``min_score`` in the card is the
highest peak score (of a short grid) at which as many triangles are found as at any (``FOUND_TOLERANCE``).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from edge.vision.model_files import ModelCard, Preprocessing, TensorSpec, TrainingInfo, write_card
from edge.vision.resin_triangle import triangle_candidates, upright_views
from edge.vision.triangle_finder import (
    CLASSES,
    FEATURES,
    LIMIT,
    MODEL_NAME,
    SCALES,
    grid_features,
    grid_to_frame,
    peaks,
)
from scripts import small_mlp
from scripts.render_triangle_training import DEFAULT_SEED, render_frame
from scripts.small_mlp import MlpSettings, logits_of, softmax

SETTINGS = MlpSettings(hidden=32, epochs=12, batch=512, learning_rate=3e-3, weight_decay=1e-4)
POSITIVE_RADIUS = 0.1  # sides: locations this near the centre are the triangle's
NEGATIVE_RADIUS = 0.45  # sides: locations farther than this are "none"
RANDOM_NEGATIVES = 300  # per frame
HARD_NEGATIVES = 100  # per frame: the highest sixfold statistic outside the triangle
# ... and beside the triangle (out to 1.5 sides from its centre): a large window there still holds the whole triangle,
# and without these the first finder proposed such windows off the centre, which upright_views then cut wrong.
NEAR_NEGATIVES = 150
NEAR_NEGATIVE_RADIUS = 1.5
MIN_SCORES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# min_score: the highest peak score at which the finder and the scan together still find as many triangles as at the
# best score of the grid, less this share (precision first: every misplaced proposal that passes the outline test is
# one more place the recogniser may read a digit in).
FOUND_TOLERANCE = 0.005


def scale_class(side: float) -> int:
    """The class (1..) of the window nearest the box a detector draws round a triangle of ``side`` (1.24 sides at full
    resolution, so 0.62 sides at the half resolution the scales are given in)."""
    return 1 + int(np.argmin([abs(math.log(0.62 * side / s)) for s in SCALES]))


def frame_samples(features: np.ndarray, centre: tuple[float, float], side: float, rng: np.random.Generator):
    rows, columns, _ = features.shape
    rr, cc = np.mgrid[0:rows, 0:columns]
    x, y = grid_to_frame(rr.astype(np.float64), cc.astype(np.float64))
    distance = np.hypot(x - centre[0], y - centre[1]) / side
    positive = distance <= max(POSITIVE_RADIUS, 4.5 / side)
    negative = distance > NEGATIVE_RADIUS
    flat = features.reshape(-1, FEATURES)
    pos = np.flatnonzero(positive.ravel())
    neg = np.flatnonzero(negative.ravel())
    sixfold = features[..., 0::5].max(axis=-1).ravel()  # the sixfold statistic of every scale
    hard = neg[np.argsort(-sixfold[neg])[:HARD_NEGATIVES]]
    rand = rng.choice(neg, size=min(RANDOM_NEGATIVES, len(neg)), replace=False)
    ring = np.flatnonzero((negative & (distance < NEAR_NEGATIVE_RADIUS)).ravel())
    near = rng.choice(ring, size=min(NEAR_NEGATIVES, len(ring)), replace=False)
    chosen = np.concatenate([pos, hard, rand, near])
    labels = np.concatenate([np.full(len(pos), scale_class(side)), np.zeros(len(chosen) - len(pos), np.int64)])
    return flat[chosen], labels


def collect(frames: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    sample_rng = np.random.default_rng(seed + 1)
    xs, ys = [], []
    for i in range(frames):
        item = render_frame(rng, np_rng)
        x, y = frame_samples(grid_features(item.frame), item.centre, item.side, sample_rng)
        xs.append(x)
        ys.append(y)
        if (i + 1) % 100 == 0:
            print(f"rendered {i + 1}/{frames}")  # noqa: T201
    return np.concatenate(xs), np.concatenate(ys)


def train(x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    # Positives are few (a handful of locations per frame): weight them to a third of the total.
    positives = max(int((y > 0).sum()), 1)
    class_weight = np.ones(len(CLASSES), np.float32)
    class_weight[1:] = 0.5 * (y == 0).sum() / positives
    return small_mlp.train(x, y, len(CLASSES), class_weight, SETTINGS, seed)


def forward(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return softmax(logits_of(weights, x))


def export(weights: dict[str, np.ndarray], path: Path) -> None:
    small_mlp.export(weights, path, name="triangle_finder", features=FEATURES, classes=len(CLASSES))


def _found(frame: np.ndarray, boxes: list[np.ndarray], centre: tuple[float, float], side: float) -> tuple[bool, int]:
    """Whether one of ``boxes`` is on the triangle and passes the outline test, and how many elsewhere pass it."""
    hit, false = False, 0
    for box in boxes:
        near = math.hypot(*(box.mean(axis=0) - np.array(centre))) <= 0.5 * side
        passes = bool(upright_views(frame, box))
        hit |= near and passes
        false += (not near) and passes
    return hit, false


def evaluate(weights: dict[str, np.ndarray], frames: int, seed: int) -> dict[str, float]:
    """Found rates on validation frames rendered as ``render_triangle_training.py --out DIR --seed S`` writes them."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    counts: dict[str, float] = {
        "scan": 0,
        **{f"finder_{t}": 0 for t in MIN_SCORES},
        **{f"both_{t}": 0 for t in MIN_SCORES},
    }
    false: dict[str, float] = {f"false_{t}": 0 for t in MIN_SCORES}
    raised = {"raised": 0.0, "raised_scan": 0.0, **{f"raised_both_{t}": 0.0 for t in MIN_SCORES}}
    for i in range(frames):
        item = render_frame(rng, np_rng, digit=i % 7 + 1)
        features = grid_features(item.frame)
        probs = forward(weights, features.reshape(-1, FEATURES)).reshape(*features.shape[:2], len(CLASSES))
        scan_hit, _ = _found(item.frame, triangle_candidates(item.frame), item.centre, item.side)
        counts["scan"] += scan_hit
        is_raised = item.style.endswith("raised")
        raised["raised"] += is_raised
        raised["raised_scan"] += is_raised and scan_hit
        for t in MIN_SCORES:
            boxes = [p.box() for p in peaks(probs, LIMIT, t)]
            hit, wrong = _found(item.frame, boxes, item.centre, item.side)
            counts[f"finder_{t}"] += hit
            counts[f"both_{t}"] += hit or scan_hit
            false[f"false_{t}"] += wrong
            raised[f"raised_both_{t}"] += is_raised and (hit or scan_hit)
    out = {f"val_found_{k}": v / frames for k, v in counts.items()}
    out |= {f"val_{k}_per_frame": v / frames for k, v in false.items()}
    out |= {f"val_found_{k}": v / max(raised["raised"], 1) for k, v in raised.items() if k != "raised"}
    out["val_frames"] = frames
    out["val_raised_frames"] = raised["raised"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--val-frames", type=int, default=280)
    parser.add_argument("--val-seed", type=int, default=777)
    parser.add_argument("--out", type=Path, default=Path("edge/vision/weights") / MODEL_NAME)
    parser.add_argument("--cache", type=Path, help="npz of the training samples (written if missing)")
    args = parser.parse_args()
    started = time.monotonic()
    if args.cache is not None and args.cache.exists():
        data = np.load(args.cache)
        x, y = data["x"], data["y"]
    else:
        x, y = collect(args.frames, args.seed)
        if args.cache is not None:
            np.savez_compressed(args.cache, x=x, y=y)
    print(f"{len(y)} samples, {(y > 0).sum()} on triangles")  # noqa: T201
    weights = train(x, y, args.seed)
    metrics = evaluate(weights, args.val_frames, args.val_seed)
    best = max(metrics[f"val_found_both_{t}"] for t in MIN_SCORES)
    passing = [t for t in MIN_SCORES if metrics[f"val_found_both_{t}"] >= best - FOUND_TOLERANCE]
    metrics["min_score"] = passing[-1]
    for key, value in metrics.items():
        print(f"{key}: {value:.3f}")  # noqa: T201
    export(weights, args.out)
    counts = np.bincount(y, minlength=len(CLASSES))
    card = ModelCard(
        name="triangle-finder",
        version="1.0.0",
        kind="classifier",
        created=datetime.now(UTC),
        sha256="0" * 64,
        inputs=(
            TensorSpec(
                name="features",
                shape=("batch", FEATURES),
                meaning="edge.vision.triangle_finder.grid_features at one grid location (every 4 frame px): per "
                f"window side {SCALES} (half-resolution px) the sixfold and twofold concentration of edge "
                "directions, log(1 + energy / frame median), log(1 + energy / 30), log(1 + surround / window)",
            ),
        ),
        outputs=(TensorSpec(name="probabilities", shape=("batch", len(CLASSES)), meaning="softmax"),),
        preprocessing=Preprocessing(),
        classes=CLASSES,
        training=TrainingInfo(
            dataset=f"scripts/render_triangle_training.py, {args.frames} frames (tuning fonts and styles only), "
            "grid locations near the triangle's centre and a sample of the rest",
            seed=args.seed,
            settings={
                "hidden": SETTINGS.hidden,
                "epochs": SETTINGS.epochs,
                "batch": SETTINGS.batch,
                "learning_rate": SETTINGS.learning_rate,
                "weight_decay": SETTINGS.weight_decay,
                "samples": len(y),
                "samples_on_triangles": int((y > 0).sum()),
                "val_seed": args.val_seed,
                "seconds": round(time.monotonic() - started),
                "command": "PYTHONPATH=$PWD .venv/bin/python scripts/train_triangle_finder.py",
            },
        ),
        metrics=metrics,
        source="Trained from scratch by scripts/train_triangle_finder.py (numpy, exported with the onnx package).",
        licence="Same as the project.",
        notes="The preprocessing field does not apply: the input is the feature vector described under inputs. "
        "Rendered data only. val_found_scan: triangles the edge-rule scan (triangle_candidates) finds; "
        "val_found_finder_T: the finder's proposals at peak score T; val_found_both_T: either; val_false_T_per_frame: "
        "proposals elsewhere that pass the outline test (upright_views), per frame; val_found_raised_*: the same on "
        "raised relief only. Found: a box within half a side of the centre whose upright_views gives views. "
        f"Class counts (samples): {dict(zip(CLASSES, counts.tolist(), strict=True))}.",
    )
    sealed = write_card(args.out, card)
    print(f"wrote {args.out} (sha256 {sealed.sha256[:12]}), {time.monotonic() - started:.0f} s")  # noqa: T201


if __name__ == "__main__":
    main()
