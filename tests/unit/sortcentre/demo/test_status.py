"""The demo's view of its hub: the first login may be slow (argon2id on a loaded machine) and must not end the demo."""

from __future__ import annotations

from pathlib import Path

import httpx

from local_servers import InfluxServer
from sortcentre.demo.accounts import DemoLogin
from sortcentre.demo.status import LOGIN_TIMEOUT_S, READ_TIMEOUT_S, Status


def test_the_login_waits_longer_than_the_other_reads(tmp_path: Path) -> None:
    seen: list[dict[str, float | None]] = []

    def hub(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    status = Status(["http://127.0.0.1:9"], InfluxServer(tmp_path / "influxdb"), tmp_path / "summary.json")
    status.api.close()
    status.api = httpx.Client(base_url=status.hub_url, timeout=READ_TIMEOUT_S, transport=httpx.MockTransport(hub))
    try:
        assert status.log_in(DemoLogin("admin", "secret", ()))
        status.api.get("/api/v1/health")
    finally:
        status.close()

    login, health = seen
    assert login["read"] == LOGIN_TIMEOUT_S > 4 * READ_TIMEOUT_S
    assert health["read"] == READ_TIMEOUT_S == 5
