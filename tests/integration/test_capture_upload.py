"""Captures to the hub over real HTTP: the hub process's app in uvicorn (as ``run_hub`` serves it), with its ingest
on the session's Mosquitto and InfluxDB; raw httpx as an independent client, and the station's own uploader.

Acceptance (issue 15): a station uploading under another station's token, or a capture with a path-like id, is
refused (403/400) and nothing is written outside the dataset folder.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from config.captures import CaptureUploadSettings, HubLinkConfig
from config.station import Identity
from config.vision import CaptureConfig
from edge.stations.uploads import CaptureUploader, Pass
from edge.vision.capture import CaptureStore
from edge.vision.dataset import iter_samples
from hub.api.app import create_app, server_options
from hub.captures.tokens import StaticTokens, StationIdentity
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer, free_port
from tests.conftest import wait_until
from tests.integration.conftest import forget_sessions, hub_settings
from tests.integration.test_auth_api import Served

ZWOLLE = StationIdentity("zwolle-plastic-1", "zwolle")
DEVENTER = StationIdentity("deventer-plastic-1", "deventer")
TOKENS = {"zwolle-token-0123456789": ZWOLLE, "deventer-token-0123456789": DEVENTER}
ZWOLLE_TOKEN, DEVENTER_TOKEN = TOKENS


def jpeg(seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    return bytes(cv2.imencode(".jpg", pixels)[1].tobytes())


def upload_body(capture_id: str, station: StationIdentity = ZWOLLE, label: str = "pp") -> bytes:
    """Written out by hand, as any HTTP client would: the contract's JSON with the JPEG in base64."""
    meta = {
        "capture_id": capture_id,
        "site": station.site,
        "station": station.station,
        "stream": "plastic",
        "label": label,
        "suggested": "pp",
        "shown": True,
        "accepted": label == "pp",
        "model_version": "plastic-1",
        "captured_at": "2026-12-04T08:00:00.000Z",
        "features": [0.1, 0.2, 0.3],
    }
    return json.dumps({"meta": meta, "image": base64.b64encode(jpeg()).decode()}).encode()


class HubProcess:
    def __init__(self, hub: Hub, port: int) -> None:
        self.hub = hub
        self.options = server_options(hub.settings) | {"port": port, "log_level": "warning"}
        self.url = f"http://{self.options['host']}:{port}"

    def serve(self) -> Served:
        return Served(create_app(self.hub.state, self.hub.settings), self.options)


@pytest.fixture
def hub_process(mosquitto: MosquittoServer, influx: InfluxServer, tmp_path: Path) -> Iterator[HubProcess]:
    settings = hub_settings(mosquitto, influx)
    settings.captures = CaptureUploadSettings(folder=tmp_path / "hub" / "captures")
    hub = Hub(settings, station_tokens=StaticTokens(TOKENS))
    hub.start()
    yield HubProcess(hub, free_port())
    hub.stop()
    forget_sessions(hub)


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_another_stations_token_is_403_and_a_path_like_id_is_400_with_nothing_written(
    hub_process: HubProcess, tmp_path: Path
) -> None:
    folder = hub_process.hub.settings.captures.folder
    with hub_process.serve() as served, httpx.Client(base_url=served.url, timeout=10) as client:

        def put(path: str, body: bytes, token: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            return client.put(path, content=body, headers=headers)

        # Deventer's token, Zwolle's capture: 403.
        capture_id = str(uuid.uuid4())
        answer = put(f"/api/captures/{capture_id}", upload_body(capture_id, ZWOLLE), DEVENTER_TOKEN)
        assert answer.status_code == 403, answer.text
        # Deventer's token, Zwolle's site under Deventer's station name: 403 too.
        spoofed = StationIdentity(DEVENTER.station, ZWOLLE.site)
        assert put(f"/api/captures/{capture_id}", upload_body(capture_id, spoofed), DEVENTER_TOKEN).status_code == 403
        # Path-like ids with a good token and a good body: 400.
        for hostile in ("..%2Fescaped", "..%2F..%2F..%2Fescaped", "%2e%2e", "a%2Fb", "a/b", "..%5Cx"):
            answer = put(f"/api/captures/{hostile}", upload_body(capture_id), ZWOLLE_TOKEN)
            assert answer.status_code == 400, (hostile, answer.status_code, answer.text)
        # No token at all: 401.
        assert client.put(f"/api/captures/{capture_id}", content=upload_body(capture_id)).status_code == 401
        assert files(tmp_path) == []  # not in the dataset folder, not beside it, not anywhere under the test's tree

        # The station's own token: stored where train reads it; again: 200, unchanged.
        assert put(f"/api/captures/{capture_id}", upload_body(capture_id), ZWOLLE_TOKEN).status_code == 201
        assert put(f"/api/captures/{capture_id}", upload_body(capture_id), ZWOLLE_TOKEN).status_code == 200
        assert put(f"/api/captures/{capture_id}", upload_body(capture_id, label="pet"), ZWOLLE_TOKEN).status_code == 409

    assert [p.relative_to(folder) for p in files(tmp_path)] == [
        Path(f"zwolle/plastic/pp/{capture_id}.jpg"),
        Path(f"zwolle/plastic/pp/{capture_id}.json"),
    ]
    (sample,) = iter_samples(folder / "zwolle", "plastic")
    assert (sample.meta.station, sample.meta.shown, sample.meta.features) == (ZWOLLE.station, True, (0.1, 0.2, 0.3))
    refused = hub_process.hub.metrics.registry.get_sample_value
    assert refused("sortcentre_captures_refused_total", {"reason": "wrong_station"}) == 1
    assert refused("sortcentre_captures_refused_total", {"reason": "wrong_site"}) == 1
    assert refused("sortcentre_captures_refused_total", {"reason": "bad_id"}) == 6


def test_the_station_uploads_what_it_captured_while_the_hub_was_down(hub_process: HubProcess, tmp_path: Path) -> None:
    store = CaptureStore(CaptureConfig(enabled=True, folder=tmp_path / "station", plate_roi=(0, 0, 64, 48)))
    pixels = np.random.default_rng(1).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    for label in ("pp", "pet", "pp"):
        store.store(
            pixels,
            stream="plastic",
            label=label,
            suggested="pp",
            accepted=label == "pp",
            model_version="plastic-1",
            site=ZWOLLE.site,
            station=ZWOLLE.station,
            captured_at=datetime.now(UTC),
        )
    link = HubLinkConfig(url=hub_process.url, upload_pause_s=0, timeout_s=2)
    uploader = CaptureUploader(store, link, ZWOLLE_TOKEN, Identity(id=ZWOLLE.station, site="zwolle", stream="plastic"))
    try:
        assert uploader.run_once() is Pass.AWAY  # nothing listens on the hub's port yet
        assert store.counters.items == 3
        with hub_process.serve():
            assert uploader.run_once() is Pass.IDLE
            assert wait_until(lambda: store.counters.items == 0, timeout=5)
    finally:
        uploader.stop()
    assert files(tmp_path / "station") == []
    counts = hub_process.hub.captures.archive.counts()
    assert counts == {("zwolle", "plastic", "pet"): 1, ("zwolle", "plastic", "pp"): 2}
