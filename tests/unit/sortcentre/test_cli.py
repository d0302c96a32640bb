from pathlib import Path

import pytest
from typer.testing import CliRunner

from sortcentre.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "station.toml"


def test_help_lists_the_subcommands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "hub", "station", "sim", "users", "vision", "keys"):
        assert command in result.output


@pytest.mark.parametrize("command", ["demo", "hub", "station", "sim", "users", "vision", "keys"])
def test_each_subcommand_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "--" in result.output


def test_station_check_validates_only(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["station", "--config", str(EXAMPLE), "--check"])
    assert ok.exit_code == 0 and "zwolle-plastic-1" in ok.output
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("[journal]", "[journal]\nsize = 3"))
    failed = runner.invoke(app, ["station", "--config", str(bad), "--check"])
    assert failed.exit_code == 2 and "journal.size: unknown key" in failed.output


def test_hub_check_and_bad_log_level(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('http_port = 8081\n[influx]\nurl = "http://127.0.0.1:8086"\ntoken = "abc"\n')
    assert runner.invoke(app, ["hub", "--config", str(config), "--check"]).exit_code == 0
    config.write_text("[influx]\nurll = 1\n")
    failed = runner.invoke(app, ["hub", "--config", str(config), "--check"])
    assert failed.exit_code == 2 and "influx.urll: unknown key" in failed.output
    bad_level = runner.invoke(app, ["--log-level", "loud", "hub", "--check"])
    assert bad_level.exit_code != 0 and "loud" in bad_level.output
