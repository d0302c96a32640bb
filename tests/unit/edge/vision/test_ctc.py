"""CTC arithmetic: the batched forward pass agrees with the single one and with a sum over alignments by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from edge.vision.ctc import Spellings, greedy_path, log_likelihood, log_likelihoods


def _collapse(path: tuple[int, ...]) -> tuple[int, ...]:
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != 0)


def test_the_forward_pass_sums_every_alignment() -> None:
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(4), size=5).astype(np.float32)
    for labels in ([1], [1, 2], [2, 2], [1, 3, 1]):
        by_hand = sum(
            math.prod(float(probs[t, k]) for t, k in enumerate(path))
            for path in itertools.product(range(4), repeat=5)
            if _collapse(path) == tuple(labels)
        )
        assert log_likelihood(probs, labels) == pytest.approx(math.log(by_hand), rel=1e-5)


def test_a_vocabulary_scored_at_once_matches_each_word_alone() -> None:
    rng = np.random.default_rng(7)
    probs = rng.dirichlet(np.ones(6) * 0.3, size=12).astype(np.float32)
    words = [[1], [1, 2, 3], [2, 2], [5, 4, 3, 2, 1], [3, 3, 3]]
    together = log_likelihoods(probs, Spellings.of(words))
    for word, score in zip(words, together, strict=True):
        assert score == pytest.approx(log_likelihood(probs, word), rel=1e-6)


def test_an_empty_spelling_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one class"):
        Spellings.of([[1], []])


def test_the_greedy_path_merges_repeats_and_drops_blanks() -> None:
    best = [1, 1, 0, 1, 2, 2, 0, 0, 3]
    probs = np.eye(4, dtype=np.float32)[best]
    classes, steps = greedy_path(probs)
    assert classes.tolist() == [1, 1, 2, 3]
    assert steps.tolist() == [0, 3, 4, 8]
