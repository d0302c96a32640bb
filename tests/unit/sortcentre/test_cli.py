import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sortcentre.cli import _from_checkout, app

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


@pytest.mark.parametrize(
    ("command", "missing"),
    [
        (["demo", "--duration", "1"], ["sortcentre.demo", "sortcentre.demo.runner"]),
        (["sim", "--config", str(EXAMPLE)], ["firmware_mocks", "firmware_mocks.sorter"]),
    ],
)
def test_demo_and_sim_in_a_production_install_say_so_in_one_line(
    command: list[str], missing: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes an import fail as it does where the wheel left the package out.
    for name in missing:
        monkeypatch.setitem(sys.modules, name, None)
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert result.output.strip() == "the demo and the simulators run from a source checkout: make demo"


@pytest.mark.parametrize("name", ["rapidocr", "firmware_mocksx", "sortcentre.demos"])
def test_any_other_missing_module_still_raises(name: str) -> None:
    with pytest.raises(ModuleNotFoundError), _from_checkout():
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def test_demo_broker_choices_and_no_mqtt_port_on_nats(tmp_path: Path) -> None:
    assert "nats" in runner.invoke(app, ["demo", "--help"]).output
    wrong = runner.invoke(app, ["demo", "--var", str(tmp_path), "--broker", "rabbitmq"])
    assert wrong.exit_code == 2 and "rabbitmq" in wrong.output
    mixed = runner.invoke(app, ["demo", "--var", str(tmp_path), "--broker", "nats", "--mqtt-port", "1883"])
    assert mixed.exit_code == 2 and "--mqtt-port is Mosquitto's" in mixed.output
    assert not (tmp_path / "nats").exists()
