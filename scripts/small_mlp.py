"""The small network both trained vision models are: features -> one ReLU layer -> softmax, trained with numpy
(Adam, cosine learning rate, weight decay, class weights) and exported to ONNX with the standardisation folded into the
first layer, so the model takes its features as the reader computes them. Used by scripts/train_triangle_reader.py
(the resin-digit recogniser) and scripts/train_triangle_finder.py (the triangle finder)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


@dataclass(frozen=True)
class MlpSettings:
    hidden: int
    epochs: int
    batch: int
    learning_rate: float
    weight_decay: float
    input_dropout: float = 0.0  # share of inputs zeroed per batch (a few pixels lost, as dirt and glare do)


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def logits_of(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    return np.asarray(np.maximum(x @ weights["w1"] + weights["b1"], 0) @ weights["w2"] + weights["b2"])


def train(
    x: np.ndarray, y: np.ndarray, classes: int, class_weight: np.ndarray, settings: MlpSettings, seed: int
) -> dict[str, np.ndarray]:
    """Weights ``w1, b1, w2, b2`` for inputs as they come (standardised inside, folded back at the end)."""
    rng = np.random.default_rng(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-3
    xs = ((x - mean) / std).astype(np.float32)
    hidden = settings.hidden
    w1 = rng.normal(0, math.sqrt(2 / x.shape[1]), (x.shape[1], hidden)).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = rng.normal(0, math.sqrt(1 / hidden), (hidden, classes)).astype(np.float32)
    b2 = np.zeros(classes, np.float32)
    params = [w1, b1, w2, b2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    keep = 1.0 - settings.input_dropout
    for epoch in range(settings.epochs):
        order = rng.permutation(len(y))
        lr = settings.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / settings.epochs))
        loss_sum = 0.0
        for start in range(0, len(y), settings.batch):
            idx = order[start : start + settings.batch]
            xb, yb = xs[idx], y[idx]
            if settings.input_dropout:
                xb = xb * (rng.random(xb.shape) > settings.input_dropout) / keep
            h = np.maximum(xb @ w1 + b1, 0)
            p = softmax(h @ w2 + b2)
            wb = class_weight[yb][:, None]
            loss_sum += float(-(np.log(p[np.arange(len(yb)), yb] + 1e-9) * wb[:, 0]).sum())
            g = p.copy()
            g[np.arange(len(yb)), yb] -= 1
            g = g * wb / len(yb)
            gh = (g @ w2.T) * (h > 0)
            grads = [xb.T @ gh, gh.sum(axis=0), h.T @ g, g.sum(axis=0)]
            step += 1
            for i, (param, raw) in enumerate(zip(params, grads, strict=True)):
                grad = raw + settings.weight_decay * param if i % 2 == 0 else raw
                m[i] = 0.9 * m[i] + 0.1 * grad
                v[i] = 0.999 * v[i] + 0.001 * grad * grad
                param[...] -= lr * (m[i] / (1 - 0.9**step)) / (np.sqrt(v[i] / (1 - 0.999**step)) + 1e-8)  # in place
        print(f"epoch {epoch + 1}/{settings.epochs}: loss {loss_sum / len(y):.4f}")  # noqa: T201
    return {
        "w1": (w1 / std[:, None]).astype(np.float32),
        "b1": (b1 - (mean / std) @ w1).astype(np.float32),
        "w2": w2,
        "b2": b2,
    }


def export(
    weights: dict[str, np.ndarray],
    path: Path,
    *,
    name: str,
    features: int,
    classes: int,
    temperature: float | None = None,
) -> None:
    """The ONNX file: ``features`` (batch x features) in, ``probabilities`` (batch x classes) out; with
    ``temperature``, the logits are divided by it before the softmax (calibration)."""
    inits = [numpy_helper.from_array(weights[k].astype(np.float32), k) for k in ("w1", "b1", "w2", "b2")]
    nodes = [
        helper.make_node("Gemm", ["features", "w1", "b1"], ["hidden_in"]),
        helper.make_node("Relu", ["hidden_in"], ["hidden"]),
        helper.make_node("Gemm", ["hidden", "w2", "b2"], ["logits"]),
    ]
    if temperature is None:
        nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1))
    else:
        inits.append(numpy_helper.from_array(np.array([1.0 / temperature], np.float32), "inverse_temperature"))
        nodes.append(helper.make_node("Mul", ["logits", "inverse_temperature"], ["scaled"]))
        nodes.append(helper.make_node("Softmax", ["scaled"], ["probabilities"], axis=1))
    write_onnx(
        nodes,
        inits,
        helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", features]),
        classes,
        path,
        name,
    )


def write_onnx(
    nodes: list[onnx.NodeProto],
    inits: list[onnx.TensorProto],
    source: onnx.ValueInfoProto,
    classes: int,
    path: Path,
    name: str,
) -> None:
    """A hand-built graph (``source`` in, ``probabilities`` of ``classes`` out) checked and written as an opset-17
    ONNX file."""
    graph = helper.make_graph(
        nodes,
        name,
        [source],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", classes])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sortcentre")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
