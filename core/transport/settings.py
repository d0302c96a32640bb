"""The broker connection's settings: a pydantic model only, so config files load without importing paho."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MqttSettings(BaseModel):
    """Where the broker is and who we are to it."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="broker host name or address")
    port: int = Field(1883, ge=1, le=65535, description="broker port")
    username: str | None = Field(None, description="broker user name (one per station in production)")
    password: SecretStr | None = Field(None, description="broker password; prefer an environment variable")
    password_file: str | None = Field(None, description="read the broker password from this file (e.g. a secret)")
    keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keepalive; the last will fires after 1.5x this")
    tls: bool = Field(False, description="connect with TLS using the system's CA certificates")
    ca_file: str | None = Field(None, description="CA bundle for a private broker certificate")

    def secret(self) -> str | None:
        """The password: the one given, else the first line of ``password_file``, else none."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_file:
            return Path(self.password_file).read_text().strip()
        return None
