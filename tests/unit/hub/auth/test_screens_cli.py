"""``sortcentre screens ...`` through typer's runner, on a users file named by a hub TOML file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.auth.screens import ScreenStore
from sortcentre.cli import app

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(
        f'[auth]\nusers_file = "{tmp_path / "users.sqlite"}"\n\n[web]\npublic_url = "https://hub.example.nl"\n'
    )
    return path


def screens(config: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["screens", *args, "--config", str(config)])
    return result.exit_code, result.output


def test_add_prints_the_pairing_link_once_then_list_and_revoke(config: Path) -> None:
    code, out = screens(config, "add", "--site", "zwolle", "--label", "hal Zwolle")
    assert code == 0, out
    link = re.search(r"https://hub\.example\.nl/wall\?site=zwolle#pair=(scw_([a-z0-9]{8})_\S+)", out)
    assert link is not None, out
    token, screen_id = link.group(1), link.group(2)
    store = ScreenStore(config.parent / "users.sqlite")
    assert store.authenticate(token) is not None

    code, out = screens(config, "list")
    assert code == 0 and screen_id in out and "hal Zwolle" in out and "active" in out
    assert token not in out

    code, out = screens(config, "revoke", screen_id)
    assert code == 0 and f"revoked screen {screen_id}" in out
    assert store.authenticate(token) is None
    assert "revoked" in screens(config, "list")[1]


def test_clear_errors_with_exit_status_2(config: Path) -> None:
    code, out = screens(config, "add", "--site", "nowhere")
    assert code == 2 and "'nowhere' is not in the reference data" in out
    code, out = screens(config, "revoke", "nosuchid")
    assert code == 2 and "no screen 'nosuchid'" in out
    code, out = screens(config, "list")
    assert code == 0 and "no screens" in out
