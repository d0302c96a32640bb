"""Appends a trained head to the backbone's ONNX graph, so a station runs one file: image in, probabilities out.

    image (batch, 3, 224, 224) -> backbone -> features (batch, 1280) -> Gemm(W, b) -> Softmax -> probabilities

W and b already hold the feature standardisation and the fitted temperature (:meth:`LinearHead.folded`). The features
stay a second output, so the station can store them beside a confirmed capture without a second pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from edge.vision.classifier.backbone import FEATURES

PROBABILITIES = "probabilities"
_LOGITS = "head_logits"


def append_head(
    backbone: Path,
    out: Path,
    weights: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    *,
    classes: tuple[str, ...],
    doc: str = "",
) -> None:
    """Write ``backbone`` + Gemm(``weights``, ``bias``) + Softmax to ``out``."""
    if weights.shape != (weights.shape[0], len(classes)) or bias.shape != (len(classes),):
        raise ValueError(f"head of shape {weights.shape} + {bias.shape} does not fit {len(classes)} classes")
    model = onnx.load(str(backbone))
    graph = model.graph
    if [o.name for o in graph.output] != [FEATURES]:
        raise ValueError(f"{backbone} is not a feature backbone: outputs {[o.name for o in graph.output]}")
    features_output = graph.output[0]
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.ascontiguousarray(weights, np.float32), "head_weight"),
            numpy_helper.from_array(np.ascontiguousarray(bias, np.float32), "head_bias"),
        ]
    )
    graph.node.extend(
        [
            helper.make_node("Gemm", [FEATURES, "head_weight", "head_bias"], [_LOGITS], name="head_gemm"),
            helper.make_node("Softmax", [_LOGITS], [PROBABILITIES], name="head_softmax", axis=1),
        ]
    )
    del graph.output[:]
    graph.output.extend(
        [helper.make_tensor_value_info(PROBABILITIES, TensorProto.FLOAT, ["batch", len(classes)]), features_output]
    )
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, {"classes": json.dumps(list(classes))})
    model.doc_string = doc
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
