"""One TOML file per station, validated strictly: an unknown key is an error that names the key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config import files as config_files
from config.drivers import ButtonsConfig, CameraConfig, Key, ScaleConfig
from core.contract.topics import SLUG_PATTERN
from core.transport.settings import MqttSettings
from edge.vision.suggester import VisionConfig

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]


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


class KioskConfig(_Strict):
    enabled: bool = Field(True, description="serve the sorter's screen (a local web page)")
    host: str = Field("127.0.0.1", description="address of the kiosk page")
    port: int = Field(8090, ge=1, le=65535, description="port of the kiosk page")


class JournalConfig(_Strict):
    path: Path = Field(description="SQLite file; keep it on the station's own disk")
    publish_window: int = Field(100, ge=1, le=10_000, description="events sent but not yet acknowledged, at most")
    max_bytes: int = Field(
        2 * 1024**3, ge=1024**2, description="journal size at which the station refuses new items (about 4M events)"
    )


class StationConfig(_Strict):
    station: Identity
    categories: list[Category] = Field(min_length=1)
    scale: ScaleConfig
    buttons: ButtonsConfig
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    journal: JournalConfig
    camera: CameraConfig = Field(default_factory=CameraConfig)
    kiosk: KioskConfig = Field(default_factory=KioskConfig)
    vision: VisionConfig = Field(default_factory=VisionConfig)
    heartbeat_s: float = Field(10.0, gt=0, le=3600, description="seconds between heartbeats")
    undo_window_s: float = Field(120.0, ge=0, description="how long after an event the undo key takes it back")
    unpressed: Literal["discard", "unsorted"] = Field(
        "discard", description="item taken off without a press: forget it, or record it as category 'unsorted'"
    )

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
    """Read and validate; raises config.files.ConfigError naming the file and the bad keys.

    The MQTT password may come from the environment (SORTCENTRE_MQTT_PASSWORD) instead of the file."""
    config = config_files.load(StationConfig, path)
    password = os.environ.get("SORTCENTRE_MQTT_PASSWORD")
    if password and config.mqtt.password is None:
        config.mqtt = MqttSettings.model_validate(config.mqtt.model_dump() | {"password": password})
    return config
