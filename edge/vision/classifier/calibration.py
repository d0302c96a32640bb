"""Temperature scaling (Guo et al., 2017) and the expected calibration error.

One scalar T divides the logits; it is fitted to minimise the negative log-likelihood on a validation slice that took
no part in training the head and is separate from the test split. T changes confidence, never the top class.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import numpy.typing as npt

from edge.vision.classifier.head import Labels, Matrix, softmax

logger = logging.getLogger(__name__)

# A validation slice that the head nearly separates can keep lowering its loss as T shrinks, which would make every
# answer 100% sure; these bounds stop that. A fit that lands on a bound is logged: the slice was too small to say.
MIN_TEMPERATURE = 0.25
MAX_TEMPERATURE = 8.0
_GOLDEN = (math.sqrt(5) - 1) / 2
_SEARCH_STEPS = 60
ECE_BINS = 15


def negative_log_likelihood(logits: Matrix, labels: Labels, temperature: float = 1.0) -> float:
    scaled = logits / temperature
    shifted = scaled - scaled.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_norm - shifted[np.arange(len(labels)), labels]))


def fit_temperature(logits: Matrix, labels: Labels) -> float:
    """The T in [MIN_TEMPERATURE, MAX_TEMPERATURE] with the lowest NLL (golden-section search on log T).

    When the head gets every item of the slice right, T is not taken below 1 (see the comment in the body).
    """
    if len(labels) == 0:
        return 1.0
    lowest = MIN_TEMPERATURE
    if np.array_equal(logits.argmax(axis=1), labels):
        # A slice with no errors only says "sharper is better" without end: it is no evidence for sharpening past
        # what the head already says, so T stays at or above 1 (it may still soften an overconfident head).
        lowest = 1.0
        logger.info("validation slice (%d items) has no errors: temperature kept at or above 1", len(labels))
    lo, hi = math.log(lowest), math.log(MAX_TEMPERATURE)
    a, b = hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo)
    fa, fb = (negative_log_likelihood(logits, labels, math.exp(t)) for t in (a, b))
    for _ in range(_SEARCH_STEPS):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - _GOLDEN * (hi - lo)
            fa = negative_log_likelihood(logits, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + _GOLDEN * (hi - lo)
            fb = negative_log_likelihood(logits, labels, math.exp(b))
    temperature = math.exp((lo + hi) / 2)
    if (lowest == MIN_TEMPERATURE and temperature < MIN_TEMPERATURE * 1.01) or temperature > MAX_TEMPERATURE * 0.99:
        logger.warning(
            "temperature %.3g is at its bound: the validation slice (%d items) is too small or too easy to fit it",
            temperature,
            len(labels),
        )
    return temperature


def expected_calibration_error(probabilities: npt.NDArray[np.floating], labels: Labels, bins: int = ECE_BINS) -> float:
    """Top-label ECE: over equal-width confidence bins, the item-weighted gap between confidence and accuracy."""
    if len(labels) == 0:
        return 0.0
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    # Bin i holds confidences in (i/bins, (i+1)/bins]; a confidence of exactly 0 cannot occur with softmax.
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            error += members.mean() * abs(float(confidence[members].mean()) - float(correct[members].mean()))
    return float(error)


__all__ = ["expected_calibration_error", "fit_temperature", "negative_log_likelihood", "softmax"]
