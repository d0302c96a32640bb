"""The convolutional digit recogniser's ONNX file computes what its numpy forward pass computes (an ensemble of members,
each on the crops and on their negative), its answer does not depend on the crops' sign, and a convolution with batch
norm folded into it is the same function as the two."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from scripts import small_cnn


def random_weights(rng: np.random.Generator, classes: int) -> dict[str, np.ndarray]:
    return {
        key: rng.normal(0, 0.2 if key.endswith(".w") else 0.05, shape).astype(np.float32)
        for key, shape in small_cnn.shapes(classes).items()
    }


def test_the_onnx_file_computes_the_numpy_forward_pass(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    members = [random_weights(rng, 8) for _ in range(3)]
    path = tmp_path / "cnn.onnx"
    small_cnn.export(members, path, classes=8, temperature=1.7, name="test")
    crops = rng.normal(0, 1, (5, 2, 32, 32)).astype(np.float32)

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"crops": crops})[0]

    want = small_cnn.forward(members, crops, temperature=1.7)
    assert got.shape == (5, 8)
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1, atol=1e-5)
    assert not np.allclose(got, got[0])  # the crops, not the biases alone, decide


def test_the_ensemble_is_the_normalised_geometric_mean_of_its_members_on_both_signs() -> None:
    rng = np.random.default_rng(4)
    # Small output weights, so that every class keeps a probability a product can be taken of.
    members = [{**w, "out.w": w["out.w"] * 1e-3} for w in (random_weights(rng, 8) for _ in range(2))]
    crops = rng.normal(0, 1, (4, 2, 32, 32)).astype(np.float32)

    def softmax(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    parts = [softmax(small_cnn.logits(w, s * crops)) for w in members for s in (1, -1)]
    joint = np.prod(parts, axis=0) ** (1 / len(parts))
    want = joint / joint.sum(axis=1, keepdims=True)

    np.testing.assert_allclose(small_cnn.forward(members, crops), want, atol=1e-5)
    # A sunk marking is the negative of a raised one under the same light: the same answer.
    np.testing.assert_allclose(small_cnn.forward(members, -crops), small_cnn.forward(members, crops), atol=1e-6)
    # ... which no single member alone gives.
    assert not np.allclose(softmax(small_cnn.logits(members[0], -crops)), softmax(small_cnn.logits(members[0], crops)))


def test_a_weight_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    good = random_weights(np.random.default_rng(0), 8)
    bad = dict(good)
    bad["fc.w"] = bad["fc.w"][:, :10]
    with pytest.raises(ValueError, match=r"member 1: weight fc\.w"):
        small_cnn.export([good, bad], tmp_path / "cnn.onnx", classes=8, temperature=1.0, name="test")
    with pytest.raises(ValueError, match="at least one member"):
        small_cnn.export([], tmp_path / "cnn.onnx", classes=8, temperature=1.0, name="test")


def test_folding_batch_norm_into_a_convolution_keeps_its_output() -> None:
    rng = np.random.default_rng(1)
    weight, bias = rng.normal(0, 1, (4, 2, 3, 3)), rng.normal(0, 1, 4)
    gamma, beta, mean, var = rng.uniform(0.5, 2, 4), rng.normal(0, 1, 4), rng.normal(0, 1, 4), rng.uniform(0.5, 2, 4)
    x = rng.normal(0, 1, (3, 2, 8, 8)).astype(np.float32)

    conv = small_cnn.conv3x3(x, weight.astype(np.float32), bias.astype(np.float32))
    normed = (conv - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    want = normed * gamma[None, :, None, None] + beta[None, :, None, None]
    folded = small_cnn.conv3x3(x, *small_cnn.fold_batch_norm(weight, bias, gamma, beta, mean, var))

    np.testing.assert_allclose(folded, want, atol=1e-4)
