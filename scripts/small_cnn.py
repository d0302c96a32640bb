"""The triangle reader's convolutional digit recogniser as plain arrays: its layers, a numpy forward pass, and the
ONNX file written from the arrays (``scripts/train_triangle_cnn.py`` trains it with PyTorch and hands its weights
here, batch norm folded into the convolutions).

Input: ``crops`` (batch x 2 x 32 x 32, ``edge.vision.triangle_reader.view_crops``). Five 3x3 convolutions (padding 1)
with ReLU, a 2x2 max-pool after the second, the fourth and the fifth; flattened (channel, row, column), a dense layer
of 128 with ReLU, a dense layer to the classes, the logits over the temperature, softmax. The ONNX graph is built by
hand, as ``small_mlp.export`` does: the file does not depend on an exporter's version, and the numpy pass checks it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

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


def forward(weights: dict[str, np.ndarray], crops: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities for ``crops`` (batch x 2 x 32 x 32), as the ONNX file computes them."""
    x = crops.astype(np.float32)
    for i in range(1, len(CHANNELS)):
        x = np.maximum(conv3x3(x, weights[f"conv{i}.w"], weights[f"conv{i}.b"]), 0)
        if i in POOL_AFTER:
            x = _pool2(x)
    hidden = np.maximum(x.reshape(len(x), -1) @ weights["fc.w"].T + weights["fc.b"], 0)
    logits = (hidden @ weights["out.w"].T + weights["out.b"]) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return np.asarray(e / e.sum(axis=1, keepdims=True), np.float32)


def export(weights: dict[str, np.ndarray], path: Path, *, classes: int, temperature: float, name: str) -> None:
    """The ONNX file: ``crops`` (batch x 2 x 32 x 32) in, ``probabilities`` (batch x classes) out."""
    expected = shapes(classes)
    for key, shape in expected.items():
        if weights[key].shape != shape:
            msg = f"weight {key} has shape {weights[key].shape}, not {shape}"
            raise ValueError(msg)
    inits = [numpy_helper.from_array(weights[key].astype(np.float32), key) for key in expected]
    nodes = []
    current = "crops"
    for i in range(1, len(CHANNELS)):
        nodes.append(
            helper.make_node(
                "Conv", [current, f"conv{i}.w", f"conv{i}.b"], [f"conv{i}"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]
            )
        )
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"]))
        current = f"relu{i}"
        if i in POOL_AFTER:
            nodes.append(helper.make_node("MaxPool", [current], [f"pool{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            current = f"pool{i}"
    nodes += [
        helper.make_node("Flatten", [current], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["hidden_in"], transB=1),
        helper.make_node("Relu", ["hidden_in"], ["hidden"]),
        helper.make_node("Gemm", ["hidden", "out.w", "out.b"], ["logits"], transB=1),
        helper.make_node("Mul", ["logits", "inverse_temperature"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["probabilities"], axis=1),
    ]
    inits.append(numpy_helper.from_array(np.array([1.0 / temperature], np.float32), "inverse_temperature"))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("crops", TensorProto.FLOAT, ["batch", CHANNELS[0], SIDE, SIDE])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", classes])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sortcentre")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
