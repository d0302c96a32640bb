"""Hub settings: a TOML file and/or SORTCENTRE_HUB_* environment variables (secrets belong in the latter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.ingest.pipeline import IngestSettings
from hub.storage.influx_v1 import InfluxSettings
from sortcentre.config_files import ConfigError, describe, read_toml
from sortcentre.mqtt import MqttSettings


class HubSettings(BaseSettings):
    """Environment variables use ``__`` for nesting: ``SORTCENTRE_HUB_INFLUX__TOKEN=...``."""

    model_config = SettingsConfigDict(env_prefix="SORTCENTRE_HUB_", env_nested_delimiter="__", extra="forbid")

    http_host: str = Field("127.0.0.1", description="address the web server listens on")
    http_port: int = Field(8080, ge=1, le=65535, description="port of the dashboard and API")
    client_id: str = Field("sortcentre-hub", description="MQTT client id prefix (fixed, for persistent sessions)")
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    influx: InfluxSettings = Field(default_factory=InfluxSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> HubSettings:
        data = (read_toml(path) if path else {}) | overrides
        try:
            return cls(**data)
        except ValidationError as exc:
            raise ConfigError(describe(exc, str(path or "hub settings"))) from None
