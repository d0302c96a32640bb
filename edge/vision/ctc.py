"""CTC arithmetic for the OCR recogniser's output: the greedy path, and the probability of a given text summed over
all its alignments (the forward algorithm), for one text or for a whole vocabulary at once.

``probs`` is always the recogniser's output for one line: time steps x classes, class 0 the CTC blank.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


def greedy_path(probs: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The best class of each step with repeats merged and blanks dropped, and the step each class was read at."""
    best = probs.argmax(axis=1)
    keep = best != 0
    keep[1:] &= best[1:] != best[:-1]
    steps = np.flatnonzero(keep)
    return best[steps].astype(np.int64), steps.astype(np.int64)


def log_likelihood(probs: npt.NDArray[np.float32], labels: list[int]) -> float:
    """log P(labels | probs) summed over all CTC alignments (blank = class 0)."""
    steps = probs.shape[0]
    if not labels:
        return float(np.log(np.clip(probs[:, 0], 1e-30, None)).sum())
    extended = [0]
    for label in labels:
        extended += [label, 0]
    log_probs = np.log(np.clip(probs[:, extended], 1e-30, None))
    size = len(extended)
    alpha = np.full(size, -np.inf)
    alpha[0] = log_probs[0, 0]
    alpha[1] = log_probs[0, 1]
    can_skip = np.array([s >= 2 and extended[s] != 0 and extended[s] != extended[s - 2] for s in range(size)])
    for t in range(1, steps):
        stay = alpha
        step = np.concatenate([[-np.inf], alpha[:-1]])
        skip = np.where(can_skip, np.concatenate([[-np.inf, -np.inf], alpha[:-2]]), -np.inf)
        alpha = np.logaddexp(np.logaddexp(stay, step), skip) + log_probs[t]
    return float(np.logaddexp(alpha[-1], alpha[-2]))


@dataclass(frozen=True)
class Spellings:
    """Texts of one or more classes each, laid out for ``log_likelihoods`` (``Spellings.of``)."""

    extended: npt.NDArray[np.int64]  # texts x (2 * longest + 1): blank, class, blank, class, ..., padded with blanks
    lengths: npt.NDArray[np.int64]
    can_skip: npt.NDArray[np.bool_]  # a blank between two different classes may be skipped

    @classmethod
    def of(cls, texts: Sequence[Sequence[int]]) -> Spellings:
        if not texts or any(not text for text in texts):
            msg = "every spelling needs at least one class"
            raise ValueError(msg)
        longest = max(len(text) for text in texts)
        extended = np.zeros((len(texts), 2 * longest + 1), np.int64)
        for row, text in enumerate(texts):
            extended[row, 1 : 2 * len(text) : 2] = text
        can_skip = np.zeros(extended.shape, bool)
        can_skip[:, 2:] = (extended[:, 2:] != 0) & (extended[:, 2:] != extended[:, :-2])
        return cls(extended, np.array([len(text) for text in texts], np.int64), can_skip)


def log_likelihoods(probs: npt.NDArray[np.float32], spellings: Spellings) -> npt.NDArray[np.float64]:
    """log P(text | steps) of every text in ``spellings``, over all CTC alignments; ``probs``: steps x classes (class 0
    the blank). Every text is scored in the same pass, so a vocabulary of a few hundred words costs about as much as
    one. The sums run in probabilities, rescaled every step by the largest (adding and multiplying is several times
    faster than adding logarithms); a text more than about 700 nats below the best underflows to -inf."""
    count, size = spellings.extended.shape
    per_step = probs.astype(np.float64)[:, spellings.extended]  # steps x texts x states
    alpha = np.zeros((count, size))
    alpha[:, :2] = per_step[0, :, :2]
    log_scale = 0.0
    for t in range(1, probs.shape[0]):
        step = alpha.copy()
        step[:, 1:] += alpha[:, :-1]
        step[:, 2:] += np.where(spellings.can_skip[:, 2:], alpha[:, :-2], 0.0)
        alpha = step * per_step[t]
        top = float(alpha.max())
        if top <= 0.0:
            return np.full(count, -np.inf)
        alpha /= top
        log_scale += math.log(top)
    rows = np.arange(count)
    ends = 2 * spellings.lengths
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(alpha[rows, ends] + alpha[rows, ends - 1]) + log_scale, np.float64)
