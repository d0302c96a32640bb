"""Loading TOML config files into pydantic models, with errors that point at the bad key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and each bad key."""


def _key_path(loc: tuple[int | str, ...], data: Any) -> list[int | str]:
    """The keys of ``loc`` as the file spells them: pydantic also puts the tag of a section chosen by its
    ``driver`` (``scale.and.continuos``) into the path, and the file has no such key."""
    path: list[int | str] = []
    node = data
    for depth, part in enumerate(loc):
        if isinstance(node, dict) and part not in node and depth < len(loc) - 1:
            continue
        path.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return path


def describe(exc: ValidationError, source: str, data: Any = None) -> str:
    lines = [f"{source}: {exc.error_count()} problem(s)"]
    for err in exc.errors():
        key = ".".join(str(p) for p in _key_path(err["loc"], data)) or "(top level)"
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (check the spelling; see docs/configuration.md)")
        elif err["type"] == "missing":
            lines.append(f"  {key}: required key is missing")
        else:
            lines.append(f"  {key}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load(model: type[Model], path: Path, **overrides: Any) -> Model:
    data = read_toml(path) | overrides
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(exc, str(path), data)) from None
