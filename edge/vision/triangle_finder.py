"""Propose where recycling triangles are in a frame with a small trained model: a heat map of triangle centres and
sizes, turned into boxes for ``resin_triangle.upright_views``.

The edge-rule scan (``resin_triangle.triangle_candidates``) keeps the windows whose edge directions pile up modulo
60° by fixed thresholds, at three window sizes. On the tuning renders it finds a place on about half of the raised
triangles: faint relief, thick strokes, glare and dirt put the statistics just below or beside its thresholds. The
finder computes the same kind of statistics, at six window sizes and with two more per window (how much edge energy
the window holds, and how much its surround holds beside it), and lets a small network (one hidden layer, applied
to every location of a quarter-resolution grid, ``edge/vision/weights/triangle-finder.onnx``) say, per location,
"no triangle centre here" or "a triangle centre whose window is size k". Peaks of 1 - P(none) are the proposals.
It is trained by ``scripts/train_triangle_finder.py`` on ``scripts/render_triangle_training.py`` frames only
(tuning fonts and styles). The reader uses it besides the scan, not instead (``MarkingOcr(triangle_finder=...)``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from edge.vision.model_files import ModelCard, load_model

if TYPE_CHECKING:
    import onnxruntime as ort

logger = logging.getLogger(__name__)

MODEL_NAME = "triangle-finder.onnx"
ORIENTATION_SIGMA = 0.75  # px of smoothing at half resolution (the scan's 1.5 px at full resolution)
# Window sides at half resolution: a triangle of side s sits in a window of about 0.62 s there (the box a detector
# would draw, 1.24 s at full resolution), so these cover 40-200 px triangles, about 1.4x apart.
SCALES = (24, 34, 48, 68, 96, 124)
PER_SCALE = 5  # sixfold, twofold, log energy over the frame's median, log energy absolute, surround over window
FEATURES = PER_SCALE * len(SCALES)
STRIDE = 2  # grid step at half resolution: one location every 4 frame pixels
CLASSES = ("none", *(f"window_{s}" for s in SCALES))
MIN_SCORE = 0.5  # 1 - P(none) a peak needs (set from the tuning-validation frames, see the model card)
LIMIT = 3  # proposals at most per frame: each one that passes the outline test costs a recogniser run
ENERGY_FLOOR = 30.0  # mean squared gradient (half resolution) under which the frame's median is taken as this


@dataclass(frozen=True, slots=True)
class Proposal:
    """A place the finder proposes: centre and window side in frame pixels, and its score (1 - P(none))."""

    x: float
    y: float
    size: float
    score: float

    def box(self) -> npt.NDArray[np.float32]:
        """4 corners round the window, the box ``upright_views`` takes (it looks 0.6 box sides round the centre)."""
        half = self.size / 2
        return np.array(
            [[self.x + dx * half, self.y + dy * half] for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))], np.float32
        )


def grid_features(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """The finder's input at every location of the quarter-resolution grid: rows x columns x ``FEATURES``."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    small = cv2.resize(grey, (grey.shape[1] // 2, grey.shape[0] // 2), interpolation=cv2.INTER_AREA)
    image = cv2.GaussianBlur(small.astype(np.float32), (0, 0), ORIENTATION_SIGMA)
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    # As in triangle_candidates: weight * e^(2i angle) is g^2, weight * e^(6i angle) is g^6 / |g|^4, for g = gx + i gy;
    # in real arithmetic (complex numpy arrays took half the time of the whole function).
    c2, s2 = gx * gx - gy * gy, 2 * gx * gy
    weight = gx * gx + gy * gy
    c4, s4 = c2 * c2 - s2 * s2, 2 * c2 * s2
    inverse = 1.0 / np.maximum(weight * weight, 1e-12)
    c6, s6 = (c4 * c2 - s4 * s2) * inverse, (c4 * s2 + s4 * c2) * inverse
    median = max(float(np.median(weight)), 1.0)
    # The per-pixel terms pooled onto the grid first (area: their means over STRIDE x STRIDE), then box-filtered
    # there: the windows' sums at a quarter of the cost, and no window is smaller than 12 grid cells.
    size = (weight.shape[1] // STRIDE, weight.shape[0] // STRIDE)
    pooled = [
        cv2.resize(np.ascontiguousarray(t, np.float32), size, interpolation=cv2.INTER_AREA)
        for t in (weight, c6, s6, c2, s2)
    ]
    weight, terms = pooled[0], pooled[1:]
    out: list[npt.NDArray[np.floating]] = []
    for full in SCALES:
        window = full // STRIDE
        total = cv2.boxFilter(weight, -1, (window, window), borderType=cv2.BORDER_REFLECT)
        surround = cv2.boxFilter(weight, -1, (2 * window, 2 * window), borderType=cv2.BORDER_REFLECT)
        b6c, b6s, b2c, b2s = (cv2.boxFilter(t, -1, (window, window), borderType=cv2.BORDER_REFLECT) for t in terms)
        safe = np.maximum(total, 1e-6)
        planes = (
            np.hypot(b6c, b6s) / safe,
            np.hypot(b2c, b2s) / safe,
            np.log1p(total / median),
            np.log1p(total / ENERGY_FLOOR),
            np.log1p(surround / safe),  # the 2x window's mean over the window's: below 1 for an isolated mark
        )
        out += planes
    return np.stack(out, axis=-1).astype(np.float32)


def grid_to_frame(row: float, column: float) -> tuple[float, float]:
    """Frame pixel of a grid location (its centre)."""
    return (2 * STRIDE * (column + 0.5), 2 * STRIDE * (row + 0.5))


def default_model_path() -> Path:
    """The finder shipped with the package (edge/vision/weights)."""
    return Path(str(resources.files("edge.vision.weights").joinpath(MODEL_NAME)))


class TriangleFinder:
    """The trained finder; ``propose`` gives the likeliest triangle places of a frame, best first."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        self.path = path or default_model_path()
        session, card = load_model(self.path, threads=threads)
        if tuple(card.classes) != CLASSES:
            msg = f"{self.path}: classes {card.classes} are not the triangle finder's {CLASSES}"
            raise ValueError(msg)
        self._session: ort.InferenceSession = session
        self.card: ModelCard = card
        self._input = session.get_inputs()[0].name
        self.min_score = float(card.metrics.get("min_score", MIN_SCORE))

    def heat(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Class probabilities at every grid location: rows x columns x ``CLASSES``."""
        features = grid_features(frame)
        rows, columns, _ = features.shape
        probs = self._session.run(None, {self._input: features.reshape(-1, FEATURES)})[0]
        return np.asarray(probs, np.float32).reshape(rows, columns, len(CLASSES))

    def propose(
        self, frame: npt.NDArray[np.uint8], limit: int = LIMIT, min_score: float | None = None
    ) -> list[Proposal]:
        return peaks(self.heat(frame), limit, self.min_score if min_score is None else min_score)


def peaks(probs: npt.NDArray[np.float32], limit: int = LIMIT, min_score: float = MIN_SCORE) -> list[Proposal]:
    """The best local maxima of 1 - P(none), each with the window size its likeliest class names, no two closer
    than the smaller one's half window (a large window beside a triangle must not hide the triangle's own)."""
    score = 1.0 - probs[..., 0]
    local = score >= cv2.dilate(score, np.ones((5, 5), np.uint8))
    rows, columns = np.nonzero(local & (score >= min_score))
    order = np.argsort(-score[rows, columns])
    chosen: list[Proposal] = []
    for k in order:
        r, c = int(rows[k]), int(columns[k])
        scale = SCALES[int(np.argmax(probs[r, c, 1:]))]
        x, y = grid_to_frame(r, c)
        size = 2.0 * scale  # window side at full resolution
        if all(math.hypot(x - p.x, y - p.y) > min(size, p.size) / 2 for p in chosen):
            chosen.append(Proposal(x, y, size, float(score[r, c])))
        if len(chosen) == limit:
            break
    return chosen
