"""A linear softmax head on frozen features, trained with numpy: L2-regularised multinomial logistic regression.

Features are standardised (mean and spread of the training split), then weights are fitted by Nesterov-accelerated,
diagonally preconditioned full-batch gradient descent from zero (see :func:`fit_head`). The loss is convex and nothing
is random, so the same features give the same head, bit for bit on one machine. The standardisation and the
temperature are folded into one weight matrix and bias (:meth:`LinearHead.folded`) when the head goes into ONNX.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]

# On standardised 1280-dim features a site has tens to hundreds of images a class: far fewer than dimensions, so the
# data are separable and the penalty alone sets how large the weights grow. This value keeps logits in a range where
# temperature scaling has something to correct in both directions; it was not tuned on any real data set.
DEFAULT_L2 = 1e-2
MAX_ITERATIONS = 1000
# Stop when the (preconditioned) gradient is this small relative to its size at the start.
TOLERANCE = 1e-5
# Principal directions with less than this share of the largest variance are numerical noise.
_RANK_TOLERANCE = 1e-10
# Features with (almost) no spread in training are left unscaled instead of divided by ~0.
_MIN_SPREAD = 1e-6


def softmax(logits: Matrix) -> Matrix:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: Matrix = exp / exp.sum(axis=1, keepdims=True)
    return out


@dataclass(frozen=True, slots=True)
class LinearHead:
    classes: tuple[str, ...]
    mean: Matrix  # (F,)
    spread: Matrix  # (F,)
    weights: Matrix  # (F, C), on standardised features
    bias: Matrix  # (C,)

    def logits(self, features: npt.NDArray[np.floating]) -> Matrix:
        standard = (np.asarray(features, np.float64) - self.mean) / self.spread
        out: Matrix = standard @ self.weights + self.bias
        return out

    def probabilities(self, features: npt.NDArray[np.floating], temperature: float = 1.0) -> Matrix:
        return softmax(self.logits(features) / temperature)

    def folded(self, temperature: float = 1.0) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """(W, b) with ``features @ W + b == logits(features) / temperature``: what the ONNX Gemm runs."""
        weights = self.weights / self.spread[:, None] / temperature
        bias = (self.bias - (self.mean / self.spread) @ self.weights) / temperature
        return weights.astype(np.float32), bias.astype(np.float32)


def _principal_basis(z: Matrix) -> tuple[Matrix, Matrix, Matrix]:
    """(basis V (F, r) with orthonormal columns, coordinates Z @ V (N, r), squared singular values (r,)).

    The eigen-decomposition is of the smaller Gram matrix: N x N when there are fewer images than features (the usual
    case at a site), F x F otherwise. Directions with no spread in the data are dropped: the penalty alone sets
    their weights, to zero.
    """
    n, f = z.shape
    if n <= f:
        eigenvalues, u = np.linalg.eigh(z @ z.T)
        keep = eigenvalues > _RANK_TOLERANCE * max(float(eigenvalues.max()), 1e-300)
        singular = np.sqrt(eigenvalues[keep])
        basis: Matrix = (z.T @ u[:, keep]) / singular
        coordinates: Matrix = u[:, keep] * singular
        return basis, coordinates, eigenvalues[keep]
    eigenvalues, v = np.linalg.eigh(z.T @ z)
    keep = eigenvalues > _RANK_TOLERANCE * max(float(eigenvalues.max()), 1e-300)
    return v[:, keep], z @ v[:, keep], eigenvalues[keep]


def fit_head(
    features: npt.NDArray[np.floating], labels: Labels, classes: tuple[str, ...], *, l2: float = DEFAULT_L2
) -> LinearHead:
    """Fit on ``features`` (N, F) with integer ``labels`` (N,) indexing ``classes``.

    Solved in the principal basis of the standardised training features, where the weights are W = V Q: the L2
    penalty is the same (V has orthonormal columns), the problem has at most N coordinates, and the curvature bound
    of each coordinate is known (0.5 s_i^2 / N + l2), which gives a diagonal preconditioner. Plain gradient descent
    with one step size for all directions needed hundreds of iterations on correlated features; this converges in
    tens.
    """
    x = np.asarray(features, np.float64)
    n = x.shape[0]
    mean = x.mean(axis=0)
    spread = x.std(axis=0)
    spread[spread < _MIN_SPREAD] = 1.0
    z = (x - mean) / spread
    onehot = np.zeros((n, len(classes)))
    onehot[np.arange(n), labels] = 1.0
    basis, coords, squared = _principal_basis(z)
    # The softmax cross-entropy's Hessian is at most 0.5 * C^T C / N (C the coordinates), diagonal in this basis;
    # with the penalty added, a preconditioned step of 1 cannot overshoot. The bias sees a column of ones
    # (curvature 0.5), orthogonal to the centred coordinates.
    step = 1.0 / (0.5 * squared / n + l2)
    bias_step = 2.0

    def gradients(q: Matrix, b: Matrix) -> tuple[Matrix, Matrix]:
        residual = softmax(coords @ q + b) - onehot
        grad_q: Matrix = coords.T @ residual / n + l2 * q
        grad_b: Matrix = residual.mean(axis=0)
        return grad_q, grad_b

    q = np.zeros((coords.shape[1], len(classes)))
    b = np.zeros(len(classes))
    q_prev, b_prev = q, b
    momentum = 1.0
    first: float | None = None
    iterations = 0
    for iterations in range(1, MAX_ITERATIONS + 1):  # noqa: B007 - the count is logged after the loop
        next_momentum = (1 + np.sqrt(1 + 4 * momentum**2)) / 2
        blend = (momentum - 1) / next_momentum
        yq, yb = q + blend * (q - q_prev), b + blend * (b - b_prev)
        grad_q, grad_b = gradients(yq, yb)
        q_prev, b_prev = q, b
        q, b = yq - step[:, None] * grad_q, yb - bias_step * grad_b
        momentum = next_momentum
        # The gradient measured in the preconditioner's metric: how far the next step would move.
        size = float(np.sqrt(np.sum(step[:, None] * grad_q**2) + np.sum(bias_step * grad_b**2)))
        first = size if first is None else first
        if size <= TOLERANCE * max(first, 1e-12):
            break
    logger.debug("head fitted in %d iterations (n=%d, rank=%d, classes=%d)", iterations, n, len(step), len(classes))
    return LinearHead(classes, mean, spread, basis @ q, b)


def stratified_split(
    labels: Labels, *, test: float, val: float, seed: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Indices (train, val, test): per class, ``test`` of the items to test and ``val`` of the rest to validation.

    Each class with at least 3 items gets at least one item in every split; the shuffle uses ``seed`` only.
    """
    rng = np.random.default_rng(seed)
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        members = members[rng.permutation(len(members))]
        n_test = max(1, round(test * len(members)))
        n_val = max(1, round(val * (len(members) - n_test)))
        parts[2].extend(members[:n_test].tolist())
        parts[1].extend(members[n_test : n_test + n_val].tolist())
        parts[0].extend(members[n_test + n_val :].tolist())
    train, val_idx, test_idx = (np.array(sorted(p), dtype=np.intp) for p in parts)
    return train, val_idx, test_idx
