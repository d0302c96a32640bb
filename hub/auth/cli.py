"""``sortcentre users ...``: who may log in to the hub's dashboard, and which sites each of them sees.

Works on the hub's users file (``auth.users_file`` in the hub's TOML) while the hub runs: the hub looks a
session's user up on every request, so a removed, disabled or re-sited user notices at their next click.
Heavy modules are imported inside the commands: a station's ``sortcentre`` must not load FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from config.hub import HubSettings
    from hub.auth.store import UserStore

users_app = typer.Typer(help="Manage the dashboard's users: admins and per-site supervisors.", no_args_is_help=True)


class RoleName(StrEnum):  # the values of hub.auth.principal.Role, without importing FastAPI for --help
    ADMIN = "admin"
    SUPERVISOR = "supervisor"


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="hub TOML file, for its auth.users_file (environment SORTCENTRE_HUB_* overrides)"),
]
SitesOption = Annotated[list[str], typer.Option("--site", help="a site this supervisor sees (repeat for more)")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of standard input")
]
NameArgument = Annotated[str, typer.Argument(help="user name (lowercase letters, digits, '.', '_', '-')")]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _settings(config: Path | None) -> HubSettings:
    from config.files import ConfigError
    from config.hub import HubSettings

    try:
        return HubSettings.load(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@contextmanager
def _store(config: Path | None, *, create: bool = False) -> Iterator[UserStore]:
    """The users file named by the hub's settings (``create``: made if it is not there, for ``add``; the other
    commands refuse a missing file rather than make an empty one); any refusal of ours becomes a message and
    exit status 2."""
    from hub.auth.passwords import PasswordError
    from hub.auth.store import UserError, UserStore
    from hub.cli_output import MissingFileError, PasswordInputError, UnknownSiteError, existing_file

    settings = _settings(config)
    try:
        if not create:
            existing_file(settings.auth.users_file, "users file", "auth.users_file", config)
        yield UserStore.from_settings(settings.auth)
    except (UserError, PasswordError, MissingFileError, UnknownSiteError, PasswordInputError) as exc:
        raise _fail(str(exc)) from None


def _known(sites: Sequence[str], config: Path | None) -> None:
    """The sites must be ones the hub knows (reference data, registered stations): ``--site nowhere`` is a typo."""
    from config.files import ConfigError
    from hub.cli_output import UnknownSiteError, check_known_sites
    from hub.reference import load_reference

    settings = _settings(config)
    try:
        check_known_sites(sites, load_reference(settings.reference_file), settings.fleet.registry_file)
    except (ConfigError, UnknownSiteError) as exc:
        raise _fail(str(exc)) from None


def _name(username: str) -> str:
    return username.strip().lower()  # the login page does the same: "Jan" logs in as "jan"


def _password(from_stdin: bool) -> str:
    from hub.cli_output import read_password

    return read_password(from_stdin)  # PasswordInputError: one line, inside _store


@users_app.command("add")
def add_command(
    name: NameArgument,
    role: Annotated[RoleName, typer.Option(help="admin: every site; supervisor: only the --site ones")] = (
        RoleName.SUPERVISOR
    ),
    site: SitesOption = [],  # noqa: B006 - typer reads the default, it is never mutated
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
) -> None:
    """Add a user; the password is asked twice (or read from standard input)."""
    from hub.auth.passwords import PasswordError, check_new_password
    from hub.auth.principal import Role
    from hub.auth.store import check_sites, check_username

    with _store(config, create=True) as store:
        username = check_username(_name(name))
        check_sites(Role(role.value), site)  # before the prompt: no typing a password for nothing
        _known(site, config)
        if store.get(username) is not None:
            raise _fail(f"user {username!r} exists already")
        password = _password(password_stdin)
        try:
            check_new_password(password)
        except PasswordError as exc:
            raise _fail(str(exc)) from None
        user = store.add(username, password, Role(role.value), site)
    where = ", ".join(sorted(user.sites)) or "every site"
    typer.echo(f"added {user.username} ({user.role.value}: {where})")


@users_app.command("list")
def list_command(config: ConfigOption = None) -> None:
    """Show every user: role, sites, created, enabled, live sessions."""
    with _store(config) as store:
        users = store.users()
        sessions = store.session_counts()
        path = store.path
    from hub.cli_output import print_table

    if not users:
        typer.echo(f"no users in {path} yet: add one with 'sortcentre users add'")
        return
    print_table(
        f"users in {path}",
        ("user", "role", "sites", "created (UTC)", "state", "sessions"),
        [
            (
                user.username,
                user.role.value,
                ", ".join(sorted(user.sites)) if user.sites else "(all)" if user.role.value == "admin" else "-",
                user.created.strftime("%Y-%m-%d %H:%M"),
                "disabled" if user.disabled else "enabled",
                str(sessions.get(user.username, 0)),
            )
            for user in users
        ],
        wide=("user",),
    )


@users_app.command("remove")
def remove_command(name: NameArgument, config: ConfigOption = None) -> None:
    """Delete a user and end their sessions."""
    with _store(config) as store:
        store.remove(_name(name))
    typer.echo(f"removed {_name(name)}")


@users_app.command("passwd")
def passwd_command(name: NameArgument, password_stdin: PasswordStdin = False, config: ConfigOption = None) -> None:
    """Set a new password; the user's sessions end (log in again everywhere)."""
    from hub.auth.passwords import PasswordError, check_new_password

    with _store(config) as store:
        username = store.require(_name(name)).username
        password = _password(password_stdin)
        try:
            check_new_password(password)
        except PasswordError as exc:
            raise _fail(str(exc)) from None
        store.set_password(username, password)
    typer.echo(f"new password set for {username}; their sessions have ended")


@users_app.command("sites")
def sites_command(
    name: NameArgument,
    site: SitesOption = [],  # noqa: B006 - typer reads the default, it is never mutated
    config: ConfigOption = None,
) -> None:
    """Replace a supervisor's sites (takes effect on their next request)."""
    _known(site, config)
    with _store(config) as store:
        user = store.set_sites(_name(name), site)
    typer.echo(f"{user.username} now sees: {', '.join(sorted(user.sites))}")


@users_app.command("disable")
def disable_command(name: NameArgument, config: ConfigOption = None) -> None:
    """Stop a user from logging in, and end their sessions, without deleting them."""
    with _store(config) as store:
        store.set_disabled(_name(name), True)
    typer.echo(f"disabled {_name(name)}")


@users_app.command("enable")
def enable_command(name: NameArgument, config: ConfigOption = None) -> None:
    """Let a disabled user log in again."""
    with _store(config) as store:
        store.set_disabled(_name(name), False)
    typer.echo(f"enabled {_name(name)}")
