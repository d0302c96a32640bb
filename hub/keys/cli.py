"""``sortcentre keys ...``: API keys for partners' systems (ROVA, the municipalities) to read feeds and reports.

Works on the hub's keys file (``keys.keys_file`` in the hub's TOML) while the hub runs: the hub looks a key up
on every request, so a revoked key stops working at its next request. Municipality names are checked against
the hub's reference data (``reference_file``, else the packaged default). Heavy modules are imported inside
the commands: a station's ``sortcentre`` must not load FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hub.keys.store import ApiKey, KeyStore
    from hub.reference import ReferenceData

keys_app = typer.Typer(
    help="Manage API keys for the volume feed and reports: create (shown once), list, revoke.", no_args_is_help=True
)


class ScopeName(StrEnum):  # the values of hub.keys.Scope, without importing FastAPI for --help
    VOLUMES_READ = "volumes:read"
    REPORTS_READ = "reports:read"


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="hub TOML file, for its keys.keys_file and reference_file (environment SORTCENTRE_HUB_* overrides)",
    ),
]
KeyIdArgument = Annotated[str, typer.Argument(help="the key's id: the 8 characters after 'sck_' ('keys list')")]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


@dataclass
class _Hub:
    keys: KeyStore
    reference: ReferenceData
    registry_file: Path


@contextmanager
def _hub(config: Path | None, *, create: bool = False) -> Iterator[_Hub]:
    """The keys file and reference data named by the hub's settings (``create``: the keys file is made if it
    is not there, for ``create``; listing or revoking refuses a missing file rather than make an empty one in
    the wrong folder); any refusal becomes exit status 2."""
    from config.files import ConfigError
    from config.hub import HubSettings
    from hub.cli_output import MissingFileError, UnknownSiteError, existing_file
    from hub.keys.store import KeyStore, KeyStoreError
    from hub.reference import load_reference

    try:
        settings = HubSettings.load(config)
        reference = load_reference(settings.reference_file)
        if not create:
            existing_file(settings.keys.keys_file, "keys file", "keys.keys_file", config)
    except (ConfigError, MissingFileError) as exc:
        raise _fail(str(exc)) from None
    try:
        yield _Hub(KeyStore.from_settings(settings.keys), reference, settings.fleet.registry_file)
    except (KeyStoreError, UnknownSiteError) as exc:
        raise _fail(str(exc)) from None


def _reach(key: ApiKey, reference: ReferenceData) -> str:
    names = []
    for slug in sorted(key.municipalities):
        municipality = reference.municipality(slug)
        names.append(municipality.name if municipality else f"{slug} (not in reference data)")
    sites = [f"site {site}" for site in sorted(key.sites)]
    return ", ".join(names + sites)


@keys_app.command("create")
def create_command(
    scope: Annotated[list[ScopeName], typer.Option(help="what the key may read (repeat for both)")],
    municipality: Annotated[
        list[str], typer.Option(help="a municipality whose sites the key reads, by name or slug (repeat for more)")
    ] = [],  # noqa: B006 - typer reads the default, it is never mutated
    site: Annotated[list[str], typer.Option(help="a site the key reads (repeat for more)")] = [],  # noqa: B006
    label: Annotated[str, typer.Option(help="who holds the key, e.g. 'ROVA' (shown in lists and logs)")] = "",
    config: ConfigOption = None,
) -> None:
    """Create a key; it is printed once and cannot be shown again (only its hash is kept)."""
    from hub.cli_output import check_known_sites

    with _hub(config, create=True) as hub:
        check_known_sites(site, hub.reference, hub.registry_file)  # a typo would make a key that reads nothing
        slugs = []
        for name in municipality:
            found = hub.reference.municipality(name)
            if found is None:
                known = ", ".join(m.name for m in hub.reference.municipalities)
                raise _fail(f"no municipality {name!r} in reference data {hub.reference.version} (known: {known})")
            slugs.append(found.slug)
        key, secret = hub.keys.create([s.value for s in scope], sites=site, municipalities=slugs, label=label)
        reach = _reach(key, hub.reference)
    for name in sorted(key.sites - hub.reference.sites):  # a registered station's site outside the municipalities
        typer.echo(f"note: site {name!r} is in no municipality of reference data {hub.reference.version}", err=True)
    typer.echo(f"created key {key.id} ({', '.join(sorted(key.scopes))}; {reach}); label: {key.label or '-'}")
    typer.echo("The key, shown this once (store it in the partner's secret store; lost means revoke and create):")
    typer.echo(secret)


@keys_app.command("list")
def list_command(config: ConfigOption = None) -> None:
    """Show every key: id, label, scopes, municipalities and sites, created, revoked."""
    from hub.cli_output import print_table

    with _hub(config) as hub:
        keys = hub.keys.keys()
        path = hub.keys.path
        rows = [
            (
                key.id,
                key.label or "-",
                sorted(key.scopes),  # one a line: a narrow terminal must not cut "volumes:read"
                _reach(key, hub.reference).split(", "),
                key.created.strftime("%Y-%m-%d %H:%M"),
                f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "-",
            )
            for key in keys
        ]
    if not rows:
        typer.echo(f"no API keys in {path} yet: create one with 'sortcentre keys create'")
        return
    columns = ("id", "label", "scopes", "municipalities / sites", "created (UTC)", "revoked (UTC)")
    # Ids and scopes stay whole on a narrow terminal; the rest wraps at spaces. Piped: tab-separated, whole.
    print_table(f"API keys in {path}", columns, rows, wide=("id", "scopes"))


@keys_app.command("revoke")
def revoke_command(key_id: KeyIdArgument, config: ConfigOption = None) -> None:
    """Revoke a key: its next request is refused (401). It stays in the list, marked revoked."""
    with _hub(config) as hub:
        key = hub.keys.revoke(key_id.strip().lower())
    when = f"{key.revoked_at:%Y-%m-%d %H:%M} UTC" if key.revoked_at else "now"
    typer.echo(f"revoked {key.id} ({key.label or 'no label'}) at {when}")
