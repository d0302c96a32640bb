"""``sortcentre fleet train`` through typer's runner: it trains on a site's captures named by a hub TOML file,
prints the comparison, and fails with a message on what it cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from firmware_mocks.captures import STREAM, write_dataset
from hub.fleet.train_cli import fleet_app

runner = CliRunner(env={"COLUMNS": "250"})  # rich wraps at 80 columns otherwise


@pytest.fixture
def config(tmp_path: Path) -> Path:
    write_dataset(tmp_path / "captures" / "zuid", 10, seed=0)
    path = tmp_path / "hub.toml"
    path.write_text(
        f'[learning]\ndataset_folder = "{tmp_path / "captures"}"\nmodels_folder = "{tmp_path / "trained"}"\n'
        f'rollouts_file = "{tmp_path / "rollouts.sqlite"}"\n'
    )
    return path


def test_train_prints_the_comparison_with_the_current_model(config: Path, tmp_path: Path) -> None:
    first = runner.invoke(fleet_app, ["train", "--site", "zuid", "--stream", STREAM, "--config", str(config)])
    assert first.exit_code == 0, first.output
    assert "offered: first model for this stream" in first.output
    (model,) = (tmp_path / "trained" / "zuid" / STREAM).glob("*/plastic-classifier.onnx")
    second = runner.invoke(
        fleet_app,
        ["train", "--site", "zuid", "--current", str(model), "--seed", "1", "--config", str(config)],
    )
    assert second.exit_code == 0, second.output
    assert "current: plastic-classifier@zuid-" in second.output and "held-out precision" in second.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--site", "noord"], "no captures of noord/plastic"),
        (["--site", "../zuid"], "is not a slug"),
        (["--site", "zuid", "--current", "/nonexistent.onnx"], "does not exist"),
    ],
)
def test_errors_exit_2_with_a_message(config: Path, args: list[str], says: str) -> None:
    result = runner.invoke(fleet_app, ["train", *args, "--config", str(config)])
    assert result.exit_code == 2
    assert says in result.output
