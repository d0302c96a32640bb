"""``sortcentre users ...`` through typer's runner, on a users file named by a hub TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.auth.principal import Role
from hub.auth.store import UserStore
from sortcentre.cli import app
from tests.unit.hub.auth.conftest import cheap

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real parameters take a second per hash on a busy test machine; test_passwords.py covers them."""
    monkeypatch.setattr("hub.auth.store.Passwords", cheap)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(f'[auth]\nusers_file = "{tmp_path / "users.sqlite"}"\n')
    return path


def users(config: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["users", *args, "--config", str(config)], input=stdin)
    return result.exit_code, result.output


def store(config: Path) -> UserStore:
    return UserStore(config.parent / "users.sqlite")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if typed at a terminal: the runner's standard input is none, and without one the prompt is refused."""
    monkeypatch.setattr("hub.cli_output.stdin_is_terminal", lambda: True)


@pytest.mark.usefixtures("terminal")
def test_add_list_and_log_in(config: Path) -> None:
    code, out = users(config, "add", "Jan", "--site", "zwolle", "--site", "ommen", "--password-stdin", stdin=PASSWORD)
    assert code == 0 and "added jan (supervisor: ommen, zwolle)" in out
    # Without --password-stdin it asks twice, hidden.
    code, out = users(config, "add", "boss", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0 and "added boss (admin: every site)" in out
    code, out = users(config, "list")
    assert code == 0
    assert "jan" in out and "ommen, zwolle" in out and "boss" in out and "(all)" in out and "enabled" in out
    jan = store(config).authenticate("jan", PASSWORD)
    assert jan is not None and jan.role is Role.SUPERVISOR
    assert store(config).authenticate("boss", PASSWORD) is not None


def test_clear_errors_with_exit_status_2(config: Path) -> None:
    users(config, "add", "jan", "--site", "zwolle", "--password-stdin", stdin=PASSWORD)
    cases = [
        (("add", "piet", "--password-stdin"), PASSWORD, "a supervisor needs at least one site"),
        (("add", "piet", "--site", "Zwolle!", "--password-stdin"), PASSWORD, "'Zwolle!' is not a slug"),
        (("add", "piet", "--site", "zwolle", "--password-stdin"), "short", "at least 10 characters"),
        (("add", "boss", "--role", "admin", "--site", "zwolle", "--password-stdin"), PASSWORD, "every site"),
        (("add", "jan", "--site", "zwolle", "--password-stdin"), PASSWORD, "exists already"),
        (("add", "jan smit", "--site", "zwolle", "--password-stdin"), PASSWORD, "user name 'jan smit'"),
        (("remove", "nobody"), None, "no user 'nobody'"),
        (("passwd", "nobody", "--password-stdin"), PASSWORD, "no user 'nobody'"),
        (("passwd", "jan", "--password-stdin"), "short", "at least 10 characters"),
        (("sites", "nobody", "--site", "zwolle"), None, "no user 'nobody'"),
        (("sites", "jan", "--site", "BAD"), None, "not a slug"),
        (("sites", "jan"), None, "at least one site"),
        (("disable", "nobody"), None, "no user 'nobody'"),
        (("enable", "nobody"), None, "no user 'nobody'"),
    ]
    for args, stdin, message in cases:
        code, out = users(config, *args, stdin=stdin)
        assert (code, message in out) == (2, True), (args, code, out)
    assert [u.username for u in store(config).users()] == ["jan"]
    assert store(config).require("jan").sites == {"zwolle"}


def test_a_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "hub.toml"
    bad.write_text("[auth]\nuser_file = 'x'\n")
    result = runner.invoke(app, ["users", "list", "--config", str(bad)])
    assert result.exit_code == 2 and "auth.user_file: unknown key" in result.output


def test_passwd_sites_disable_enable_remove(config: Path) -> None:
    users(config, "add", "jan", "--site", "zwolle", "--password-stdin", stdin=PASSWORD)
    token = store(config).open_session("jan")

    code, out = users(config, "sites", "jan", "--site", "dalfsen", "--site", "ommen")
    assert code == 0 and "jan now sees: dalfsen, ommen" in out
    session = store(config).session(token)
    assert session is not None and session.principal.sites == {"dalfsen", "ommen"}

    code, out = users(config, "passwd", "jan", "--password-stdin", stdin="a new good password\n")
    assert code == 0 and "sessions have ended" in out
    assert store(config).session(token) is None
    assert store(config).authenticate("jan", PASSWORD) is None
    assert store(config).authenticate("jan", "a new good password") is not None

    assert users(config, "disable", "jan")[0] == 0
    assert "disabled" in users(config, "list")[1]
    assert store(config).authenticate("jan", "a new good password") is None
    assert users(config, "enable", "jan")[0] == 0
    assert store(config).authenticate("jan", "a new good password") is not None

    code, out = users(config, "remove", "jan")
    assert code == 0 and "removed jan" in out
    assert "no users" in users(config, "list")[1]


@pytest.mark.usefixtures("terminal")
def test_the_prompt_asks_for_the_password_twice(config: Path) -> None:
    code, out = users(
        config, "add", "jan", "--site", "zwolle", stdin=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert code == 0 and "do not match" in out
    assert store(config).authenticate("jan", PASSWORD) is not None
