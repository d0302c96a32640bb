"""``sortcentre fleet train``: train a site's model at the hub on the captures its stations uploaded, and compare it
with the model the stations run now on the same held-out split (docs/fleet.md, "Training at the hub").

Heavy modules are imported inside the command: a station's ``sortcentre`` must not load them. (A module of its own
beside the registry's ``cli.py``, so that each part of the fleet keeps its command line.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

fleet_app = typer.Typer(help="The fleet's models: train at the hub.", no_args_is_help=True)


@fleet_app.callback()
def fleet() -> None:
    """The fleet's models (a group: more commands join ``train`` here)."""


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="hub TOML file, for [learning] (environment SORTCENTRE_HUB_* overrides)"),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


@fleet_app.command("train")
def train_command(
    site: Annotated[str, typer.Option(help="whose captures: the folder [learning] dataset_folder/SITE")],
    stream: Annotated[str, typer.Option(help="which stream's classifier")] = "plastic",
    dataset: Annotated[
        Path | None, typer.Option(help="train on this folder instead (STREAM/LABEL/ID.jpg + ID.json)")
    ] = None,
    current: Annotated[
        Path | None,
        typer.Option(help="the model the stations run now (file or bundle); default: the last one rolled out"),
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed of the split and the fit")] = 0,
    config: ConfigOption = None,
) -> None:
    """Train a model for SITE and STREAM, and say whether it may be offered for rollout."""
    from config.files import ConfigError
    from config.hub import HubSettings
    from core.contract.topics import TopicError, check_slug
    from edge.vision.classifier import TrainingError
    from edge.vision.model_bundle import BundleError
    from edge.vision.model_files import ModelFileError
    from hub.fleet.learning import LearningLoop

    try:
        settings = HubSettings.load(config)
        check_slug(site, "site")
        check_slug(stream, "stream")
    except (ConfigError, TopicError) as exc:
        raise _fail(str(exc)) from None
    loop = LearningLoop(settings.learning, None, current_model=(lambda _site, _stream: current) if current else None)
    console = Console()
    try:
        result = loop.train(site, stream, seed=seed, dataset=dataset)
    except (TrainingError, ModelFileError, BundleError) as exc:
        raise _fail(str(exc)) from None

    table = Table("held-out split", "model", "precision", "coverage", title=f"at threshold {result.threshold:.2f}")
    new = result.new
    table.add_row(f"{result.held_out} captures", f"new: {result.version}", _pct(new.precision), _pct(new.coverage))
    if result.current is not None:
        table.add_row(
            "",
            f"current: {result.current_version}",
            _pct(result.current.precision),
            _pct(result.current.coverage),
        )
    console.print(table)
    console.print(f"wrote {result.model_path} ({result.trained.images} images)")
    style = "green" if result.offerable else "red"
    console.print(f"[{style}]{result.reason}[/{style}]")
