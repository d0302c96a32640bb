"""GET /api/models/{file}: a stored bundle by its exact name, without a login; nothing else, and not too often."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from fastapi.testclient import TestClient

from config.models import ModelSettings
from firmware_mocks.models import bundle_versions, train_model
from hub.api.app import create_app
from hub.api.deps import HubState
from hub.fleet.models import ModelStore
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    return bundle_versions(train_model(folder), ["v1"], folder / "bundles")["plastic-classifier@v1"]


def client(store: ModelStore | None) -> TestClient:
    state = HubState(cast(InfluxV1, None), cast(LiveStations, None), DeadLetters(), IngestMetrics(), models=store)
    return TestClient(create_app(state))


def test_a_stored_bundle_is_served_whole_without_a_login(tmp_path: Path, bundle: Path) -> None:
    store = ModelStore(ModelSettings(folder=tmp_path / "store"))
    stored = store.add(bundle)
    answer = client(store).get(stored.url)
    assert answer.status_code == 200
    assert answer.content == bundle.read_bytes()
    assert answer.headers["content-type"] == "application/x-tar"


def test_other_names_are_refused_and_nothing_is_listed(tmp_path: Path, bundle: Path) -> None:
    store = ModelStore(ModelSettings(folder=tmp_path / "store"))
    store.add(bundle)
    (tmp_path / "outside.model.tar").write_text("not served")
    api = client(store)
    assert api.get("/api/models/").status_code == 404  # no listing
    assert api.get("/api/models/missing-0123.model.tar").status_code == 404
    assert api.get("/api/models/..%2Foutside.model.tar").status_code in (400, 404)
    assert api.get("/api/models/.outside.model.tar").status_code == 400
    assert api.get("/api/models/notes.txt").status_code == 400
    assert api.get("/api/models/" + "a" * 300 + ".model.tar").status_code == 422
    assert client(None).get("/api/models/missing-0123.model.tar").status_code == 404


def test_downloads_per_address_are_limited(tmp_path: Path, bundle: Path) -> None:
    store = ModelStore(ModelSettings(folder=tmp_path / "store", downloads_per_minute=1, burst=2))
    stored = store.add(bundle)
    api = client(store)
    assert [api.get(stored.url).status_code for _ in range(3)] == [200, 200, 429]
    assert int(api.get(stored.url).headers["retry-after"]) >= 1
