"""One TOML file per station, validated strictly: an unknown key is an error that names the key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sortcentre import config_files
from sortcentre.mqtt import MqttSettings
from sortcentre.wire.topics import SLUG_PATTERN

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
Key = Annotated[str, Field(pattern=r"^[0-9A-Z]{1,3}$", description="button key on the board")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Identity(_Strict):
    id: Slug = Field(description="station id, unique in the network, e.g. zwolle-plastic-1")
    site: Slug = Field(description="site slug, e.g. zwolle")
    stream: Slug = Field(description="what this station sorts: plastic, textile, ...")


class Category(_Strict):
    id: Slug = Field(description="category slug, stored with every event")
    nl: str = Field(min_length=1, description="Dutch label on screen and in reports")
    en: str = Field(min_length=1, description="English label")
    pictogram: str = Field("", description="pictogram name shown next to the label")
    key: Key = Field(description="the button on the board for this category")


class ScaleConfig(_Strict):
    driver: Literal["mt-sics"] = Field("mt-sics", description="scale protocol")
    port: str = Field(description="serial device, e.g. /dev/ttyUSB0")
    baudrate: int = Field(9600, description="serial speed")
    poll_interval_s: float = Field(0.1, gt=0, le=2, description="how often the weight is read")
    stable_band_kg: float = Field(0.005, ge=0, description="readings within this band count as one weight")
    stable_time_s: float = Field(0.4, ge=0, description="...for at least this long")
    min_weight_kg: float = Field(0.005, gt=0, description="below this the plate counts as empty")
    zero_on_start: bool = Field(True, description="zero the scale when the station starts")


class ButtonsConfig(_Strict):
    driver: Literal["serial-board"] = Field("serial-board", description="button backend")
    port: str = Field(description="serial device of the button board")
    baudrate: int = Field(115200, description="serial speed")
    debounce_s: float = Field(0.15, ge=0, le=1, description="presses of one key closer than this count once")
    confirm_key: Key = Field("C", description="accepts the lit suggestion")
    undo_key: Key = Field("U", description="takes back the last event")


class JournalConfig(_Strict):
    path: Path = Field(description="SQLite file; keep it on the station's own disk")
    publish_window: int = Field(100, ge=1, le=10_000, description="events sent but not yet acknowledged, at most")


class StationConfig(_Strict):
    station: Identity
    categories: list[Category] = Field(min_length=1)
    scale: ScaleConfig
    buttons: ButtonsConfig
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    journal: JournalConfig
    heartbeat_s: float = Field(10.0, gt=0, le=3600, description="seconds between heartbeats")
    undo_window_s: float = Field(120.0, ge=0, description="how long after an event the undo key takes it back")

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [c.id for c in self.categories]
        keys = [c.key for c in self.categories] + [self.buttons.confirm_key, self.buttons.undo_key]
        if len(set(ids)) != len(ids):
            raise ValueError(f"category ids repeat: {ids}")
        if len(set(keys)) != len(keys):
            raise ValueError(f"button keys repeat (categories, confirm, undo): {keys}")
        return self

    def category_for_key(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)


def load_station_config(path: Path) -> StationConfig:
    """Read and validate; raises sortcentre.config_files.ConfigError naming the file and the bad keys.

    The MQTT password may come from the environment (SORTCENTRE_MQTT_PASSWORD) instead of the file."""
    config = config_files.load(StationConfig, path)
    password = os.environ.get("SORTCENTRE_MQTT_PASSWORD")
    if password and config.mqtt.password is None:
        config.mqtt = MqttSettings.model_validate(config.mqtt.model_dump() | {"password": password})
    return config
