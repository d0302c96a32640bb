"""``sortcentre stations ...`` through typer's runner, on a registry and broker files named by a hub TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from config.station import StationConfig
from hub.broker_accounts import HUB_USER, BrokerAccounts
from hub.fleet.bundle import PASSWORD_FILE, STATION_FILE, TOKEN_FILE
from hub.fleet.cli import stations_app
from hub.fleet.registry import StationRegistry

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    accounts = BrokerAccounts(tmp_path / "broker")
    accounts.add_hub(HUB_USER)
    accounts.write()
    path = tmp_path / "hub.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "mqtt": {"host": "127.0.0.1", "port": 1883},
                "fleet": {"registry_file": str(tmp_path / "stations.sqlite"), "broker_folder": str(accounts.folder)},
            }
        )
    )
    return path


def stations(config: Path, *args: str) -> tuple[int, str]:
    # Wide enough that rich's table does not wrap a cell in the middle of what a test looks for.
    result = runner.invoke(stations_app, [*args, "--config", str(config)], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def registry(config: Path) -> StationRegistry:
    return StationRegistry(config.parent / "stations.sqlite")


def test_add_writes_a_bundle_the_station_loads_list_and_retire(config: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    code, out = stations(
        config,
        "add",
        "zwolle-plastic-1",
        "--site",
        "zwolle",
        "--stream",
        "plastic",
        "--out",
        str(bundle),
        "--station-dir",
        str(bundle),
        "--mqtt-host",
        "hub.zwolle.local",
        "--hub-url",
        "https://hub.zwolle.local",
    )
    assert code == 0, out
    assert "added station zwolle-plastic-1" in out and "reload the broker" in out  # no pid file configured
    for secret in (PASSWORD_FILE, TOKEN_FILE):
        assert (bundle / secret).stat().st_mode & 0o777 == 0o600
    loaded = StationConfig.load(bundle / STATION_FILE)
    assert (loaded.station.id, loaded.station.site, loaded.station.stream) == ("zwolle-plastic-1", "zwolle", "plastic")
    assert (loaded.mqtt.host, loaded.mqtt.port, loaded.mqtt.username) == ("hub.zwolle.local", 1883, "zwolle-plastic-1")
    assert loaded.mqtt.password_file == str(bundle / PASSWORD_FILE) and loaded.mqtt.password is None
    token = (bundle / TOKEN_FILE).read_text().strip()
    assert loaded.hub.url == "https://hub.zwolle.local" and loaded.hub.upload_token_file == bundle / TOKEN_FILE
    record = registry(config).station_for_token(token)
    assert record is not None and record.id == "zwolle-plastic-1"
    assert BrokerAccounts.read(tmp_path / "broker").sites == {"zwolle-plastic-1": "zwolle"}
    assert (bundle / PASSWORD_FILE).read_text().strip() not in (tmp_path / "broker" / "passwd").read_text()

    code, out = stations(config, "add", "zwolle-plastic-1", "--site", "zwolle", "--stream", "plastic", "--out", "x")
    assert code == 2 and "already added" in out
    code, out = stations(config, "add", "z2", "--site", "zwolle", "--stream", "plastic", "--out", str(bundle))
    assert code == 2 and "not empty" in out and registry(config).get("z2") is None

    code, out = stations(config, "list")
    assert code == 0 and "zwolle-plastic-1" in out and "in service" in out

    code, out = stations(config, "retire", "zwolle-plastic-1")
    assert code == 0 and "retired zwolle-plastic-1" in out
    assert registry(config).station_for_token(token) is None
    assert BrokerAccounts.read(tmp_path / "broker").sites == {}
    code, out = stations(config, "list")
    assert "retired" in out
    code, out = stations(config, "retire", "nobody")
    assert code == 2 and "no station 'nobody'" in out


def test_a_template_gives_the_hardware_and_never_its_identity(config: Path, tmp_path: Path) -> None:
    template = Path(__file__).parents[4] / "docs" / "examples" / "station.toml"
    bundle = tmp_path / "bundle"
    code, out = stations(
        config, "add", "ommen-textile-2", "--site", "ommen", "--stream", "textile", "--out", str(bundle),
        "--template", str(template),
    )  # fmt: skip
    assert code == 0, out
    loaded = StationConfig.load(bundle / STATION_FILE)
    example = StationConfig.load(template)
    assert loaded.station.id == "ommen-textile-2" and loaded.mqtt.username == "ommen-textile-2"
    assert loaded.scale == example.scale and loaded.categories == example.categories
    assert loaded.mqtt.password_file == f"/etc/sortcentre/{PASSWORD_FILE}"


def test_list_of_an_empty_registry_and_a_bad_config(config: Path, tmp_path: Path) -> None:
    code, out = stations(config, "list")
    assert code == 0 and "no stations" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[fleet]\nregistry_fil = "x"\n')
    code, out = stations(bad, "list")
    assert code == 2 and "fleet.registry_fil: unknown key" in out


def test_rotate_token_writes_a_new_token_the_hub_knows_and_refuses_the_old(config: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    code, _ = stations(
        config, "add", "zwolle-plastic-1", "--site", "zwolle", "--stream", "plastic", "--out", str(bundle)
    )
    assert code == 0
    old = (bundle / TOKEN_FILE).read_text().strip()
    new_file = tmp_path / "new-token"
    code, out = stations(config, "rotate-token", "zwolle-plastic-1", "--out", str(new_file))
    assert code == 0, out
    assert "new upload token for zwolle-plastic-1" in out
    new = new_file.read_text().strip()
    assert new not in out  # the secret is in the file only
    assert new_file.stat().st_mode & 0o777 == 0o600
    records = registry(config)
    assert records.station_for_token(old) is None
    found = records.station_for_token(new)
    assert found is not None and found.id == "zwolle-plastic-1"
    code, out = stations(config, "rotate-token", "zwolle-plastic-1", "--out", str(new_file))
    assert code == 2 and "exists" in out  # never overwrites a file
    code, out = stations(config, "rotate-token", "nobody-1", "--out", str(tmp_path / "other"))
    assert code == 2 and "not in service" in out
    assert not (tmp_path / "other").exists()
