"""``sortcentre keys ...`` through typer's runner, on a keys file named by a hub TOML file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from hub.fleet.registry import StationRegistry
from hub.keys import KeyStore, Scope
from hub.keys.cli import keys_app
from hub.reference import load_reference

runner = CliRunner()
KEY = re.compile(r"^sck_[a-z0-9]{8}_\S{32,}$", re.MULTILINE)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(tomli_w.dumps({"keys": {"keys_file": str(tmp_path / "keys.sqlite")}}))
    return path


def keys(config: Path, *args: str) -> tuple[int, str]:
    # Wide enough that rich's table does not wrap a cell in the middle of what a test looks for.
    result = runner.invoke(keys_app, [*args, "--config", str(config)], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def store(config: Path) -> KeyStore:
    return KeyStore(config.parent / "keys.sqlite")


def test_create_list_revoke(config: Path) -> None:
    code, out = keys(
        config, "create", "--scope", "volumes:read", "--municipality", "Dalfsen", "--label", "Gemeente Dalfsen"
    )
    assert code == 0, out
    assert "volumes:read; Dalfsen" in out and "shown this once" in out
    secret = KEY.search(out)
    assert secret is not None
    created = store(config).verify(secret[0])
    assert created is not None and created.municipalities == {"dalfsen"} and created.label == "Gemeente Dalfsen"

    code, out = keys(
        config, "create", "--scope", "volumes:read", "--scope", "reports:read", "--site", "ommen", "--site", "zwolle"
    )
    assert code == 0, out
    rova_secret = KEY.search(out)
    assert rova_secret is not None
    rova = store(config).verify(rova_secret[0])
    assert rova is not None and rova.scopes == set(Scope) and rova.sites == {"ommen", "zwolle"}

    code, out = keys(config, "list")
    assert code == 0
    assert created.id in out and "Gemeente Dalfsen" in out and "Dalfsen" in out
    # Not a terminal: tab-separated lines, every value whole.
    assert f"\n{rova.id}\t-\treports:read, volumes:read\tsite ommen, site zwolle\t" in out
    assert secret[0] not in out  # never shown again

    code, out = keys(config, "revoke", created.id)
    assert code == 0 and f"revoked {created.id} (Gemeente Dalfsen)" in out
    assert store(config).verify(secret[0]) is None
    code, out = keys(config, "list")
    assert re.search(rf"{created.id}.*\d{{4}}-\d\d-\d\d \d\d:\d\d\s.*\d{{4}}-\d\d-\d\d \d\d:\d\d", out), out


def test_clear_errors_with_exit_status_2(config: Path) -> None:
    cases = [
        (("create", "--scope", "volumes:read", "--municipality", "Kampen"), "no municipality 'Kampen'", 2),
        (("create", "--scope", "volumes:read"), "at least one municipality or site", 2),
        (("create", "--scope", "volumes:read", "--site", "Ommen!"), "site 'Ommen!' is not a slug", 2),
        (("create", "--scope", "volumes:write", "--site", "ommen"), "volumes:write", 2),
        (("revoke", "nothere1"), "no API key 'nothere1'", 2),
    ]
    for args, message, status in cases:
        code, out = keys(config, *args)
        assert (code, message in out) == (status, True), (args, code, out)
    assert store(config).keys() == []


def test_an_unknown_site_is_refused(config: Path) -> None:
    code, out = keys(config, "create", "--scope", "volumes:read", "--site", "nowhere")
    assert code == 2 and "unknown site 'nowhere': not in reference data" in out and "dalfsen" in out
    assert store(config).keys() == []


def test_a_registered_stations_site_outside_the_municipalities_gets_a_note(config: Path) -> None:
    # The registry file's default, relative to the hub TOML's folder.
    StationRegistry(config.parent / "var" / "hub" / "stations.sqlite").add(
        "kampen-1", "kampen", "textile", reload=False
    )
    code, out = keys(config, "create", "--scope", "volumes:read", "--site", "kampen")
    assert code == 0 and "note: site 'kampen' is in no municipality" in out


def test_the_reference_file_setting_is_used(tmp_path: Path, config: Path) -> None:
    reference = tmp_path / "reference.toml"
    edited = load_reference(None).model_dump(mode="json")
    edited["municipalities"].append({"slug": "kampen", "name": "Kampen", "sites": ["kampen"]})
    reference.write_text(tomli_w.dumps(edited))
    config.write_text(
        tomli_w.dumps({"reference_file": str(reference), "keys": {"keys_file": str(tmp_path / "keys.sqlite")}})
    )
    code, out = keys(config, "create", "--scope", "volumes:read", "--municipality", "kampen")
    assert code == 0 and "volumes:read; Kampen" in out, out


def test_a_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('[keys]\nkeys_fil = "x"\n')
    code, out = keys(path, "list")
    assert code == 2 and "keys.keys_fil: unknown key" in out
