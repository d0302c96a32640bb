"""The ``sortcentre`` command: demo, hub, station, sim, and the vision and users subcommands."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from config.files import ConfigError
from core import __version__, logs

app = typer.Typer(
    help="Sortcentre: sorting stations, their simulated hardware, and the hub that collects the volumes.",
    no_args_is_help=True,
    add_completion=False,
)

_role = {"name": "sortcentre"}


def _vision_app() -> typer.Typer:
    from edge.vision.cli import vision_app

    return vision_app


app.add_typer(_vision_app(), name="vision")


def _users_app() -> typer.Typer:
    from hub.auth.cli import users_app

    return users_app


app.add_typer(_users_app(), name="users")


def _keys_app() -> typer.Typer:
    from hub.keys.cli import keys_app

    return keys_app


app.add_typer(_keys_app(), name="keys")


def _screens_app() -> typer.Typer:
    from hub.auth.screens_cli import screens_app

    return screens_app


app.add_typer(_screens_app(), name="screens")


def _models_app() -> typer.Typer:
    from hub.fleet.model_cli import models_app

    return models_app


app.add_typer(_models_app(), name="models")


def _periods_app() -> typer.Typer:
    from hub.feeds.cli import periods_app

    return periods_app


app.add_typer(_periods_app(), name="periods")


def _stations_app() -> typer.Typer:
    from hub.fleet.cli import stations_app

    return stations_app


app.add_typer(_stations_app(), name="stations")


def _fleet_app() -> typer.Typer:
    from hub.fleet.train_cli import fleet_app

    return fleet_app


app.add_typer(_fleet_app(), name="fleet")


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit


@app.callback()
def main(
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    if log_level.lower() not in logs.LEVELS:
        raise typer.BadParameter(f"{log_level!r}: choose one of {', '.join(logs.LEVELS)}", param_hint="--log-level")
    _role["level"] = log_level


def _logs(role: str) -> None:
    logs.setup(_role.get("level", "info"), role)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(str(exc), err=True)
    return typer.Exit(2)


# Development-only code that the production wheel leaves out (pyproject.toml, [tool.setuptools.packages.find]).
class DemoBroker(StrEnum):
    """The demo's broker (``sortcentre demo --broker``)."""

    MOSQUITTO = "mosquitto"
    NATS = "nats"


_CHECKOUT_ONLY = ("firmware_mocks", "local_servers", "sortcentre.demo")


@contextmanager
def _from_checkout() -> Iterator[None]:
    """Around the imports of the demo and the simulators: in a production install they are missing, and that is
    one line for the operator, not a traceback. Any other missing module is a bug and still raises."""
    try:
        yield
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not any(missing == name or missing.startswith(f"{name}.") for name in _CHECKOUT_ONLY):
            raise
        typer.echo("the demo and the simulators run from a source checkout: make demo", err=True)
        raise typer.Exit(2) from None


@app.command()
def hub(
    config: Annotated[Path | None, typer.Option(help="hub TOML file (environment SORTCENTRE_HUB_* overrides)")] = None,
    check: Annotated[bool, typer.Option("--check", help="only validate the configuration")] = False,
) -> None:
    """Run the hub: MQTT ingest into InfluxDB, the API and the dashboard."""
    from config.hub import HubSettings
    from hub.reference import load_reference

    _logs("hub")
    try:
        settings = HubSettings.load(config)
        load_reference(settings.reference_file)  # a bad reference file stops the hub here, not at the first report
    except ConfigError as exc:
        raise _fail(exc) from None
    if check:
        typer.echo(f"{config or 'environment'}: ok")
        return
    from hub.service import run_hub

    raise typer.Exit(run_hub(settings))  # 1 after a hub thread died: systemd restarts the hub


@app.command("nats-auth")
def nats_auth(
    folder: Annotated[Path, typer.Option(help="the callout's folder: issuer.seed, auth_password, users.json")],
    server: Annotated[list[str], typer.Option(help="a NATS node's URL (repeat for every node of a cluster)")],
    ca_file: Annotated[Path | None, typer.Option(help="CA of the nodes' TLS certificate")] = None,
    jwt_lifetime_s: Annotated[
        int, typer.Option(min=0, help="seconds a login holds before NATS closes it; 0: for the connection's life")
    ] = 0,
) -> None:
    """Answer a NATS cluster's logins (auth callout): a station's MQTT client id must be its user name."""
    from hub.nats_auth import CalloutFolder, run

    _logs("nats-auth")
    callout = CalloutFolder(folder)
    for needed in (callout.seed_file, callout.password_file, callout.user_file):
        if not needed.is_file():
            raise _fail(FileNotFoundError(f"{needed}: missing (docs/broker.md, 'Client ids on NATS')"))
    run(folder, server, ca_file, jwt_lifetime_s or None)


@app.command()
def station(
    config: Annotated[Path, typer.Option(help="the station's TOML file")],
    check: Annotated[bool, typer.Option("--check", help="only validate the configuration")] = False,
) -> None:
    """Run a sorting station: scale, buttons, journal and publisher."""
    from config.station import StationConfig

    try:
        station_config = StationConfig.load(config)
    except ConfigError as exc:
        raise _fail(exc) from None
    _logs(f"station[{station_config.station.id}]")
    if check:
        typer.echo(f"{config}: ok ({station_config.station.id}, {len(station_config.categories)} categories)")
        return
    from edge.stations.service import run_station

    run_station(station_config)


@app.command()
def sim(
    config: Annotated[Path, typer.Option(help="the TOML file of the station to simulate hardware for")],
    seed: Annotated[int | None, typer.Option(help="random seed for weights and choices")] = None,
    garbage_rate: Annotated[float, typer.Option(help="share of scale replies preceded by line noise")] = 0.0,
    sorter: Annotated[bool, typer.Option(help="run a simulated sorter (off: hardware only)")] = True,
    learning: Annotated[
        bool,
        typer.Option(
            "--learning",
            help="the station's camera folder shows the item the sorter is about to place, its look depending on "
            "its category (for training a classifier on the captures)",
        ),
    ] = False,
) -> None:
    """Simulate a station's hardware on pseudo-terminals (MT-SICS scale, button board) and a sorter."""
    from config.station import StationConfig

    with _from_checkout():
        from firmware_mocks.camera import ItemCamera
        from firmware_mocks.sorter import SimulatedSorter, StationRig

    try:
        station_config = StationConfig.load(config)
    except ConfigError as exc:
        raise _fail(exc) from None
    _logs(f"sim[{station_config.station.id}]")
    camera = None
    if learning:
        source = station_config.camera.source
        if source is None or source.isdigit() or "://" in source or Path(source).is_file():
            raise _fail(ValueError(f"--learning needs a camera folder as the station's camera source, not {source!r}"))
        camera = ItemCamera(Path(source), [c.id for c in station_config.categories], seed=seed)
    rig = StationRig(station_config, seed=seed, garbage_rate=garbage_rate).start()
    person = SimulatedSorter(rig, seed=seed, camera=camera).start() if sorter else None
    typer.echo(f"scale on {rig.scale.path} -> {rig.scale.port.device}; buttons on {rig.buttons.path}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    if person is not None:
        person.stop()
    rig.stop()


@app.command()
def demo(
    var: Annotated[Path, typer.Option(help="where servers and stations keep their data")] = Path("var"),
    http_port: Annotated[int, typer.Option(help="port of the hub's web page")] = 8080,
    mqtt_port: Annotated[int, typer.Option(help="Mosquitto port (0: a free one)")] = 0,
    influx_port: Annotated[int, typer.Option(help="InfluxDB port (0: a free one)")] = 0,
    duration: Annotated[float, typer.Option(help="stop after this many seconds (0: run until Ctrl-C)")] = 0,
    learning: Annotated[
        bool,
        typer.Option(
            "--learning",
            help="capture consent on and cameras that show each item's category, for the learning loop (docs/demo.md)",
        ),
    ] = False,
    broker: Annotated[
        DemoBroker,
        typer.Option(
            help="mosquitto, or nats: three NATS nodes (JetStream) and two hubs sharing the work (docs/demo.md)"
        ),
    ] = DemoBroker.MOSQUITTO,
) -> None:
    """Run everything on this machine: the broker, InfluxDB, the hub and three simulated stations."""
    if broker is DemoBroker.NATS and mqtt_port:
        typer.echo("--mqtt-port is Mosquitto's; the NATS nodes' ports are kept in var/demo/ports.json", err=True)
        raise typer.Exit(2)
    with _from_checkout():
        from sortcentre.demo.runner import Demo, DemoSettings

    _logs("demo")
    settings = DemoSettings(
        var=var.resolve(),
        http_port=http_port,
        mqtt_port=mqtt_port or None,
        influx_port=influx_port or None,
        duration_s=duration,
        learning=learning,
        broker=broker.value,
    )
    raise typer.Exit(Demo(settings).run())
