"""``sortcentre stations ...``: the station registry at the hub (docs/fleet.md, section Registry).

Works on the hub's registry file (``fleet.registry_file`` in the hub's TOML) and, with ``fleet.broker_folder``
set, on the broker's password file and ACL, while the hub and the broker run: the broker is reloaded with SIGHUP
(``fleet.broker_pid_file``), never restarted. Heavy modules are imported inside the commands: a station's
``sortcentre`` must not load FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from config.hub import HubSettings
    from hub.fleet.registry import RegisteredStation, StationRegistry

stations_app = typer.Typer(
    help=(
        "The station registry: add a station (broker account, upload token, config bundle), list, retire, "
        "and replace a station's upload token."
    ),
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="hub TOML file, for its [fleet] and [mqtt] sections (environment SORTCENTRE_HUB_* overrides)"
    ),
]
StationArgument = Annotated[str, typer.Argument(help="the station id, e.g. zwolle-plastic-1 (its broker user name)")]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


@contextmanager
def _registry(config: Path | None) -> Iterator[tuple[StationRegistry, HubSettings]]:
    """The registry named by the hub's settings; any refusal becomes exit status 2."""
    from config.files import ConfigError
    from config.hub import HubSettings
    from hub.fleet.bundle import BundleError
    from hub.fleet.registry import RegistryError, StationRegistry

    try:
        settings = HubSettings.load(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    try:
        yield StationRegistry.from_settings(settings.fleet), settings
    except (RegistryError, BundleError) as exc:
        raise _fail(str(exc)) from None


def _reload(registry: StationRegistry) -> None:
    """Reload the broker and say what happened: the change is on disk either way."""
    from hub.broker_accounts import BrokerReloadError

    if registry.broker_folder is None:
        return
    try:
        pid = registry.reload_broker()
    except BrokerReloadError as exc:
        typer.echo(f"warning: {exc}; reload the broker yourself (systemctl reload mosquitto)", err=True)
        return
    if pid is None:
        typer.echo(
            "warning: fleet.broker_pid_file is not set: reload the broker (systemctl reload mosquitto)", err=True
        )
    else:
        typer.echo(f"broker (pid {pid}) reloaded its accounts")


@stations_app.command("add")
def add_command(
    station: StationArgument,
    site: Annotated[str, typer.Option(help="the station's site, e.g. zwolle")],
    stream: Annotated[str, typer.Option(help="what it sorts, e.g. plastic")],
    out: Annotated[Path, typer.Option(help="new (or empty) folder for the station's config bundle")],
    station_dir: Annotated[
        Path, typer.Option(help="where the bundle will lie on the station: the TOML's password_file points there")
    ] = Path("/etc/sortcentre"),
    template: Annotated[
        Path | None, typer.Option(help="a station TOML whose hardware and categories the bundle starts from")
    ] = None,
    mqtt_host: Annotated[
        str | None, typer.Option(help="the broker's address as the station reaches it (default: the hub's mqtt.host)")
    ] = None,
    mqtt_port: Annotated[
        int | None, typer.Option(help="the broker's port for the station (default: mqtt.port)")
    ] = None,
    hub_url: Annotated[
        str | None,
        typer.Option(help="the hub's address as the station reaches it, for capture uploads (none: no [hub] section)"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Add a station: its broker account and ACL entry (broker reloaded), an upload token, and a config bundle
    to copy to the station. The secrets are in the bundle only: the hub keeps their hashes."""
    from hub.fleet.bundle import write_bundle

    with _registry(config) as (registry, settings):
        if out.exists() and any(out.iterdir()):
            raise _fail(f"{out} is not empty: choose a new folder for the station's bundle")
        record, password, token = registry.add(station, site, stream, reload=False)
        mqtt = {
            "host": mqtt_host or settings.mqtt.host,
            "port": mqtt_port or settings.mqtt.port,
            "tls": settings.mqtt.tls,
        }
        path = write_bundle(
            out,
            station_id=record.id,
            site=record.site,
            stream=stream,
            mqtt=mqtt,
            broker_password=password,
            upload_token=token,
            station_dir=station_dir,
            template=template,
            hub_url=hub_url,
        )
        _reload(registry)
    typer.echo(f"added station {record.id} (site {record.site}, stream {stream})")
    if record.broker_account is None:
        typer.echo("note: no broker account made (fleet.broker_folder is not set: a broker without accounts)")
    typer.echo(f"config bundle in {out} ({path.name} and its secrets): copy the folder to {station_dir} on the station")


def _registration(record: RegisteredStation) -> str:
    if record.retired:
        return f"retired {record.retired_at:%Y-%m-%d}"
    if record.unregistered:
        return "unregistered"
    return "in service"


@stations_app.command("list")
def list_command(config: ConfigOption = None) -> None:
    """Show every station: added, heard of (unregistered) or retired, with versions and last seen."""
    from hub.cli_output import print_table

    with _registry(config) as (registry, _settings):
        records = registry.list()
        path = registry.path
    if not records:
        typer.echo(f"no stations in {path} yet: add one with 'sortcentre stations add'")
        return
    print_table(
        f"stations in {path}",
        ("station", "site", "stream", "registry", "software", "config", "model", "last seen (UTC)"),
        [
            (
                record.id,
                record.site,
                record.stream or "-",
                _registration(record),
                record.software_version or "-",
                record.config_version or "-",
                record.model_version or "-",
                f"{record.last_seen:%Y-%m-%d %H:%M}" if record.last_seen else "-",
            )
            for record in records
        ],
        wide=("station",),
    )


@stations_app.command("retire")
def retire_command(station: StationArgument, config: ConfigOption = None) -> None:
    """Take a station out of service: its broker account goes (the broker disconnects it), its upload token stops
    working. It stays in the list, marked retired."""
    with _registry(config) as (registry, _settings):
        record = registry.retire(station, reload=False)
        _reload(registry)
    typer.echo(f"retired {record.id} (site {record.site}) at {record.retired_at:%Y-%m-%d %H:%M} UTC")


@stations_app.command("rotate-token")
def rotate_token_command(
    station: StationArgument,
    out: Annotated[Path, typer.Option(help="new file for the token (readable by you only): copy it to the station")],
    config: ConfigOption = None,
) -> None:
    """Give a station a new upload token: the old one stops working at once. The token goes to a new file, never
    the screen; copy it over the station's upload_token file and restart the station's service."""
    from hub.fleet.bundle import write_secret

    if out.exists():
        raise _fail(f"{out} exists: choose a new file for the token")
    with _registry(config) as (registry, _settings):
        token = registry.rotate_token(station)
        write_secret(out, token)
    typer.echo(f"new upload token for {station} in {out}; the old one is refused from now on")
