"""One TOML file per station, validated strictly: an unknown key is an error that names the key.

``StationConfig.load(path)``: SORTCENTRE_STATION_* environment variables override the file, nested keys joined with
``__`` (``SORTCENTRE_STATION_MQTT__PASSWORD``); see config/files.py."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from config.captures import HubLinkConfig
from config.drivers import ButtonsConfig, CameraConfig, Key, ScaleConfig
from config.files import FileSettings
from config.vision import VisionConfig
from core.contract.fleet import MAX_MODEL_BYTES
from core.contract.payloads import Slug
from core.transport.settings import MqttSettings

logger = logging.getLogger(__name__)

# The name the station's MQTT password had before the SORTCENTRE_STATION_ prefix; still read, with a warning.
LEGACY_PASSWORD_VARIABLE = "SORTCENTRE_MQTT_PASSWORD"  # noqa: S105 -- a variable name, not a password


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


class SpeechConfig(_Strict):
    """Spoken Dutch (docs/station.md, "Spoken Dutch"): on a press the station says the chosen category's Dutch name,
    so a sorter learning Dutch hears the word with the item in hand. Needs the Debian package espeak-ng."""

    enabled: bool = Field(False, description="say the Dutch name of the chosen category aloud (espeak-ng)")
    volume: int = Field(
        100, ge=0, le=200, description="loudness: espeak-ng's amplitude, 0 silent, 100 its default, 200 loudest"
    )
    words_per_minute: int = Field(
        140, ge=80, le=300, description="speaking rate; slower than espeak-ng's 175 is easier to follow"
    )
    voice: str = Field(
        "nl", pattern=r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$", description="espeak-ng voice (`espeak-ng --voices=nl`)"
    )


class KioskConfig(_Strict):
    enabled: bool = Field(True, description="serve the sorter's screen (a local web page)")
    host: str = Field("127.0.0.1", description="address of the kiosk page")
    port: int = Field(8090, ge=1, le=65535, description="port of the kiosk page")
    time_zone: str = Field(
        "Europe/Amsterdam", description="the site's time zone (IANA name), for times on the sorter's screen"
    )
    languages: list[str] | None = Field(
        None,
        max_length=50,
        description="second languages the language key cycles through, in order (codes such as ar, ti); "
        "none: every shipped language and every one in languages_folder",
    )
    languages_folder: Path | None = Field(
        None,
        description="a site's translation files (ar.toml, so.toml, ...) that correct or add to the shipped ones",
    )
    language_file: Path | None = Field(
        None, description="where the chosen second language is kept; none: kiosk-language.json beside the journal"
    )
    speech: SpeechConfig = Field(default_factory=SpeechConfig, description="spoken Dutch category names")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Europe/Amsterdam") from None
        return value


class JournalConfig(_Strict):
    path: Path = Field(description="SQLite file; keep it on the station's own disk")
    publish_window: int = Field(100, ge=1, le=10_000, description="events sent but not yet acknowledged, at most")
    max_bytes: int = Field(
        2 * 1024**3, ge=1024**2, description="journal size at which the station refuses new items (about 4M events)"
    )


class ModelsConfig(_Strict):
    """Signed models from the hub (docs/fleet.md, "Signed rollout"). Without ``public_key_file`` (or without
    ``hub.url``) the station ignores the hub's model manifests and runs the model its ``[vision]`` names."""

    public_key_file: Path | None = Field(
        None, description="the hub's Ed25519 public key (PEM), pinned: a model signed by any other key is refused"
    )
    folder: Path | None = Field(
        None,
        description="where downloaded models and the record of the applied one live; none: `models` beside the journal",
    )
    download_timeout_s: float = Field(60.0, gt=0, le=3600, description="HTTP timeout between two reads of a download")
    max_bytes: int = Field(
        MAX_MODEL_BYTES, ge=1024, le=MAX_MODEL_BYTES, description="largest model the station downloads at all"
    )
    retry_initial_s: float = Field(5.0, gt=0, le=3600, description="first wait after a download failed")
    retry_max_s: float = Field(300.0, gt=0, le=86_400, description="longest wait between tries of a download")


class StationConfig(FileSettings):
    model_config = SettingsConfigDict(env_prefix="SORTCENTRE_STATION_")

    station: Identity
    categories: list[Category] = Field(min_length=1)
    scale: ScaleConfig
    buttons: ButtonsConfig
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    journal: JournalConfig
    camera: CameraConfig = Field(default_factory=CameraConfig)
    kiosk: KioskConfig = Field(default_factory=KioskConfig)
    vision: VisionConfig = Field(default_factory=VisionConfig)
    hub: HubLinkConfig = Field(
        default_factory=HubLinkConfig, description="where captures are uploaded and models fetched (docs/fleet.md)"
    )
    models: ModelsConfig = Field(default_factory=ModelsConfig, description="signed models from the hub")
    heartbeat_s: float = Field(10.0, gt=0, le=3600, description="seconds between heartbeats")
    undo_window_s: float = Field(120.0, ge=0, description="how long after an event the undo key takes it back")
    simulated_clock_offset_s: float = Field(
        0.0,
        ge=-86_400,
        le=86_400,
        description="simulation and tests only: the station's clock runs this many seconds ahead (negative: "
        "behind) of the machine's, to show the hub's clock check; 0 on a real station",
    )
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

    def kiosk_language_file(self) -> Path:
        return self.kiosk.language_file or self.journal.path.parent / "kiosk-language.json"

    def models_folder(self) -> Path:
        return self.models.folder if self.models.folder is not None else self.journal.path.parent / "models"

    def category_for_key(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init, env, *files = super().settings_customise_sources(
            settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        )
        return init, env, LegacyPasswordSource(settings_cls), *files


class LegacyPasswordSource(PydanticBaseSettingsSource):
    """SORTCENTRE_MQTT_PASSWORD, the station's MQTT password under its old name: below the prefixed variables,
    above the file, so stations deployed with it keep their broker login."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ answers for the whole model

    def __call__(self) -> dict[str, Any]:
        password = os.environ.get(LEGACY_PASSWORD_VARIABLE)
        if not password:
            return {}
        logger.warning("%s is deprecated: set SORTCENTRE_STATION_MQTT__PASSWORD instead", LEGACY_PASSWORD_VARIABLE)
        return {"mqtt": {"password": password}}
