"""The admin API of training and rollouts on the hub's web app: training in the background (409 while one runs),
its comparison in GET, rollouts listed with their state and reason, and refusals with clear codes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from config.learning import LearningSettings
from firmware_mocks.captures import STREAM, write_dataset
from hub.auth.principal import Role
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer
from tests.conftest import wait_until
from tests.integration.conftest import hub_settings
from tests.integration.conftest import logged_in as logged_in_elsewhere

SITE = "zuid"
OWN = {"Origin": "http://testserver"}  # a change with a session must come from the hub's own pages


def logged_in(hub: Hub, role: Role = Role.ADMIN, sites: Sequence[str] = ()) -> TestClient:
    client = logged_in_elsewhere(hub, role, sites)
    client.headers.update(OWN)
    return client


@pytest.fixture
def hub(mosquitto: MosquittoServer, influx: InfluxServer, tmp_path: Path) -> Iterator[Hub]:
    """A hub (not started: the web app is all these tests need) training on its own folder of captures."""
    write_dataset(tmp_path / "captures" / SITE, 10, seed=0)
    settings = hub_settings(mosquitto, influx)
    settings.learning = LearningSettings(
        dataset_folder=tmp_path / "captures",
        models_folder=tmp_path / "trained",
        rollouts_file=tmp_path / "rollouts.sqlite",
    )
    instance = Hub(settings)
    yield instance
    instance.store.close()


def test_train_then_roll_out(hub: Hub) -> None:
    supervisor = logged_in(hub, Role.SUPERVISOR, [SITE])
    assert supervisor.post("/api/fleet/train", json={"site": SITE, "stream": STREAM}).status_code == 403
    assert supervisor.get("/api/fleet/rollouts").status_code == 403

    admin = logged_in(hub)
    assert admin.get("/api/fleet/train").json()["state"] == "idle"
    started = admin.post("/api/fleet/train", json={"site": SITE, "stream": STREAM})
    assert started.status_code == 202 and started.json()["state"] == "running"
    assert admin.post("/api/fleet/train", json={"site": SITE, "stream": STREAM}).status_code == 409
    assert wait_until(lambda: admin.get("/api/fleet/train").json()["state"] != "running", timeout=120)
    status = admin.get("/api/fleet/train").json()
    assert status["state"] == "done", status
    result: dict[str, Any] = status["result"]
    assert result["offerable"] is True and result["current"] is None and result["reason"].startswith("offered")
    assert 0 < result["new"]["coverage"] <= 1 and result["held_out"] > 0

    version = result["version"]
    body = {"site": SITE, "stream": STREAM, "version": version, "canary": ["st-1"], "others": ["st-2"]}
    refused = admin.post("/api/fleet/rollouts", json=body)
    # The hub's own publisher sends only to stations its registry has in service.
    assert refused.status_code == 409 and "st-1 is not registered" in refused.text
    sent: list[tuple[str, tuple[str, ...]]] = []

    def publish(version: str, stations: Sequence[str]) -> None:
        sent.append((version, tuple(stations)))

    assert hub.learning is not None
    hub.learning.publish = publish
    answer = admin.post("/api/fleet/rollouts", json=body)
    assert answer.status_code == 201, answer.text
    assert sent == [(version, ("st-1",))]
    assert admin.post("/api/fleet/rollouts", json=body).status_code == 409  # one open rollout per site and stream
    listed = admin.get("/api/fleet/rollouts").json()
    assert [(r["new_version"], r["state"], r["canary"]) for r in listed] == [(version, "canary", ["st-1"])]


@pytest.mark.parametrize(
    "body",
    [
        {"site": "../etc", "stream": STREAM},
        {"site": SITE, "stream": "plastic/../../x"},
        {"site": SITE, "stream": STREAM, "extra": 1},
    ],
)
def test_path_like_names_are_refused_before_anything_runs(hub: Hub, body: dict[str, object]) -> None:
    admin = logged_in(hub)
    assert admin.post("/api/fleet/train", json=body).status_code == 422
    assert admin.get("/api/fleet/train").json()["state"] == "idle"


def test_a_rollout_of_an_unknown_or_path_like_version_is_refused(hub: Hub) -> None:
    admin = logged_in(hub)
    assert hub.learning is not None
    hub.learning.publish = lambda version, stations: None
    base = {"site": SITE, "stream": STREAM, "canary": ["st-1"]}
    assert admin.post("/api/fleet/rollouts", json={**base, "version": "plastic-classifier@x"}).status_code == 409
    assert admin.post("/api/fleet/rollouts", json={**base, "version": "plastic-classifier@../x"}).status_code == 422
    assert admin.post("/api/fleet/rollouts", json={**base, "version": "a@b", "canary": []}).status_code == 422
