"""An InfluxDB 1.x server (Debian's influxd) on chosen ports with all its files under a data folder."""

from __future__ import annotations

from pathlib import Path

import httpx

from local_servers.process import ChildServer, find_binary, free_port


class InfluxServer(ChildServer):
    name = "influxd"

    def __init__(
        self, data_dir: Path, port: int | None = None, database: str = "sortcentre", host: str = "127.0.0.1"
    ) -> None:
        super().__init__(data_dir)
        self.host = host
        self.port = port or free_port(host)
        # influxd also binds a backup/restore RPC port (default 8088): give it its own so instances coexist.
        self.rpc_port = free_port(host)
        self.database = database
        self.config_path = data_dir / "influxdb.conf"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def prepare(self) -> None:
        d = self.data_dir
        self.config_path.write_text(
            f"""reporting-disabled = true
bind-address = "{self.host}:{self.rpc_port}"
[meta]
  dir = "{d}/meta"
[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "{self.host}:{self.port}"
  log-enabled = false
  max-body-size = 0
[ifql]
  enabled = false
[continuous_queries]
  log-enabled = false
[logging]
  level = "warn"
"""
        )

    def command(self) -> list[str]:
        return [find_binary("influxd", "influxdb"), "-config", str(self.config_path)]

    def ports(self) -> list[int]:
        return [self.port, self.rpc_port]

    def is_ready(self) -> bool:
        """Ready when ``/ping`` answers 204 and says it is InfluxDB (its X-Influxdb-Version header): any other
        web server that holds the port would not."""
        try:
            response = httpx.get(f"{self.url}/ping", timeout=0.5)
        except httpx.HTTPError as err:
            self.not_ready_reason = f"/ping: {err!r}"
            return False
        if response.status_code != 204 or "X-Influxdb-Version" not in response.headers:
            self.not_ready_reason = f"/ping answered {response.status_code}, not InfluxDB's 204"
            return False
        return True

    def after_ready(self) -> None:
        # CREATE DATABASE is idempotent in InfluxDB 1.x: a second demo run keeps the data.
        response = httpx.post(f"{self.url}/query", data={"q": f'CREATE DATABASE "{self.database}"'}, timeout=10)
        response.raise_for_status()
