"""Model files and cards: what ships in edge/vision/weights checks out, and every way a file can be unusable is
refused by name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from core.package_data import data_path
from edge.vision.model_files import (
    ModelCard,
    ModelFileError,
    Preprocessing,
    TensorSpec,
    card_path,
    check_models_dir,
    file_sha256,
    load_model,
    main,
    read_card,
    write_card,
)

# The folder of the model files that ship in the package, found as an installed station finds them.
MODELS = data_path("edge.vision.weights")


def tiny_model(path: Path) -> Path:
    """An ONNX graph that doubles its input: loads in milliseconds, unlike the real backbone."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["y"])],
        "double",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def a_card(**changes: object) -> ModelCard:
    fields: dict[str, object] = {
        "name": "double",
        "version": "1",
        "kind": "backbone",
        "created": datetime(2026, 1, 1, tzinfo=UTC),
        "sha256": "0" * 64,
        "inputs": (TensorSpec(name="x", shape=(1, 2), meaning="numbers"),),
        "outputs": (TensorSpec(name="y", shape=(1, 2), meaning="twice the numbers"),),
        "preprocessing": Preprocessing(),
        "source": "made in a test",
        "licence": "none",
    }
    fields.update(changes)
    return ModelCard.model_validate(fields)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tiny_model(tmp_path / "double.onnx")
    write_card(path, a_card())
    return path


def test_card_sits_next_to_its_model() -> None:
    assert card_path(Path("models/plastic-classifier.onnx")) == Path("models/plastic-classifier.card.json")


def test_load_model_runs_a_file_that_matches_its_card(model: Path) -> None:
    session, card = load_model(model)
    assert card.sha256 == file_sha256(model)
    assert card.name == "double"
    out = session.run(["y"], {"x": np.array([[1.0, 2.5]], np.float32)})[0]
    np.testing.assert_array_equal(out, [[2.0, 5.0]])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"nothing\.onnx does not exist"):
        load_model(tmp_path / "nothing.onnx")


def test_missing_card(tmp_path: Path) -> None:
    path = tiny_model(tmp_path / "double.onnx")
    with pytest.raises(ModelFileError, match=r"double\.onnx has no card: expected double\.card\.json"):
        load_model(path)


def test_card_that_is_not_json(model: Path) -> None:
    card_path(model).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"card .*double\.card\.json of model file .*double\.onnx is not valid"):
        load_model(model)


def test_card_with_an_unknown_field(model: Path) -> None:
    data = json.loads(card_path(model).read_text(encoding="utf-8"))
    data["accuracy_claimed"] = 0.99
    card_path(model).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match="is not valid"):
        load_model(model)


def test_classifier_card_needs_classes() -> None:
    with pytest.raises(ValueError, match="at least two classes"):
        a_card(kind="classifier", classes=("pp",))


def test_flipped_bytes_do_not_match_the_card(model: Path) -> None:
    data = bytearray(model.read_bytes())
    data[-5] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"double\.onnx does not match its card: sha256"):
        load_model(model)


def test_file_onnxruntime_cannot_load(tmp_path: Path) -> None:
    path = tmp_path / "garbage.onnx"
    path.write_bytes(b"this is not a protobuf at all" * 10)
    write_card(path, a_card())  # the card matches, so only onnxruntime can refuse it
    with pytest.raises(ModelFileError, match=r"onnxruntime cannot load model file .*garbage\.onnx"):
        load_model(path)


def test_write_card_puts_the_files_own_sha256(model: Path) -> None:
    assert read_card(model).sha256 == file_sha256(model)
    assert read_card(model).sha256 != "0" * 64


def test_orphan_card_is_reported(model: Path) -> None:
    write_card(model, a_card())
    card_path(model).rename(model.parent / "gone.card.json")
    with pytest.raises(ModelFileError, match=r"double\.onnx has no card"):
        check_models_dir(model.parent)
    card_path(model).write_text((model.parent / "gone.card.json").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"gone\.card\.json has no model file"):
        check_models_dir(model.parent)


def test_main_exit_codes(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(model.parent)]) == 0
    assert "ok  double 1 (backbone)" in capsys.readouterr().out
    model.write_bytes(b"changed")
    assert main([str(model.parent)]) == 1
    assert "does not match its card" in capsys.readouterr().err


def test_shipped_models_match_their_cards() -> None:
    cards = {card.name: card for card in check_models_dir(MODELS)}
    # No item classifier head ships (sites train their own); the resin digit recogniser is the triangle reader's, the
    # triangle finder its scan's companion.
    assert sorted(cards) == ["efficientnet-lite0-features", "resin-digit", "resin-digit-cnn", "triangle-finder"]
    assert cards["resin-digit"].kind == "classifier"
    backbone = cards["efficientnet-lite0-features"]
    path = MODELS / f"{backbone.name}.onnx"
    assert path.stat().st_size < 15_000_000
    assert "ImageNet" in backbone.licence
    assert "research" in backbone.licence
    assert backbone.outputs[0].shape == ("batch", 1280)
    assert backbone.preprocessing == Preprocessing()
    assert backbone.metrics["max_abs_diff_vs_pytorch"] < 1e-4


def test_shipped_backbone_gives_1280_features() -> None:
    session, card = load_model(MODELS / "efficientnet-lite0-features.onnx")
    out = session.run(["features"], {"image": np.zeros((2, 3, 224, 224), np.float32)})[0]
    assert out.shape == (2, 1280)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[0], out[1], atol=1e-5)
    assert card.kind == "backbone"
