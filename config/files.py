"""Loading config: one TOML file and the environment into a settings model, with errors that point at the bad key.

Hub and station load the same way (``HubSettings.load(path)``, ``StationConfig.load(path)``), with pydantic-settings'
own sources. Highest first: keyword arguments to ``load`` (tests, the demo), environment variables (the model's
prefix, nested keys joined with ``__``: ``SORTCENTRE_STATION_MQTT__PASSWORD``), the TOML file, the defaults. So an
operator sets a secret, or overrides one key, in the environment without editing the file."""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Self, TypeVar

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

# The file ``load`` is reading: pydantic-settings builds its sources in a classmethod, which gets no arguments of
# ours. A context variable keeps two threads loading two files apart.
_reading: ContextVar[Path | None] = ContextVar("config_file", default=None)


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and each bad key."""


def _key_path(loc: tuple[int | str, ...], data: Any) -> tuple[int | str, ...]:
    """The keys of ``loc`` as the file spells them: pydantic also puts the tag of a section chosen by its
    ``driver`` into the path (``scale.and.continuos``), and the file has no such key. Such a tag stands inside a
    section the file has, never at the top, so a top-level section that only the environment sets keeps its name."""
    path: list[int | str] = []
    node = data
    for depth, part in enumerate(loc):
        if isinstance(node, dict) and part not in node and 0 < depth < len(loc) - 1:
            continue
        path.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return tuple(path)


def describe(exc: ValidationError, source: str, env_prefix: str = "", data: Any = None) -> str:
    """One line per problem, each naming the key as the file spells it (``data``: the file's contents); and the
    environment variable, where one set the bad value."""
    lines = [f"{source}: {exc.error_count()} problem(s)"]
    for err in exc.errors():
        loc = _key_path(err["loc"], data)
        key = ".".join(str(p) for p in loc) or "(top level)"
        variable = _variable(env_prefix, loc) if env_prefix else None
        if variable is not None:
            key = f"{key} (environment variable {variable})"
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (check the spelling; see docs/configuration.md)")
        elif err["type"] == "missing":
            lines.append(f"  {key}: required key is missing")
        else:
            lines.append(f"  {key}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def _variable(prefix: str, loc: tuple[int | str, ...]) -> str | None:
    """The environment variable that set the value at ``loc``, or a section above it (as JSON), if one did.

    The environment beats the file, so a variable that names the key is where a bad value came from."""
    names = {name.upper(): name for name in os.environ}
    for depth in range(len(loc), 0, -1):
        parts = loc[:depth]
        if not all(isinstance(part, str) for part in parts):
            continue
        name = (prefix + "__".join(str(part) for part in parts)).upper()
        if name in names:
            return names[name]
    return None


def _stray_variables(prefix: str, keys: set[str]) -> list[str]:
    """Variables with the prefix whose top-level key is no key of the model."""
    if not prefix:
        return []
    prefix = prefix.upper()
    return sorted(
        name
        for name in os.environ
        if name.upper().startswith(prefix) and name[len(prefix) :].split("__")[0].lower() not in keys
    )


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


Model = TypeVar("Model", bound=BaseModel)


def paths_under(model: Model, base: Path) -> Model:
    """``model`` with every relative path in it (nested sections too) taken relative to ``base``: the folder of
    the config file that named them, so a file's paths mean the same from whatever folder a command runs."""
    update: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Path) and not value.is_absolute():
            update[name] = base / value
        elif isinstance(value, BaseModel):
            moved = paths_under(value, base)
            if moved is not value:
                update[name] = moved
    return model.model_copy(update=update) if update else model


def sqlite_file(default: str, description: str) -> Any:
    """A field holding the path of one of the hub's SQLite files. The default is a str, not a Path, so it reads
    better in docs/configuration.md; ``validate_default`` still makes it a Path."""
    return Field(default, validate_default=True, description=description)


class FileSettings(BaseSettings):
    """A config read from one TOML file and the environment; a subclass sets ``env_prefix``."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="forbid")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # No .env file and no secrets folder: a secret comes from the environment or from a *_file key.
        path = _reading.get()
        if path is None:
            return init_settings, env_settings
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path)

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> Self:
        """Read and validate; raises ConfigError naming the file (or the environment) and each bad key."""
        source = str(path) if path is not None else "environment"
        prefix = cls.model_config.get("env_prefix") or ""
        if path is not None and not path.is_file():
            raise ConfigError(f"{path}: no such file")
        strays = _stray_variables(prefix, set(cls.model_fields))
        if strays:
            # pydantic-settings ignores them; an operator who typed INFLUX_TOKEN for INFLUX__TOKEN wants to know.
            lines = [
                f"  {name}: no such key (sections are joined with __; see docs/configuration.md)" for name in strays
            ]
            raise ConfigError("\n".join([f"environment: {len(strays)} problem(s)", *lines]))
        reading = _reading.set(path)
        try:
            return cls(**overrides)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
        except SettingsError as exc:
            # A complex value (a section, a list) given as JSON in the environment that does not parse.
            variables = sorted(name for name in os.environ if prefix and name.upper().startswith(prefix.upper()))
            raise ConfigError(f"environment: {exc} (set: {', '.join(variables) or 'none'})") from None
        except ValidationError as exc:
            data = read_toml(path) if path is not None else None
            raise ConfigError(describe(exc, source, prefix, data)) from None
        finally:
            _reading.reset(reading)
