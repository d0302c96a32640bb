"""Where the hub's InfluxDB is and how the hub logs in to it (``[influx]`` in the hub's TOML)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class InfluxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field("http://127.0.0.1:8086", description="base URL of the InfluxDB HTTP API")
    database: str = Field("sortcentre", description="1.x database, or the bucket's DBRP database on 2.x/3.x")
    retention_policy: str | None = Field(None, description="write into this retention policy (default: the DB's)")
    username: str | None = Field(None, description="InfluxDB 1.x user")
    password: SecretStr | None = Field(None, description="InfluxDB 1.x password")
    token: SecretStr | None = Field(None, description="InfluxDB 2.x/3.x API token (v1 compatibility API)")
    timeout_s: float = Field(10.0, gt=0, description="HTTP timeout for one write or query")
