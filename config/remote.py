"""The sorting settings the hub owns for a station (remote config, docs/fleet.md): categories, vision thresholds,
grading rules, capture consent and the blind-check share. The station's TOML file keeps the hardware and the
credentials.

A remote config is applied onto the station's FILE config, never onto the previous remote one: a key it leaves
out is the file's value, so what a station runs depends only on its file and the latest config it accepted.
``apply_settings`` returns a new, fully validated StationConfig, so the station's own cross-field checks (button
keys must not repeat, capture needs a folder) run on the result too. Every error names the key path.

``RemoteConfigSettings`` is the hub's ``[remote_config]`` section: where it keeps those settings and their history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.files import sqlite_file
from config.station import Category, StationConfig
from config.vision import DEFAULT_BLIND_SHARE, GradingRules

# A refusal travels in the heartbeat's config_error (core.contract.payloads.Reason: at most 300 characters).
MAX_ERROR_CHARS = 300
# A value quoted in an error is cut to this many characters, so the key names fit in the heartbeat.
MAX_QUOTED_CHARS = 40


Share = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VisionSettings(_Strict):
    """The part of the station's ``[vision]`` section the hub owns; a key left out keeps the file's value."""

    thresholds: dict[str, Share] | None = Field(
        None, description="per stream: suggestions less confident than this are not shown (0..1)"
    )
    default_threshold: float | None = Field(None, ge=0, le=1, description="threshold for streams not in `thresholds`")
    polymers: dict[str, str] | None = Field(
        None, description='polymer read -> category id where they differ (e.g. pc-abs = "residual")'
    )
    grading: GradingRules | None = Field(None, description="textile grade rules of this site (the whole section)")


class SortingSettings(_Strict):
    """What a remote config's ``settings`` may hold. Every key is optional: one left out keeps the file's value."""

    categories: list[Category] | None = Field(
        None, min_length=1, max_length=64, description="the station's categories (replaces the file's list whole)"
    )
    vision: VisionSettings = Field(default_factory=VisionSettings, description="vision thresholds and grading rules")
    capture_enabled: bool | None = Field(
        None,
        description="the site's consent to keep photos of sorted items for learning (vision.capture.enabled); "
        "the station's file must name the capture folder and plate",
    )
    blind_share: float | None = Field(
        None,
        ge=0,
        le=0.5,
        description=f"share of items shown no suggestion, for an unbiased accuracy (none: {DEFAULT_BLIND_SHARE})",
    )

    @model_validator(mode="after")
    def _categories_apart(self) -> Self:
        # The station checks keys against its confirm and undo keys too; these need no station to check.
        ids = [c.id for c in self.categories or []]
        keys = [c.key for c in self.categories or []]
        if len(set(ids)) != len(ids):
            raise ValueError(f"category ids repeat: {ids}")
        if len(set(keys)) != len(keys):
            raise ValueError(f"category keys repeat: {keys}")
        return self


def apply_settings(base: StationConfig, settings: SortingSettings) -> StationConfig:
    """``base`` (the station's file config) with ``settings`` in its place: a new StationConfig, validated whole.

    Raises ValidationError (its locations are keys of the StationConfig, e.g. ``vision.capture``)."""
    data = base.model_dump()  # python mode: secrets stay SecretStr, paths stay Path
    vision = data["vision"]
    wanted = settings.vision
    if settings.categories is not None:
        data["categories"] = [c.model_dump() for c in settings.categories]
    if wanted.thresholds is not None:
        vision["thresholds"] = dict(wanted.thresholds)
    if wanted.default_threshold is not None:
        vision["default_threshold"] = wanted.default_threshold
    if wanted.polymers is not None:
        vision["polymers"] = dict(wanted.polymers)
    if wanted.grading is not None:
        vision["grading"] = wanted.grading.model_dump()
    if settings.capture_enabled is not None:
        vision["capture"]["enabled"] = settings.capture_enabled
    if settings.blind_share is not None:
        vision["blind_share"] = settings.blind_share
    # model_validate, not the constructor: a BaseSettings constructor would read the environment again.
    return StationConfig.model_validate(data)


def settings_of(config: StationConfig) -> SortingSettings:
    """The sorting settings ``config`` runs, every key filled in: what the hub shows and edits."""
    vision = config.vision
    return SortingSettings(
        categories=list(config.categories),
        vision=VisionSettings(
            thresholds=dict(vision.thresholds),
            default_threshold=vision.default_threshold,
            polymers=dict(vision.polymers),
            grading=vision.grading,
        ),
        capture_enabled=vision.capture.enabled,
        blind_share=vision.blind_share,
    )


def parse_settings(raw: Any) -> SortingSettings:
    """Validate a remote config's ``settings``; raises SettingsError naming each bad key (``settings.<key>``)."""
    try:
        return SortingSettings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(describe_briefly(exc, "settings.")) from None


def apply_raw(base: StationConfig, raw: Any) -> tuple[SortingSettings, StationConfig]:
    """``parse_settings`` then ``apply_settings``; raises SettingsError naming the key: ``settings.<key>`` for
    the settings themselves, the station config's key for a check the result fails with the station's file."""
    settings = parse_settings(raw)
    buttons = base.buttons
    for i, category in enumerate(settings.categories or []):
        if category.key in (buttons.confirm_key, buttons.undo_key):
            role = "confirm" if category.key == buttons.confirm_key else "undo"
            raise SettingsError(f"settings.categories.{i}.key: {category.key!r} is this station's {role} key")
    try:
        return settings, apply_settings(base, settings)
    except ValidationError as exc:
        raise SettingsError("with the station's file: " + describe_briefly(exc, "")) from None


class SettingsError(ValueError):
    """Settings that cannot be applied; the message (at most MAX_ERROR_CHARS) names each bad key."""


def describe_briefly(exc: ValidationError, prefix: str) -> str:
    """One line in the style of config.files.describe, short enough for a heartbeat: ``<prefix><key>: problem``
    for each error, values cut short, the whole at most MAX_ERROR_CHARS characters."""
    parts = []
    for err in exc.errors():
        key = prefix + ".".join(str(p) for p in err["loc"]) if err["loc"] else prefix.rstrip(".") or "(top level)"
        if err["type"] == "extra_forbidden":
            parts.append(f"{key}: unknown key")
        elif err["type"] == "missing":
            parts.append(f"{key}: required key is missing")
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            value = err.get("input")
            if isinstance(value, dict | list):  # a whole section: the message says what is wrong in it
                parts.append(f"{key}: {message}")
                continue
            got = repr(value)
            if len(got) > MAX_QUOTED_CHARS:
                got = got[: MAX_QUOTED_CHARS - 3] + "..."
            parts.append(f"{key}: {message} (got {got})")
    text = "; ".join(parts)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 3] + "..."
    return text


class RemoteConfigSettings(BaseModel):
    """The sorting settings the hub holds for each station, and their history."""

    model_config = ConfigDict(extra="forbid")

    config_file: Path = sqlite_file(
        "var/hub/station-configs.sqlite",
        "SQLite file with every version of each station's sorting settings: who changed it, and when",
    )
    versions_kept: int = Field(
        200, ge=1, le=100_000, description="versions kept per station; older ones are deleted (the latest stays)"
    )
