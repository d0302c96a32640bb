"""``sortcentre periods ...``: close a month of the volume feed (freeze its figures), and list the closed ones.

Works on the hub's periods file (``feeds.periods_file``) and reads the month's figures from the hub's InfluxDB,
while the hub runs: the feed looks the closed months up on every request. Heavy modules are imported inside
the commands: a station's ``sortcentre`` must not load them.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

periods_app = typer.Typer(
    help="Closed periods of the volume feed: months whose figures are frozen.", no_args_is_help=True
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="hub TOML file, for feeds.periods_file and influx (environment SORTCENTRE_HUB_* overrides)"
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


@periods_app.command("close")
def close_command(
    month: Annotated[str, typer.Argument(help="the month to close, YYYY-MM (it must have ended)")],
    by: Annotated[str | None, typer.Option("--by", help="who closes it, for the record (default: your login)")] = None,
    config: ConfigOption = None,
) -> None:
    """Freeze a month's figures: later events for it show in the feed as an adjustment."""
    from config.files import ConfigError
    from config.hub import HubSettings
    from hub.feeds.periods import PeriodError, PeriodStore, close_month
    from hub.storage.influx_v1 import InfluxError, InfluxV1

    try:
        settings = HubSettings.load(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    store = InfluxV1(settings.influx)
    try:
        closed = close_month(store, PeriodStore.from_settings(settings.feeds), month, by or getpass.getuser())
    except PeriodError as exc:
        raise _fail(str(exc)) from None
    except InfluxError as exc:
        raise _fail(f"InfluxDB at {settings.influx.url}: {exc}") from None
    finally:
        store.close()
    typer.echo(f"closed {closed.month}: {closed.kg:.3f} kg, {closed.items} items frozen")


@periods_app.command("list")
def list_command(config: ConfigOption = None) -> None:
    """Show the closed months: when, by whom, and their frozen totals."""
    from config.files import ConfigError
    from config.hub import HubSettings
    from hub.cli_output import MissingFileError, existing_file, print_table
    from hub.feeds.periods import PeriodStore

    try:
        settings = HubSettings.load(config)
        existing_file(settings.feeds.periods_file, "closed-periods file", "feeds.periods_file", config)
    except (ConfigError, MissingFileError) as exc:
        raise _fail(str(exc)) from None
    periods = PeriodStore.from_settings(settings.feeds)
    closed = periods.closed()
    if not closed:
        typer.echo(f"no closed months in {periods.path}: every month is open")
        return
    print_table(
        f"closed months in {periods.path}",
        ("month", "closed (UTC)", "by", "kg", "items"),
        [(p.month, p.closed_at.strftime("%Y-%m-%d %H:%M"), p.closed_by, f"{p.kg:.3f}", str(p.items)) for p in closed],
        wide=("month",),
    )
