"""Rendered captures for training the classifier: a three-class set drawn with OpenCV (a red disc, a blue striped
square, a green checked triangle on a scale mat of varying light), laid out as a station's capture store writes
confirmed captures. Used by the classifier's tests and the vision benchmark; it proves the training pipeline
works, not that a classifier knows plastics.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from edge.vision.dataset import CaptureMeta, sample_paths

STREAM = "plastic"
CLASSES = ("blauw", "groen", "rood")


def render(label: str, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """One 320x240 frame of ``label``: shape, colour and texture differ per class; position, size and light vary."""
    height, width = 240, 320
    light = rng.uniform(0.7, 1.2)
    frame = np.clip(rng.normal(150 * light, 8, (height, width, 3)), 0, 255).astype(np.uint8)
    cx, cy = int(rng.integers(110, 210)), int(rng.integers(90, 150))
    r = int(rng.integers(45, 75))
    jitter = rng.integers(-25, 26, 3)
    if label == "rood":
        colour = np.clip(np.array([40, 40, 210]) + jitter, 0, 255) * light
        cv2.circle(frame, (cx, cy), r, tuple(float(c) for c in colour), -1)
    elif label == "blauw":
        colour = np.clip(np.array([200, 80, 30]) + jitter, 0, 255) * light
        cv2.rectangle(frame, (cx - r, cy - r), (cx + r, cy + r), tuple(float(c) for c in colour), -1)
        for y in range(cy - r, cy + r, 10):
            cv2.line(frame, (cx - r, y), (cx + r, y), (240, 240, 240), 3)
    else:
        mask = np.zeros((height, width), np.uint8)
        triangle = np.array([[cx, cy - r], [cx - r, cy + r], [cx + r, cy + r]], np.int32)
        cv2.fillPoly(mask, [triangle], 255)
        yy, xx = np.mgrid[0:height, 0:width]
        checks = ((yy // 8 + xx // 8) % 2).astype(bool)
        colour = np.clip(np.array([40, 190, 40]) + jitter, 0, 255) * light
        frame[(mask > 0) & checks] = colour.astype(np.uint8)
        frame[(mask > 0) & ~checks] = (colour * 0.5).astype(np.uint8)
    return np.asarray(cv2.GaussianBlur(frame, (3, 3), 0), np.uint8)  # uint8 already; says so to the type checker


def write_dataset(root: Path, per_class: int, seed: int, classes: tuple[str, ...] = CLASSES) -> Path:
    """``per_class`` confirmed captures of each class under ``root``, laid out as a station's capture store
    writes them (``edge.vision.dataset``), for ``sortcentre vision train`` and ``eval``."""
    rng = np.random.default_rng(seed)
    for label in classes:
        for i in range(per_class):
            capture_id = f"{label}-{seed}-{i:03d}"
            image, meta = sample_paths(root, STREAM, label, capture_id)
            image.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(image), render(label, rng)):
                raise OSError(f"cannot write {image}")
            meta.write_text(CaptureMeta(capture_id=capture_id, stream=STREAM, label=label).model_dump_json())
    return root
