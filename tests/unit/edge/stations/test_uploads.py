"""The station's capture uploader against the hub's real upload endpoint (its app, behind a transport that can
play a hub that is away): resume after an outage, delete only what the hub confirmed, idempotent re-uploads."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from config.captures import CaptureUploadSettings, HubLinkConfig
from config.station import Identity
from config.vision import CaptureConfig
from edge.stations.uploads import LEGACY_ID_NAMESPACE, CaptureUploader, Pass, start_uploads
from edge.vision.capture import CaptureStore
from edge.vision.dataset import iter_samples
from hub.api.app import create_app
from hub.api.deps import HubState
from hub.captures.tokens import StaticTokens, StationIdentity
from hub.captures.uploads import CaptureUploads
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1
from tests.conftest import wait_until

STATION = Identity(id="zwolle-plastic-1", site="zwolle", stream="plastic")
TOKEN = "token-of-zwolle-plastic-1"
OTHER_TOKEN = "token-of-deventer-plastic-1"
HUB_URL = "http://hub.test"


class FlakyHub:
    """The hub's app; ``down``: the connection is refused; ``lose_answers``: it stores, then the answer is lost."""

    def __init__(self, folder: Path) -> None:
        self.registry = CollectorRegistry()
        self.uploads = CaptureUploads(
            CaptureUploadSettings(folder=folder),
            StaticTokens(
                {
                    TOKEN: StationIdentity(STATION.id, STATION.site),
                    OTHER_TOKEN: StationIdentity("deventer-plastic-1", "deventer"),
                }
            ),
            self.registry,
        )
        state = HubState(cast(InfluxV1, None), cast(LiveStations, None), DeadLetters(), IngestMetrics())
        state.captures = self.uploads
        self.client = TestClient(create_app(state))
        self.down = False
        self.lose_answers = False
        self.requests = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        headers = {k: request.headers[k] for k in ("authorization", "content-type")}
        answer = self.client.request(request.method, request.url.path, content=request.read(), headers=headers)
        if self.lose_answers:
            raise httpx.ReadTimeout("the answer never came", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def client_for(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle), base_url=HUB_URL)

    def stored(self) -> list[str]:
        return sorted(s.meta.capture_id for s in iter_samples(self.uploads.archive.site_root(STATION.site)))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[FlakyHub]:
    instance = FlakyHub(tmp_path / "hub")
    with instance.client:
        yield instance


@pytest.fixture
def store(tmp_path: Path) -> CaptureStore:
    return CaptureStore(CaptureConfig(enabled=True, folder=tmp_path / "station", plate_roi=(0, 0, 64, 48)))


def capture(store: CaptureStore, seed: int = 0, **extra: object) -> str:
    pixels = np.random.default_rng(seed).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    values: dict[str, object] = {
        "stream": "plastic",
        "label": "pp",
        "suggested": "pp",
        "accepted": True,
        "model_version": "plastic-1",
        "site": STATION.site,
        "station": STATION.id,
        "captured_at": datetime.now(UTC) - timedelta(minutes=10 - seed),  # retention keeps recent ones
    }
    path = store.store(pixels, **(values | extra))  # type: ignore[arg-type]
    assert path is not None
    return path.stem


def uploader(store: CaptureStore, hub: FlakyHub, token: str = TOKEN, **link: object) -> CaptureUploader:
    values: dict[str, object] = {"url": HUB_URL, "upload_pause_s": 0, "upload_batch": 20}
    return CaptureUploader(store, HubLinkConfig.model_validate(values | link), token, STATION, client=hub.client_for())


def station_files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "station").rglob("*") if p.is_file())


def test_captures_wait_while_the_hub_is_away_and_go_when_it_is_back(
    hub: FlakyHub, store: CaptureStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ids = sorted(capture(store, seed) for seed in range(3))
    assert all(uuid.UUID(i).version == 7 for i in ids)  # the station's capture ids are the contract's
    up = uploader(store, hub)
    hub.down = True
    with caplog.at_level(logging.WARNING, "edge.stations.uploads"):
        assert up.run_once() is Pass.AWAY
        assert up.run_once() is Pass.AWAY
    assert len(station_files(tmp_path)) == 6  # nothing deleted while nothing was confirmed
    assert up.counters.failures == 2
    assert len([r for r in caplog.records if "does not take captures" in r.message]) == 1  # once per outage

    hub.down = False
    assert up.run_once() is Pass.IDLE
    assert hub.stored() == ids
    assert station_files(tmp_path) == []
    assert store.counters.items == 0
    assert store.counters.bytes == 0
    assert up.counters.uploaded == 3


def test_a_capture_is_deleted_only_after_the_hub_confirmed_it_and_a_re_upload_is_idempotent(
    hub: FlakyHub, store: CaptureStore, tmp_path: Path
) -> None:
    capture_id = capture(store)
    up = uploader(store, hub)
    hub.lose_answers = True  # stored at the hub, but the station never hears so
    assert up.run_once() is Pass.AWAY
    assert hub.stored() == [capture_id]
    assert len(station_files(tmp_path)) == 2

    hub.lose_answers = False
    assert up.run_once() is Pass.IDLE  # the same upload again: 200, unchanged, then deleted here
    assert hub.registry.get_sample_value("sortcentre_captures_stored_total", {"stored": "unchanged"}) == 1
    assert hub.stored() == [capture_id]
    assert station_files(tmp_path) == []


def test_the_uploaded_metadata_is_what_the_station_recorded(hub: FlakyHub, store: CaptureStore) -> None:
    capture_id = capture(store, suggested=None, accepted=None, model_version=None, features=[0.5, -2.0])
    shown = capture(store, seed=1, shown=False)  # a blind check: the suggestion was computed, not shown
    assert uploader(store, hub).run_once() is Pass.IDLE
    samples = {s.meta.capture_id: s.meta for s in iter_samples(hub.uploads.archive.site_root("zwolle"))}
    plain = samples[capture_id]
    assert (plain.suggested, plain.shown, plain.accepted, plain.features) == (None, False, None, (0.5, -2.0))
    assert (samples[shown].suggested, samples[shown].shown) == ("pp", False)
    assert (plain.site, plain.station, plain.stream, plain.label) == ("zwolle", STATION.id, "plastic", "pp")


def test_a_capture_the_hub_refuses_for_good_is_kept_and_not_sent_again(
    hub: FlakyHub, store: CaptureStore, tmp_path: Path
) -> None:
    capture(store)
    up = uploader(store, hub, token=OTHER_TOKEN)  # another station's token: 403
    assert up.run_once() is Pass.IDLE
    assert up.counters.refused == 1
    assert len(station_files(tmp_path)) == 2  # kept for the station's own retention
    sent = hub.requests
    assert up.run_once() is Pass.IDLE
    assert hub.requests == sent


def test_an_unknown_token_is_an_outage_not_a_refusal(hub: FlakyHub, store: CaptureStore, tmp_path: Path) -> None:
    """401: the hub does not know this station yet (the admin has not added it); try again later."""
    capture(store)
    up = uploader(store, hub, token="not-issued-yet")
    assert up.run_once() is Pass.AWAY
    assert up.counters.refused == 0
    assert len(station_files(tmp_path)) == 2


def test_a_capture_stored_before_ids_were_uuids_gets_a_stable_uuid(
    hub: FlakyHub, store: CaptureStore, tmp_path: Path
) -> None:
    folder = tmp_path / "station" / "plastic" / "pet"
    folder.mkdir(parents=True)
    legacy = "20260302T120000123456Z-1a2b3c4d"
    new_id = capture(store)
    (folder / f"{legacy}.jpg").write_bytes(next(iter_samples(tmp_path / "station")).image.read_bytes())
    sidecar = {"capture_id": legacy, "stream": "plastic", "label": "pet", "captured_at": datetime.now(UTC).isoformat()}
    (folder / f"{legacy}.json").write_text(json.dumps(sidecar))
    reopened = CaptureStore(CaptureConfig(enabled=True, folder=tmp_path / "station", plate_roi=(0, 0, 64, 48)))
    assert uploader(reopened, hub).run_once() is Pass.IDLE
    expected = str(uuid.uuid5(LEGACY_ID_NAMESPACE, f"{STATION.id}/{legacy}"))
    assert hub.stored() == sorted([expected, new_id])
    assert station_files(tmp_path) == []


def test_a_full_batch_says_more_is_waiting(hub: FlakyHub, store: CaptureStore) -> None:
    for seed in range(3):
        capture(store, seed)
    up = uploader(store, hub, upload_batch=2)
    assert up.run_once() is Pass.MORE
    assert up.run_once() is Pass.IDLE
    assert len(hub.stored()) == 3


def test_the_thread_uploads_in_the_background_and_stops(hub: FlakyHub, store: CaptureStore) -> None:
    up = uploader(store, hub, upload_interval_s=0.05, retry_initial_s=0.05, retry_max_s=0.1)
    hub.down = True
    capture(store)
    up.start()
    try:
        assert wait_until(lambda: up.counters.failures >= 2, timeout=5, interval=0.02)
        hub.down = False
        capture(store, 1)  # a capture made while the uploader runs
        assert wait_until(lambda: len(hub.stored()) == 2, timeout=5, interval=0.02)
    finally:
        up.stop()
    assert store.counters.items == 0


def test_uploads_start_only_with_consent_a_hub_and_a_token(store: CaptureStore, tmp_path: Path) -> None:
    assert start_uploads(None, HubLinkConfig(url=HUB_URL, upload_token="t"), STATION) is None  # no consent
    assert start_uploads(store, HubLinkConfig(), STATION) is None  # no hub
    assert start_uploads(store, HubLinkConfig(url=HUB_URL), STATION) is None  # no token
    missing = HubLinkConfig(url=HUB_URL, upload_token_file=tmp_path / "missing")
    assert start_uploads(store, missing, STATION) is None
    token_file = tmp_path / "token"
    token_file.write_text("secret-token\n")
    assert HubLinkConfig(url=HUB_URL, upload_token_file=token_file).token() == "secret-token"
    running = start_uploads(store, HubLinkConfig(url="http://127.0.0.1:9/", upload_token="t"), STATION)
    assert running is not None
    running.stop()
