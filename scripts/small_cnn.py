"""The triangle reader's convolutional digit recogniser as plain arrays: its layers, a numpy forward pass, and the
ONNX file written from the arrays (``scripts/train_triangle_cnn.py`` trains it with PyTorch and hands its weights
here, batch norm folded into the convolutions).

One member network: input ``crops`` (batch x 2 x 32 x 32, ``edge.vision.triangle_reader.view_crops``); five 3x3
convolutions (padding 1) with ReLU, a 2x2 max-pool after the second, the fourth and the fifth; flattened (channel,
row, column), a dense layer of 128 with ReLU, a dense layer to the class logits.

The file holds an ensemble of such members, each run on the crops and on their negative (a sunk marking under the
same light, or light ink on dark plastic, is the negative of a raised one): the class log-probabilities of every member
and sign are averaged, divided by the temperature, and put through a softmax. That is the normalised geometric mean
of the members' two-sided probabilities: a class keeps its probability only where every member gives it one, and the
answer does not depend on the relief's sign. The ONNX graph is built by hand, as ``small_mlp.export`` does: the file
does not depend on an exporter's version, and the numpy pass checks it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from scripts.small_mlp import write_onnx

CHANNELS = (2, 24, 24, 48, 48, 64)  # input, then each convolution's output
POOL_AFTER = (2, 4, 5)  # convolutions (1-based) followed by a 2x2 max-pool
HIDDEN = 128
SIDE = 32
FLAT = CHANNELS[-1] * (SIDE // 2 ** len(POOL_AFTER)) ** 2


def shapes(classes: int) -> dict[str, tuple[int, ...]]:
    """Every weight array's name and shape."""
    out: dict[str, tuple[int, ...]] = {}
    for i in range(1, len(CHANNELS)):
        out[f"conv{i}.w"] = (CHANNELS[i], CHANNELS[i - 1], 3, 3)
        out[f"conv{i}.b"] = (CHANNELS[i],)
    out["fc.w"], out["fc.b"] = (HIDDEN, FLAT), (HIDDEN,)
    out["out.w"], out["out.b"] = (classes, HIDDEN), (classes,)
    return out


def fold_batch_norm(
    weight: np.ndarray, bias: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A convolution followed by batch norm (inference statistics, eps 1e-5) as one convolution."""
    scale = gamma / np.sqrt(var + 1e-5)
    return (weight * scale[:, None, None, None]).astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32)


def conv3x3(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    _, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    columns = np.stack([padded[:, :, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)], axis=2)
    # columns: n, c, 9, h, w; weight: out, c, 3, 3 -> out, c, 9
    out = np.einsum("nckhw,ock->nohw", columns, weight.reshape(weight.shape[0], c, 9))
    return np.asarray(out + bias[None, :, None, None], np.float32)


def _pool2(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    return np.asarray(x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5)), np.float32)


def logits(weights: dict[str, np.ndarray], crops: np.ndarray) -> np.ndarray:
    """One member's class logits for ``crops`` (batch x 2 x 32 x 32)."""
    x = crops.astype(np.float32)
    for i in range(1, len(CHANNELS)):
        x = np.maximum(conv3x3(x, weights[f"conv{i}.w"], weights[f"conv{i}.b"]), 0)
        if i in POOL_AFTER:
            x = _pool2(x)
    hidden = np.maximum(x.reshape(len(x), -1) @ weights["fc.w"].T + weights["fc.b"], 0)
    return np.asarray(hidden @ weights["out.w"].T + weights["out.b"], np.float32)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return np.asarray(z - np.log(np.exp(z).sum(axis=1, keepdims=True)), np.float32)


def mean_log_probabilities(members: list[dict[str, np.ndarray]], crops: np.ndarray) -> np.ndarray:
    """The members' class log-probabilities on the crops and on their negative, averaged (before the temperature)."""
    parts = [_log_softmax(logits(w, sign * crops)) for w in members for sign in (1.0, -1.0)]
    return np.asarray(np.mean(parts, axis=0), np.float32)


def forward(members: list[dict[str, np.ndarray]], crops: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities for ``crops`` (batch x 2 x 32 x 32), as the ONNX file computes them."""
    z = mean_log_probabilities(members, crops) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), np.float32)


def _member_nodes(k: int, source: str) -> tuple[list[onnx.NodeProto], str]:
    """Member ``k``'s layers on ``source`` (``crops`` or ``negative``): its nodes and the name of its log-softmax."""
    nodes = []
    tag = f"m{k}.{source}"
    current = source
    for i in range(1, len(CHANNELS)):
        nodes.append(
            helper.make_node(
                "Conv",
                [current, f"m{k}.conv{i}.w", f"m{k}.conv{i}.b"],
                [f"{tag}.conv{i}"],
                kernel_shape=[3, 3],
                pads=[1, 1, 1, 1],
            )
        )
        nodes.append(helper.make_node("Relu", [f"{tag}.conv{i}"], [f"{tag}.relu{i}"]))
        current = f"{tag}.relu{i}"
        if i in POOL_AFTER:
            nodes.append(
                helper.make_node("MaxPool", [current], [f"{tag}.pool{i}"], kernel_shape=[2, 2], strides=[2, 2])
            )
            current = f"{tag}.pool{i}"
    nodes += [
        helper.make_node("Flatten", [current], [f"{tag}.flat"], axis=1),
        helper.make_node("Gemm", [f"{tag}.flat", f"m{k}.fc.w", f"m{k}.fc.b"], [f"{tag}.hidden_in"], transB=1),
        helper.make_node("Relu", [f"{tag}.hidden_in"], [f"{tag}.hidden"]),
        helper.make_node("Gemm", [f"{tag}.hidden", f"m{k}.out.w", f"m{k}.out.b"], [f"{tag}.logits"], transB=1),
        helper.make_node("LogSoftmax", [f"{tag}.logits"], [f"{tag}.log_p"], axis=1),
    ]
    return nodes, f"{tag}.log_p"


def export(members: list[dict[str, np.ndarray]], path: Path, *, classes: int, temperature: float, name: str) -> None:
    """The ONNX file: ``crops`` (batch x 2 x 32 x 32) in, ``probabilities`` (batch x classes) out."""
    if not members:
        msg = "an ensemble needs at least one member"
        raise ValueError(msg)
    expected = shapes(classes)
    inits = []
    for k, weights in enumerate(members):
        for key, shape in expected.items():
            if weights[key].shape != shape:
                msg = f"member {k}: weight {key} has shape {weights[key].shape}, not {shape}"
                raise ValueError(msg)
            inits.append(numpy_helper.from_array(weights[key].astype(np.float32), f"m{k}.{key}"))
    nodes = [helper.make_node("Neg", ["crops"], ["negative"])]
    outputs = []
    for k in range(len(members)):
        for source in ("crops", "negative"):
            member, output = _member_nodes(k, source)
            nodes += member
            outputs.append(output)
    scale = 1.0 / (len(outputs) * temperature)
    inits.append(numpy_helper.from_array(np.array([scale], np.float32), "mean_over_temperature"))
    nodes += [
        helper.make_node("Sum", outputs, ["log_p_sum"]),
        helper.make_node("Mul", ["log_p_sum", "mean_over_temperature"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["probabilities"], axis=1),
    ]
    source = helper.make_tensor_value_info("crops", TensorProto.FLOAT, ["batch", CHANNELS[0], SIDE, SIDE])
    write_onnx(nodes, inits, source, classes, path, name)
