"""`sortcentre vision train` then `sortcentre vision eval`, end to end, and the trained file in the station."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from config.vision import VisionConfig
from edge.stations.vision_link import CameraVision
from edge.vision.answer import Prediction, Source
from edge.vision.suggester import Suggester
from firmware_mocks.captures import CLASSES, STREAM, render, write_dataset
from sortcentre.cli import app

runner = CliRunner()


class StillCamera:
    """A camera that always shows the same frame."""

    def __init__(self, frame: np.ndarray) -> None:
        self.frame = frame

    def latest(self, max_age_s: float) -> np.ndarray:
        return self.frame


def test_train_then_eval_then_the_station_uses_the_model(tmp_path: Path) -> None:
    captures = write_dataset(tmp_path / "captures", 12, seed=0)
    unseen = write_dataset(tmp_path / "unseen", 5, seed=1)
    out = tmp_path / "models"

    trained = runner.invoke(app, ["vision", "train", str(captures), "--stream", STREAM, "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    model = out / f"{STREAM}-classifier.onnx"
    assert model.exists() and (out / f"{STREAM}-classifier.card.json").exists()
    assert "test accuracy" in trained.output

    evaluated = runner.invoke(app, ["vision", "eval", str(unseen), "--model", str(model), "--threshold", "0.5"])
    assert evaluated.exit_code == 0, evaluated.output
    accuracy = re.search(r"accuracy ([\d.]+)%", evaluated.output)
    assert accuracy is not None and float(accuracy.group(1)) >= 80.0, evaluated.output
    assert "confusion matrix" in evaluated.output and "coverage" in evaluated.output

    # The station loads the trained file through the same suggester; a plain frame has no marking, so the
    # classifier answers.
    suggester = Suggester(VisionConfig(classifier=model, thresholds={STREAM: 0.5}), list(CLASSES))
    assert suggester.problems == []
    frame = render("groen", np.random.default_rng(7))
    vision = CameraVision(
        suggester,
        StillCamera(frame),
        STREAM,
        "zwolle",
        "zwolle-plastic-1",
        frame_delay_s=0,
        max_frame_age_s=1,  # type: ignore[arg-type]
    )
    try:
        vision.begin()
        for _ in range(200):
            done, wire = vision.poll()
            if done:
                break
            time.sleep(0.05)
        assert done and wire is not None and wire.label == "groen"
        assert isinstance(vision.last_answer, Prediction) and vision.last_answer.source is Source.CLASSIFIER
        assert wire.model_version.startswith(f"{STREAM}-classifier")
    finally:
        vision.close()


def test_eval_of_a_folder_without_truth_or_model_says_what_to_do(tmp_path: Path) -> None:
    captures = write_dataset(tmp_path / "captures", 2, seed=0)
    result = runner.invoke(app, ["vision", "eval", str(captures)])
    assert result.exit_code == 2 and "--model" in result.output


def test_train_on_too_little_data_fails_clearly(tmp_path: Path) -> None:
    captures = write_dataset(tmp_path / "captures", 1, seed=0)
    result = runner.invoke(app, ["vision", "train", str(captures), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and result.output.strip()
