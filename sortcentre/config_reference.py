"""Writes docs/configuration.md from the config models, so the reference cannot drift from the code.

Run ``python -m sortcentre.config_reference > docs/configuration.md``; a test checks the committed file."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

INTRO = """# Configuration reference

Generated from the config models by `python -m sortcentre.config_reference`; a test keeps it in step.
Unknown keys are errors that name the key. Validate a file without running anything:
`sortcentre station --config FILE --check`, `sortcentre hub --config FILE --check`.

Every key can also be set in the environment, and the environment overrides the file (keys given in neither keep
their defaults). The variable is the prefix (`SORTCENTRE_STATION_` for a station, `SORTCENTRE_HUB_` for the hub)
followed by the key, sections joined with `__`, in any case: `mqtt.password` in a station's file is
`SORTCENTRE_STATION_MQTT__PASSWORD`, `http_port` in the hub's is `SORTCENTRE_HUB_HTTP_PORT`, `ingest.workers` is
`SORTCENTRE_HUB_INGEST__WORKERS`. A list or a whole section is given as JSON. Put secrets (passwords, tokens) in
the environment, not in the file.
"""


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return "(section)"
    if info.default is PydanticUndefined or info.default is None:
        return "none"
    if isinstance(info.default, bool):
        return f"`{str(info.default).lower()}`"
    return f"`{info.default!r}`".replace("'", '"')


def _nested(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _nested(arg)
        if found is not None:
            return found
    return None


def _variants(annotation: Any) -> list[type[BaseModel]]:
    """The models of a union of several (a device section chosen by its ``driver``), else []."""
    found = [model for arg in getattr(annotation, "__args__", ()) if (model := _nested(arg)) is not None]
    return found if len(found) > 1 else []


def _union_rows(variants: list[type[BaseModel]], prefix: str) -> list[str]:
    """The keys every variant has once, then each variant's own keys, marked with the driver they go with."""
    common = {name for name in variants[0].model_fields if all(name in v.model_fields for v in variants)}
    tags = [str(get_args(v.model_fields["driver"].annotation)[0]) for v in variants]
    lines = [
        f"| `{prefix}driver` | `{tags[0]!r}` | one of {', '.join(tags)}: chooses the keys below |".replace("'", '"')
    ]
    lines.extend(row for row in rows(variants[0], prefix) if _field_of(row, prefix) in common - {"driver"})
    for tag, variant in zip(tags, variants, strict=True):
        own = [row for row in rows(variant, prefix) if _field_of(row, prefix) not in common]
        lines.extend(row.replace("` |", f"` (driver `{tag}`) |", 1) for row in own)
    return lines


def _field_of(row: str, prefix: str) -> str:
    """The field a row documents, e.g. ``leds`` for ``vision.lights.leds[].pin`` under ``vision.lights.``."""
    return row.split("`")[1].removeprefix(prefix).split(".")[0].removesuffix("[]")


def rows(model: type[BaseModel], prefix: str = "") -> list[str]:
    lines = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        if variants := _variants(info.annotation):
            lines.extend(_union_rows(variants, f"{key}."))
            continue
        nested = _nested(info.annotation)
        if nested is not None and name not in ("categories", "leds"):  # the lists of sections
            lines.extend(rows(nested, f"{key}."))
            continue
        if nested is not None:
            lines.extend(rows(nested, f"{key}[]."))
            continue
        description = (info.description or "").replace("|", "\\|")
        lines.append(f"| `{key}` | {_default(info)} | {description} |")
    return lines


def reference() -> str:
    from config.hub import HubSettings
    from config.station import StationConfig

    parts = [INTRO]
    for title, model, note in (
        (
            "Station (one TOML file per station)",
            StationConfig,
            "Every key can also be set as `SORTCENTRE_STATION_<KEY>`, nested with `__`: "
            "`SORTCENTRE_STATION_MQTT__PASSWORD` (the old `SORTCENTRE_MQTT_PASSWORD` still works, with a warning).",
        ),
        (
            "Hub",
            HubSettings,
            "Every key can also be set as `SORTCENTRE_HUB_<KEY>`, nested with `__`: `SORTCENTRE_HUB_INFLUX__TOKEN`.",
        ),
    ):
        parts.append(f"\n## {title}\n\n{note}\n\n| key | default | meaning |\n|---|---|---|")
        parts.extend(rows(model))
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(reference(), end="")  # noqa: T201
