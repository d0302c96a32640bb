"""Train the triangle reader's convolutional digit recogniser (edge/vision/weights/resin-digit-cnn.onnx).

    .venv/bin/pip install -e '.[train]'      # PyTorch, for this script only (the stations run the ONNX file)
    PYTHONPATH=$PWD .venv/bin/python scripts/train_triangle_cnn.py [--cache DIR]

Renders the same triangles as ``scripts/train_triangle_reader.py`` (``render_triangle_training.py``, tuning fonts
only; its 1,600 frames at seed 16016 split 80/10/10 by frame the same way), 6,000 frames more (two processes, seeds
7777 and 7778) and 6,000 with varied digits (``render_frame(..., variety=True)``: OpenCV's Hershey stroke fonts,
tuning fonts slanted, condensed, widened, thinned or thickened, steeper perspective; seeds 9191 and 9192) for training
only. Version 2.0 had half as many of each (seed 7777's frames, and the first half of each varied chunk) and 15
epochs. It cuts every apex-up view with the reader's own code (``triangle_reader.grey_crops``: the digit crop and the
whole triangle, 32x32 grey each) and trains ``small_cnn``'s network on them with PyTorch (AdamW, one-cycle, mild
affine, contrast and noise augmentation, half of the crops negated, classes weighted equally), ``--members`` times
with seeds seed, seed+1, ...; folds batch norm into the convolutions and writes the ensemble as one ONNX file by hand
(``small_cnn.export``: each member on the crops and on their negative, the log-probabilities averaged), with its card.

The reader combines this ensemble with the dense recogniser (``resin-digit.onnx``) as a product (``product_of``). So
the threshold for a digit to answer alone is calibrated here, on the validation split, for the product: the lowest of
``train_triangle_reader.ALONE_THRESHOLDS`` at which the product is right on at least 99.5 % of what it answers there
(places that are no triangle included), ``PRODUCT_MARGIN_STEPS`` up for margin; the card holds it. On a 2-core
machine about 21 minutes to render and cut the 15,600 frames, and about 20 minutes to train each member (12 epochs of
about 70,000 views) while other work shared the cores.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edge.vision.classifier.calibration import expected_calibration_error, fit_temperature
from edge.vision.model_files import (
    ModelCard,
    Preprocessing,
    SplitCounts,
    TensorSpec,
    TrainingInfo,
    load_model,
    write_card,
)
from edge.vision.resin_triangle import UprightTriangle
from edge.vision.triangle_reader import (
    ALONE_METRIC,
    CLASSES,
    CNN_MODEL_NAME,
    CROP,
    FEATURES,
    best_digit,
    crop_histograms,
    default_model_path,
    grey_crops,
    product_of,
    standardised_crops,
)
from scripts import small_cnn, train_triangle_reader
from scripts.render_triangle_training import DEFAULT_SEED
from scripts.small_mlp import softmax
from scripts.train_triangle_reader import Frames

if TYPE_CHECKING:
    import torch

EXTRA_SEED = 7777
EXTRA_FRAMES = 6000
# Frames whose digits go beyond the tuning fonts (render_triangle_training.varied_digit), for training only.
VARIETY_SEED = 9191
VARIETY_FRAMES = 6000
# The training-only frames are rendered in this many processes, chunk i at seed + i (a chunk's first frames are those
# a smaller run rendered at that seed).
CHUNKS = 2
# Frames on grained, matte surfaces (render_frame(..., matte=True)), chunk i at MATTE_SEED + i, each chunk split
# 80/10/10 as the plain frames are: the validation split that sets the alone threshold holds them too.
MATTE_SEED = 5151
MATTE_FRAMES = 2000
MEMBERS = 3
# The product's alone threshold is this many steps of the grid above the lowest that passes on the validation split
# (the dense recogniser's script takes one, ``ALONE_MARGIN_STEPS``). Version 2.3 (trained on completed views too) is
# surer than 2.2 (temperature 0.55 against 0.64): one step up (0.93) let three small thick raised triangles answer
# wrongly at 0.930-0.968 on a fresh grained tuning set (seed 794), where right answers alone stood at 0.97 or more but
# for one (docs/vision.md, "The recognisers retrained on completed views").
PRODUCT_MARGIN_STEPS = 3
EPOCHS = 12
BATCH = 128
PIXELS = 2 * CROP * CROP


def both(view: UprightTriangle) -> np.ndarray:
    """What is kept of a view: the dense recogniser's features (to combine with it), then the grey crops; the view is
    cut once for both."""
    grey = grey_crops(view)
    return np.concatenate([crop_histograms(standardised_crops(grey)), grey.ravel().astype(np.float32)])


def _collect(frames: int, seed: int, cache: Path | None, variety: bool = False, matte: bool = False) -> Frames:
    """The frames' views as this network takes them (``both``), cached as the dense recogniser's are."""
    return train_triangle_reader.collected(frames, seed, cache, features=both, variety=variety, matte=matte)


def _collect_chunks(
    frames: int, seed: int, cache: Path | None, variety: bool = False, matte: bool = False
) -> list[Frames]:
    """``frames`` frames in CHUNKS chunks, chunk i at seed + i, one process each; the frames of each chunk."""
    if not frames:
        return []
    each = frames // CHUNKS
    suffix = ("v" if variety else "") + ("m" if matte else "")
    with ProcessPoolExecutor(CHUNKS) as pool:
        jobs = [
            pool.submit(
                _collect,
                each,
                seed + i,
                cache / f"views-{seed + i}{suffix}-{each}.npz" if cache else None,
                variety,
                matte,
            )
            for i in range(CHUNKS)
        ]
        return [job.result() for job in jobs]


def _network() -> torch.nn.Module:
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            channels = small_cnn.CHANNELS
            self.convs = nn.ModuleList(
                nn.Conv2d(channels[i - 1], channels[i], 3, padding=1) for i in range(1, len(channels))
            )
            self.norms = nn.ModuleList(nn.BatchNorm2d(channels[i]) for i in range(1, len(channels)))
            self.fc = nn.Linear(small_cnn.FLAT, small_cnn.HIDDEN)
            self.out = nn.Linear(small_cnn.HIDDEN, len(CLASSES))
            self.drop = nn.Dropout(0.3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True), 1):
                x = torch.relu(norm(conv(x)))
                if i in small_cnn.POOL_AFTER:
                    x = torch.max_pool2d(x, 2)
            return self.out(self.drop(torch.relu(self.fc(self.drop(x.flatten(1))))))

    return Net()


def _augment(x: torch.Tensor) -> torch.Tensor:
    """A little turn, scale and shift (the views' cuts vary so), contrast and noise (relief, glare, dirt), and half
    of the crops negated: the reader averages each member over a crop and its negative, so it learns both signs."""
    import torch
    import torch.nn.functional as F  # noqa: N812 -- PyTorch's own convention

    b = x.shape[0]
    angle = (torch.rand(b) - 0.5) * 2 * math.radians(5)
    scale = 1 + (torch.rand(b) - 0.5) * 0.12
    shift = (torch.rand(b, 2) - 0.5) * 0.1
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    sign = torch.where(torch.rand(b, 1, 1, 1) < 0.5, -1.0, 1.0)
    return sign * x * (0.7 + 0.6 * torch.rand(b, 1, 1, 1)) + 0.08 * torch.randn_like(x)


def train(x: np.ndarray, y: np.ndarray, seed: int, epochs: int) -> dict[str, np.ndarray]:
    """The trained network's weights, batch norm folded in (``small_cnn.shapes``)."""
    import torch
    import torch.nn.functional as F  # noqa: N812

    torch.manual_seed(seed)
    net = _network()
    counts = np.bincount(y, minlength=len(CLASSES)).astype(np.float32)
    weight = torch.tensor(len(y) / (len(CLASSES) * np.maximum(counts, 1)))
    optimiser = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-3)
    steps = epochs * math.ceil(len(y) / BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 3e-3, total_steps=steps)
    inputs, labels = torch.tensor(x), torch.tensor(y)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(labels))
        total = 0.0
        for start in range(0, len(labels), BATCH):
            batch = order[start : start + BATCH]
            loss = F.cross_entropy(net(_augment(inputs[batch])), labels[batch], weight=weight)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(labels):.4f}")  # noqa: T201
    net.eval()
    weights: dict[str, np.ndarray] = {}
    modules = net.state_dict()
    for i in range(1, len(small_cnn.CHANNELS)):
        k = i - 1
        weights[f"conv{i}.w"], weights[f"conv{i}.b"] = small_cnn.fold_batch_norm(
            *(modules[name].numpy().astype(np.float64) for name in (f"convs.{k}.weight", f"convs.{k}.bias")),
            *(
                modules[f"norms.{k}.{name}"].numpy().astype(np.float64)
                for name in ("weight", "bias", "running_mean", "running_var")
            ),
        )
    for layer in ("fc", "out"):
        weights[f"{layer}.w"] = modules[f"{layer}.weight"].numpy().astype(np.float32)
        weights[f"{layer}.b"] = modules[f"{layer}.bias"].numpy().astype(np.float32)
    return weights


def _split(part: Frames) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense features, standardised crops and labels of every view in ``part``."""
    rows = np.stack([f for _, fs, _ in part for f in fs]).astype(np.float32)
    crops = standardised_crops(rows[:, FEATURES:].reshape(-1, 2, CROP, CROP).astype(np.uint8))
    return rows[:, :FEATURES], crops, np.array([label for _, _, ls in part for label in ls], np.int64)


def main() -> None:  # noqa: PLR0915 -- one step after another
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--extra-frames", type=int, default=EXTRA_FRAMES)
    parser.add_argument("--extra-seed", type=int, default=EXTRA_SEED)
    parser.add_argument("--variety-frames", type=int, default=VARIETY_FRAMES)
    parser.add_argument("--variety-seed", type=int, default=VARIETY_SEED)
    parser.add_argument("--matte-frames", type=int, default=MATTE_FRAMES, help="on grained surfaces, split too")
    parser.add_argument("--matte-seed", type=int, default=MATTE_SEED)
    parser.add_argument("--members", type=int, default=MEMBERS, help="networks in the ensemble (seeds seed+k)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=Path("edge/vision/weights") / CNN_MODEL_NAME)
    parser.add_argument("--cache", type=Path, help="keep the cut views here and reuse them (a folder)")
    parser.add_argument("--weights", type=Path, help="keep each member's trained weights in this folder, reuse them")
    args = parser.parse_args()
    started = time.time()
    data = _collect(args.frames, args.seed, args.cache / f"views-{args.seed}.npz" if args.cache else None)
    extra = _collect_chunks(args.extra_frames, args.extra_seed, args.cache)
    variety = _collect_chunks(args.variety_frames, args.variety_seed, args.cache, variety=True)
    matte = _collect_chunks(args.matte_frames, args.matte_seed, args.cache, matte=True)
    rendered = args.frames + args.extra_frames + args.variety_frames + args.matte_frames
    print(f"rendered and cut {rendered} frames in {time.time() - started:.0f} s")  # noqa: T201
    splits = train_triangle_reader.split_frames(data, *matte)
    splits["train"] += [frame for chunk in (*extra, *variety) for frame in chunk]
    _, x_train, y_train = _split(splits["train"])
    members = []
    for k in range(args.members):
        saved_at = args.weights / f"member-{k}.npz" if args.weights is not None else None
        if saved_at is not None and saved_at.is_file():
            with np.load(saved_at) as saved:
                members.append({key: saved[key] for key in small_cnn.shapes(len(CLASSES))})
            continue
        members.append(train(x_train, y_train, args.seed + k, args.epochs))
        if saved_at is not None:
            saved_at.parent.mkdir(parents=True, exist_ok=True)
            np.savez(saved_at, **members[-1])
    _, x_val, y_val = _split(splits["val"])
    val_logits = np.log(np.clip(small_cnn.forward(members, x_val), 1e-12, None))
    temperature = fit_temperature(val_logits, y_val)
    dense_session, dense_card = load_model(default_model_path())
    dense_input = dense_session.get_inputs()[0].name

    def per_frame(part: Frames) -> list[tuple[int, np.ndarray, np.ndarray]]:
        out = []
        for digit, feats, labels in part:
            if not feats:
                out.append((digit, np.zeros((0, len(CLASSES))), np.array(labels)))
                continue
            dense, crops, _ = _split([(digit, feats, labels)])
            convolutional = small_cnn.forward(members, crops, temperature)
            dense_probs = np.asarray(dense_session.run(None, {dense_input: dense})[0], np.float32)
            out.append((digit, product_of(dense_probs, convolutional), np.array(labels)))
        return out

    _, x_test, y_test = _split(splits["test"])
    metrics: dict[str, float] = {
        "temperature": temperature,
        "ece_val_before": expected_calibration_error(softmax(val_logits), y_val),
        "ece_val_after": expected_calibration_error(softmax(val_logits / temperature), y_val),
        "view_accuracy_test": float((small_cnn.forward(members, x_test).argmax(axis=1) == y_test).mean()),
    }
    val_frames, test_frames = per_frame(splits["val"]), per_frame(splits["test"])
    alone = train_triangle_reader.calibrated_alone(val_frames, PRODUCT_MARGIN_STEPS, "product alone")
    metrics[ALONE_METRIC] = alone
    for name, frames in (("val", val_frames), ("test", test_frames)):
        precision, coverage, wrong = train_triangle_reader.triangle_precision(frames, alone, alone=True)
        metrics[f"{name}_alone_precision"] = precision
        metrics[f"{name}_alone_coverage"] = coverage
        metrics[f"{name}_alone_wrong"] = wrong
        metrics[f"{name}_alone_answers"] = sum(
            1 for _, p, _ in frames if (r := best_digit(p)).digit and r.confidence >= alone and r.others_none
        )
        metrics[f"{name}_places_no_triangle"] = sum(1 for d, _, _ in frames if d == 0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    small_cnn.export(members, args.out, classes=len(CLASSES), temperature=temperature, name="resin_digit_cnn")
    counts = {
        cls: SplitCounts(train=int((y_train == k).sum()), val=int((y_val == k).sum()), test=int((y_test == k).sum()))
        for k, cls in enumerate(CLASSES)
    }
    card = ModelCard(
        name="resin-digit-cnn",
        version="2.3.0",
        kind="classifier",
        created=datetime.now(UTC),
        sha256="0" * 64,
        inputs=(
            TensorSpec(
                name="crops",
                shape=("batch", 2, CROP, CROP),
                meaning="edge.vision.triangle_reader.view_crops of one apex-up view: its digit crop and the whole "
                "triangle cut square round its base line, each 32x32 grey (area interpolation), less its mean, over "
                "its standard deviation plus 4",
            ),
        ),
        outputs=(
            TensorSpec(
                name="probabilities",
                shape=("batch", len(CLASSES)),
                meaning="softmax of the members' log-probabilities on the crops and on their negative, averaged and "
                "over the temperature (scripts/small_cnn.py)",
            ),
        ),
        preprocessing=Preprocessing(size=CROP),
        classes=CLASSES,
        training=TrainingInfo(
            dataset=f"scripts/render_triangle_training.py, {args.frames} frames at seed {args.seed} (split 80/10/10 "
            f"by frame), {args.extra_frames} at seeds {args.extra_seed}.. and {args.variety_frames} with varied digits "
            f"(Hershey stroke fonts, slanted, condensed, widened, thinned and thickened tuning fonts, steeper "
            f"perspective) at seeds {args.variety_seed}.. (train only), {args.matte_frames} on grained matte surfaces "
            f"at seeds {args.matte_seed}.. (each chunk split 80/10/10); tuning fonts only, views cut by "
            "edge.vision.resin_triangle.upright_views",
            seed=args.seed,
            counts=counts,
            settings={
                "channels": "-".join(str(c) for c in small_cnn.CHANNELS),
                "hidden": small_cnn.HIDDEN,
                "members": args.members,
                "epochs": args.epochs,
                "batch": BATCH,
                "seconds": round(time.time() - started),
            },
        ),
        metrics=metrics,
        source="Trained from scratch by scripts/train_triangle_cnn.py (PyTorch; the ONNX file written from the "
        "weights by scripts/small_cnn.py).",
        licence="Same as the project.",
        notes="The preprocessing field does not apply: the input is described under inputs. The reader uses this "
        f"network only with {dense_card.name} (resin-digit.onnx, sha256 {dense_card.sha256[:12]}), as the normalised "
        f"geometric mean of the two (edge.vision.triangle_reader.product_of); {ALONE_METRIC} and the *_alone_* "
        "figures are that product's, calibrated on the validation split for >= 99.5 % precision with places that are "
        f"no triangle included, {PRODUCT_MARGIN_STEPS} steps up the grid for margin. Rendered data only: not field "
        "data.",
    )
    sealed = write_card(args.out, card)
    print(json.dumps(metrics, indent=1))  # noqa: T201
    print(f"wrote {args.out} (sha256 {sealed.sha256[:12]}) in {time.time() - started:.0f} s")  # noqa: T201


if __name__ == "__main__":
    main()
