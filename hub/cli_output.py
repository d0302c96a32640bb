"""What the hub's admin commands (``sortcentre users``, ``keys``, ``periods``, ``stations``) share: tables that
keep every name whole when piped, the data files they may only open (never create), the sites they accept, and
how they ask for a password.

- A table goes to a terminal as a rich table; piped or redirected (a script, ``| grep``, a file) it is plain
  tab-separated lines, header first, with nothing cut or wrapped: rich would fit it into 80 columns.
- A command that lists or changes what is in a data file needs the file to be there: opening it would create an
  empty one, and an empty list from the wrong folder reads as "everything is gone".
- A site must be one the hub knows: in the reference data (a municipality's site) or a registered station's.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from core.contract.topics import SLUG_PATTERN
from hub.reference import ReferenceData

Cell = str | Sequence[str]  # several values: one a line in a terminal, comma-separated when piped


class MissingFileError(ValueError):
    """A data file a command only reads or changes is not there: the message says where it looked and why."""


class UnknownSiteError(ValueError):
    pass


class PasswordInputError(ValueError):
    """No password to read: the message says how to give one."""


def is_terminal() -> bool:
    return sys.stdout.isatty()


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def print_table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]], *, wide: Sequence[str] = ()
) -> None:
    """``wide``: columns whose values a terminal must not wrap (ids, scopes)."""
    lines = [[cell if isinstance(cell, str) else list(cell) for cell in row] for row in rows]
    if not is_terminal():
        typer.echo("\t".join(columns))
        for line in lines:
            typer.echo("\t".join(_flat(cell, ", ") for cell in line))
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in wide)
    for line in lines:
        table.add_row(*(_flat(cell, "\n") for cell in line))
    Console(highlight=False, markup=False).print(table)


def _flat(cell: str | list[str], joint: str) -> str:
    """One cell as text; piped, a tab or line break inside a value would break the line into columns."""
    text = cell if isinstance(cell, str) else joint.join(cell)
    return text if joint == "\n" else " ".join(text.split())


def existing_file(path: Path, what: str, setting: str, config: Path | None) -> Path:
    """``path`` if it is there, else MissingFileError naming the absolute path and where it came from."""
    if path.is_file():
        return path
    if config is not None:
        source = f"{setting} in {config}, relative to that file's folder"
    else:
        source = f"{setting}'s default, relative to the current folder {Path.cwd()}, since no --config was given"
    raise MissingFileError(
        f"no {what} at {path.absolute()} ({source}): give the hub's TOML file with --config, the one the hub runs with"
    )


def known_sites(reference: ReferenceData, registry_file: Path | None) -> frozenset[str]:
    """The sites of the reference data's municipalities and of the registered stations (the registry is read
    only when its file is there)."""
    sites = set(reference.sites)
    if registry_file is not None and registry_file.is_file():
        from hub.fleet.registry import StationRegistry  # the registry's own reader; creating it changes nothing

        sites.update(station.site for station in StationRegistry(registry_file).list())
    return frozenset(sites)


def check_known_sites(sites: Iterable[str], reference: ReferenceData, registry_file: Path | None) -> None:
    """Values that are no slug at all are left to the stores' own check, whose message says so."""
    known = known_sites(reference, registry_file)
    unknown = sorted(site for site in set(sites) - known if re.fullmatch(SLUG_PATTERN, site))
    if unknown:
        names = ", ".join(repr(site) for site in unknown)
        raise UnknownSiteError(
            f"unknown site {names}: not in reference data {reference.version} nor a registered station's site "
            f"(known: {', '.join(sorted(known)) or 'none'}); check the spelling, or add the site to the hub's "
            "reference data (reference_file) first"
        )


def read_password(from_stdin: bool) -> str:
    """From the first line of standard input (``--password-stdin``), else asked twice on the terminal. Without
    a terminal to ask on, one line saying what to do instead of getpass's warning and click's "Aborted!"."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise PasswordInputError("standard input is empty: send the password as its first line")
        return line.rstrip("\r\n")
    if not stdin_is_terminal():
        raise PasswordInputError(
            "no terminal to ask the password on: send it on standard input with --password-stdin, e.g. "
            "printf '%s\\n' \"$PASSWORD\" | sortcentre users ... --password-stdin"
        )
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password
