"""``sortcentre screens ...``: pair a supervisor's wall screen with one site, list the screens, revoke one
(docs/dashboard.md, "Wall screen").

Works on the hub's users file (``auth.users_file``) while the hub runs: the hub looks a screen's token up on every
request, so a revoked screen shows "not paired" at its next refresh. Heavy modules are imported inside the
commands: a station's ``sortcentre`` must not load FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hub.auth.screens import ScreenStore

screens_app = typer.Typer(
    help="Pair wall screens: a read-only view of one site's stations without a login.", no_args_is_help=True
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="hub TOML file, for its auth.users_file, reference_file and web.public_url "
        "(environment SORTCENTRE_HUB_* overrides)",
    ),
]


@dataclass
class _Hub:
    screens: ScreenStore
    sites: frozenset[str]  # the reference data's
    public_url: str | None


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


@contextmanager
def _hub(config: Path | None) -> Iterator[_Hub]:
    """The screens table named by the hub's settings; any refusal of ours becomes a message and exit status 2."""
    from config.files import ConfigError
    from config.hub import HubSettings
    from hub.auth.screens import ScreenError, ScreenStore
    from hub.reference import load_reference

    try:
        settings = HubSettings.load(config)
        reference = load_reference(settings.reference_file)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    try:
        yield _Hub(ScreenStore(settings.auth.users_file), reference.sites, settings.web.public_url)
    except ScreenError as exc:
        raise _fail(str(exc)) from None


@screens_app.command("add")
def add_command(
    site: Annotated[str, typer.Option("--site", help="the one site this screen shows")],
    label: Annotated[str, typer.Option(help="where the screen hangs, e.g. 'hal Zwolle'")] = "",
    config: ConfigOption = None,
) -> None:
    """Pair a new screen: prints the link to open on it once (the token is shown only now)."""
    from hub.auth.screens import pair_path

    with _hub(config) as hub:
        if site not in hub.sites:
            raise _fail(f"site {site!r} is not in the reference data (known: {', '.join(sorted(hub.sites))})")
        screen, token = hub.screens.create(site, label, created_by="cli")
    link = pair_path(screen.site, token)
    where = f"{hub.public_url.rstrip('/')}{link}" if hub.public_url else f"http://<hub>{link}"
    typer.echo(f"screen {screen.id} for site {screen.site} ({screen.label or 'no label'})")
    typer.echo(f"open this once on the screen (the token is not shown again):\n{where}")


@screens_app.command("list")
def list_command(config: ConfigOption = None) -> None:
    """Show every screen: site, label, created, last seen, revoked."""
    with _hub(config) as hub:
        screens = hub.screens.screens()
        path = hub.screens.path
    table = Table(title=f"wall screens in {path}", title_justify="left")
    for column in ("screen", "site", "label", "created (UTC)", "last seen (UTC)", "state"):
        table.add_column(column, overflow="fold")
    for screen in screens:
        table.add_row(
            screen.id,
            screen.site,
            screen.label or "-",
            screen.created.strftime("%Y-%m-%d %H:%M"),
            screen.last_seen.strftime("%Y-%m-%d %H:%M") if screen.last_seen else "never",
            f"[red]revoked {screen.revoked_at:%Y-%m-%d %H:%M}[/]" if screen.revoked_at else "active",
        )
    empty = f"no screens in {path} yet: pair one with 'sortcentre screens add'"
    Console(highlight=False).print(table if screens else empty)


@screens_app.command("revoke")
def revoke_command(
    screen_id: Annotated[str, typer.Argument(metavar="SCREEN", help="the screen's id, from 'screens list'")],
    config: ConfigOption = None,
) -> None:
    """Revoke a screen's token: it shows "not paired" at its next refresh."""
    with _hub(config) as hub:
        screen = hub.screens.revoke(screen_id.strip())
    typer.echo(f"revoked screen {screen.id} ({screen.site}, {screen.label or 'no label'})")
