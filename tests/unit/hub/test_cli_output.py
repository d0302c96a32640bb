"""The admin commands as an operator runs them: ``sortcentre`` as its own process, from another folder, with no
terminal (a script, a pipe, a cron job). Data files come from the hub's config, never from the current folder;
a missing password is one clear line; sites are checked; piped tables keep every name whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from hub.auth.principal import Role
from hub.auth.store import UserStore
from hub.keys import KeyStore
from tests.unit.hub.auth.conftest import cheap

CHECKOUT = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery"
LONG_LABEL = "Gemeente Zwartewaterland, afdeling afval en grondstoffen, contactpersoon J. de Vries-van Dam"[:80]


def sortcentre(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m sortcentre ...`` with no terminal: standard input a pipe (or nothing), output captured."""
    env = os.environ | {"PYTHONPATH": str(CHECKOUT), "COLUMNS": "80"}
    env = {k: v for k, v in env.items() if not k.startswith("SORTCENTRE_HUB_")}
    return subprocess.run(
        [sys.executable, "-m", "sortcentre", *args],
        cwd=cwd,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def hub_folder(tmp_path: Path) -> Path:
    """A hub's folder with its TOML file, whose data paths are relative: to this folder, not the caller's."""
    folder = tmp_path / "etc-sortcentre"
    folder.mkdir()
    (folder / "hub.toml").write_text(
        tomli_w.dumps({"keys": {"keys_file": "data/keys.sqlite"}, "auth": {"users_file": "data/users.sqlite"}})
    )
    return folder


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    folder = tmp_path / "somewhere-else"
    folder.mkdir()
    return folder


def test_keys_list_from_another_folder_creates_no_key_store_there(elsewhere: Path) -> None:
    listed = sortcentre("keys", "list", cwd=elsewhere)
    assert listed.returncode == 2
    message = listed.stderr.strip()
    assert "\n" not in message and f"no keys file at {elsewhere}/var/hub/keys.sqlite" in message
    assert "--config" in message and "Traceback" not in listed.stderr
    assert list(elsewhere.iterdir()) == []  # no var/hub/keys.sqlite made here
    for command in (("users", "list"), ("users", "remove", "jan"), ("keys", "revoke", "abcd1234")):
        assert sortcentre(*command, cwd=elsewhere).returncode == 2
    assert list(elsewhere.iterdir()) == []


def test_relative_paths_in_the_config_are_the_config_folders(hub_folder: Path, elsewhere: Path) -> None:
    config = str(hub_folder / "hub.toml")
    created = sortcentre(
        "keys", "create", "--scope", "volumes:read", "--site", "ommen", "--config", config, cwd=elsewhere
    )
    assert created.returncode == 0, created.stderr
    assert (hub_folder / "data" / "keys.sqlite").is_file() and list(elsewhere.iterdir()) == []
    (elsewhere / "deeper").mkdir()
    listed = sortcentre("keys", "list", "--config", config, cwd=elsewhere / "deeper")
    assert listed.returncode == 0 and "\tsite ommen\t" in listed.stdout


def test_users_add_without_a_terminal_says_so_in_one_line(hub_folder: Path, elsewhere: Path) -> None:
    config = str(hub_folder / "hub.toml")
    added = sortcentre("users", "add", "jan", "--site", "zwolle", "--config", config, cwd=elsewhere)
    assert added.returncode == 2
    assert added.stderr.strip().startswith("no terminal to ask the password on: send it on standard input with")
    assert len(added.stderr.strip().splitlines()) == 1
    assert "Warning" not in added.stderr and "Aborted" not in added.stderr and "Traceback" not in added.stderr
    empty = sortcentre("users", "add", "jan", "--site", "zwolle", "--password-stdin", "--config", config, cwd=elsewhere)
    assert (
        empty.returncode == 2 and empty.stderr.strip() == "standard input is empty: send the password as its first line"
    )


def test_users_add_refuses_a_site_the_hub_does_not_know(hub_folder: Path, elsewhere: Path) -> None:
    config = str(hub_folder / "hub.toml")
    refused = sortcentre(
        "users",
        "add",
        "jan",
        "--site",
        "nowhere",
        "--password-stdin",
        "--config",
        config,
        cwd=elsewhere,
        stdin=PASSWORD,
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("unknown site 'nowhere': not in reference data") and "zwolle" in refused.stderr
    users_file = hub_folder / "data" / "users.sqlite"
    assert not users_file.exists() or UserStore(users_file).users() == []
    sites = sortcentre("users", "sites", "jan", "--site", "nowhere", "--config", config, cwd=elsewhere)
    assert sites.returncode == 2 and "unknown site 'nowhere'" in sites.stderr


def test_piped_lists_keep_every_name_whole(hub_folder: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hub.auth.store.Passwords", cheap)
    data = hub_folder / "data"
    data.mkdir()
    keys = KeyStore(data / "keys.sqlite")
    key, _secret = keys.create(["volumes:read", "reports:read"], municipalities=["zwartewaterland"], label=LONG_LABEL)
    long_name = "supervisor.zwartewaterland-hasselt-genemuiden"
    UserStore(data / "users.sqlite").add(long_name, PASSWORD, Role.SUPERVISOR, ["zwartewaterland", "zwolle"])
    config = str(hub_folder / "hub.toml")
    listed = sortcentre("keys", "list", "--config", config, cwd=elsewhere)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0] == "id\tlabel\tscopes\tmunicipalities / sites\tcreated (UTC)\trevoked (UTC)"
    assert lines[1].startswith(f"{key.id}\t{LONG_LABEL}\treports:read, volumes:read\tZwartewaterland\t")
    users = sortcentre("users", "list", "--config", config, cwd=elsewhere)
    assert users.returncode == 0
    assert f"\n{long_name}\tsupervisor\tzwartewaterland, zwolle\t" in users.stdout
