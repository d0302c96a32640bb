"""Hub settings: a TOML file and/or SORTCENTRE_HUB_* environment variables (secrets belong in the latter).

``HubSettings.load(path)``: the environment overrides the file, nested keys joined with ``__``; see config/files.py."""

from __future__ import annotations

import logging
from ipaddress import ip_network
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from config.captures import CaptureUploadSettings
from config.dashboard import DashboardSettings
from config.feeds import FeedSettings
from config.files import FileSettings, paths_under, sqlite_file
from config.fleet import FleetSettings
from config.influx import InfluxSettings
from config.ingest import IngestSettings
from config.keys import KeySettings
from config.learning import LearningSettings
from config.models import ModelSettings
from config.remote import RemoteConfigSettings
from core.transport.settings import MqttSettings

logger = logging.getLogger(__name__)


class AuthSettings(BaseModel):
    """Logins to the dashboard and API (docs/users.md)."""

    model_config = ConfigDict(extra="forbid")

    users_file: Path = sqlite_file(
        "var/hub/users.sqlite", "SQLite file with the users and their sessions (`sortcentre users ...` manages it)"
    )
    # A week: a wall screen that is switched off over a long weekend still shows the page on Monday.
    session_idle_days: float = Field(
        7.0, gt=0, le=400, description="a session ends after this many days without a request"
    )
    secure_cookies: bool = Field(
        False, description="mark the session cookie Secure (only sent over HTTPS): turn on behind a TLS proxy"
    )
    login_failures_allowed: int = Field(
        5, ge=1, le=1000, description="failed logins per user name from one client address before 429"
    )
    # Much higher than the per-name limit: a site PC (or a proxy) is one address for everyone behind it, so one
    # person's typos must not lock the others out; it still stops one machine spraying guesses over many names.
    login_failures_per_address: int = Field(
        100, ge=1, le=100_000, description="failed logins from one client address, over all user names, before 429"
    )
    login_window_s: float = Field(900.0, gt=0, le=86_400, description="...both counted over this many seconds")
    metrics_token: SecretStr | None = Field(
        None,
        description="bearer token that lets Prometheus read /metrics without a login; prefer an environment variable",
    )


class LiveMqttAccount(BaseModel):
    """The live-status client's own broker account (docs/broker.md). The broker binds each client id to its user
    name, so the hub's two connections (ingest and live status) need an account each; host, port and TLS come
    from ``[mqtt]``. Unset: the live client uses the ``[mqtt]`` account (only right on a broker without accounts)."""

    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(None, description="broker user name of the hub's live-status client (`hub-live`)")
    password: SecretStr | None = Field(None, description="its password; prefer an environment variable")
    password_file: str | None = Field(None, description="read its password from this file (e.g. a secret)")


class WebSettings(BaseModel):
    """Where people and partners reach the hub's web server, and who stands in front of it (docs/users.md)."""

    model_config = ConfigDict(extra="forbid")

    public_url: str | None = Field(
        None,
        description="the hub's address as browsers and partners use it, e.g. `https://hub.example.nl`: links "
        "(the feed's next page) are built from it, and state-changing requests must come from it (Origin); "
        "none: links are relative and a request's own host is its origin",
    )
    trusted_proxies: list[str] = Field(
        [],
        description="addresses or networks (`10.0.0.5`, `10.0.0.0/24`) of reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto the hub believes; none: those headers are ignored, whoever sends them",
    )

    @field_validator("public_url")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("write it as http(s)://host[:port], e.g. https://hub.example.nl")
        if parts.path not in ("", "/") or parts.username or parts.password:
            raise ValueError("only scheme, host and port: the hub serves from the root of its address")
        return f"{parts.scheme}://{parts.netloc.lower()}"

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is no IP address or network") from None
        return value


class HubSettings(FileSettings):
    """Environment variables use ``__`` for nesting: ``SORTCENTRE_HUB_INFLUX__TOKEN=...``.

    Relative paths (the defaults too) are taken relative to the TOML file's folder, so the hub and every
    ``sortcentre`` command given the same file use the same data files from whatever folder they run in.
    Without a file they are relative to the current folder."""

    model_config = SettingsConfigDict(env_prefix="SORTCENTRE_HUB_")

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> Self:
        settings = super().load(path, **overrides)
        return settings if path is None else paths_under(settings, path.resolve().parent)

    http_host: str = Field("127.0.0.1", description="address the web server listens on")
    http_port: int = Field(8080, ge=1, le=65535, description="port of the dashboard and API")
    client_id: str = Field("sortcentre-hub", description="MQTT client id prefix (fixed, for persistent sessions)")
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    live_mqtt: LiveMqttAccount = Field(default_factory=LiveMqttAccount)
    influx: InfluxSettings = Field(default_factory=InfluxSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    keys: KeySettings = Field(default_factory=KeySettings)
    feeds: FeedSettings = Field(default_factory=FeedSettings)
    models: ModelSettings = Field(default_factory=ModelSettings, description="signed models for the stations")
    reference_file: Path | None = Field(
        None, description="reference data (municipalities, R-ladder destinations, CO2e factors); none: the packaged one"
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    fleet: FleetSettings = Field(default_factory=FleetSettings)
    captures: CaptureUploadSettings = Field(
        default_factory=CaptureUploadSettings, description="captures uploaded by the stations (docs/fleet.md)"
    )
    remote_config: RemoteConfigSettings = Field(default_factory=RemoteConfigSettings)
    learning: LearningSettings = Field(
        default_factory=LearningSettings, description="training at the hub and canary rollouts (docs/fleet.md)"
    )

    @model_validator(mode="after")
    def _train_on_the_uploads(self) -> Self:
        # One folder, not two that must be kept equal: the hub trains on the captures the stations uploaded.
        if "dataset_folder" not in self.learning.model_fields_set:
            self.learning.dataset_folder = self.captures.folder
        return self

    @model_validator(mode="after")
    def _live_account_is_its_own(self) -> Self:
        if self.live_mqtt.username is not None and self.live_mqtt.username == self.mqtt.username:
            # One account for both connections: each would push the other off the broker, over and over.
            raise ValueError(f"live_mqtt.username must differ from mqtt.username ({self.mqtt.username!r})")
        return self

    def live_mqtt_settings(self) -> MqttSettings:
        """``[mqtt]`` with the live-status client's own account, where one is set."""
        live = self.live_mqtt
        if live.username is None:
            if self.mqtt.username is not None:
                logger.warning(
                    "live_mqtt.username is not set: the live-status client logs in as %s too; a broker that binds "
                    "client ids to accounts (docs/broker.md) will keep pushing one of the two connections off",
                    self.mqtt.username,
                )
            return self.mqtt
        return self.mqtt.model_copy(
            update={"username": live.username, "password": live.password, "password_file": live.password_file}
        )
