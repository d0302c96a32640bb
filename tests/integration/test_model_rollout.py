"""Signed rollout end to end: the hub stores, signs and publishes a model on the real Mosquitto (retained), serves it
over real HTTP (uvicorn), and a station (the real agent with its real MQTT client, vision link and updater, on
simulated scale, buttons and camera) fetches, checks and runs it; the hub's dashboard shows what the station says."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from config.models import ModelSettings
from config.station import StationConfig
from core.contract import TopicKind, topic
from core.contract.fleet import ModelManifest, decode_from_hub
from core.transport.mqtt import MqttClient
from core.transport.protocol import InboundMessage
from core.transport.settings import MqttSettings
from edge.stations.agent import StationAgent
from edge.stations.agent_view import Phase
from edge.stations.journal import Journal
from edge.stations.model_updates import ModelUpdates
from edge.stations.scales import Reading
from edge.stations.vision_link import CameraVision
from edge.vision.model_signing import generate_keypair, load_public_key, verify_manifest
from edge.vision.suggester import Suggester
from firmware_mocks.captures import CLASSES, STREAM, render
from firmware_mocks.in_process import FakeButtons, ScriptedScale
from firmware_mocks.models import bundle_versions, train_model
from hub.api.app import create_app
from hub.live.stations import LiveStation
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer, free_port
from sortcentre.cli import app
from tests.conftest import unique, wait_until
from tests.integration.conftest import forget_sessions, hub_settings, logged_in

SITE = "zwolle"
runner = CliRunner()
V1, V2, V3 = "plastic-classifier@v1", "plastic-classifier@v2", "plastic-classifier@v3"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("models")
    return bundle_versions(train_model(folder), ["v1", "v2", "v3"], folder / "bundles")


@pytest.fixture
def hub(tmp_path: Path, mosquitto: MosquittoServer, influx: InfluxServer) -> Iterator[tuple[Hub, str]]:
    """A hub with a model store and its signing key, its web app served over real HTTP; yields it and its URL."""
    settings = hub_settings(mosquitto, influx)
    settings.models = ModelSettings(
        folder=tmp_path / "store", signing_key_file=tmp_path / "hub.key", public_key_file=tmp_path / "hub.pub"
    )
    generate_keypair(settings.models.signing_key_file, settings.models.public_key_file)
    instance = Hub(settings)
    instance.start()
    assert instance.wait_subscribed(10)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(instance.state), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    assert wait_until(lambda: server.started, 10)
    yield instance, f"http://127.0.0.1:{port}"
    server.should_exit = True
    serving.join(10)
    instance.stop()
    forget_sessions(instance)


class StillCamera:
    """A camera that always shows one rendered item: a red disc."""

    def __init__(self) -> None:
        self.frame = render("rood", np.random.default_rng(3))

    def latest(self, max_age_s: float) -> np.ndarray:
        return self.frame


class Station:
    """One station run in this process: the real agent, MQTT client, vision link and model updater."""

    def __init__(self, config: StationConfig) -> None:
        self.config = config
        self.scale = ScriptedScale()
        self.buttons = FakeButtons()
        mqtt = MqttClient(config.mqtt, f"station-{config.station.id}", will=StationAgent.will(config))
        suggester = Suggester(config.vision, [c.id for c in config.categories])
        self.vision = CameraVision(
            suggester, StillCamera(), STREAM, SITE, config.station.id, frame_delay_s=0, max_frame_age_s=1
        )
        self.updates = ModelUpdates.from_config(config, mqtt, self.vision)
        assert self.updates is not None
        self.agent = StationAgent(
            config,
            lambda: self.scale,
            self.buttons,
            Journal(config.journal.path),
            mqtt,
            vision=self.vision,
            models=self.updates,
        )
        self._thread = threading.Thread(target=self.agent.run, daemon=True)

    def __enter__(self) -> Station:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.agent.stop()
        self._thread.join(15)

    def sort_one(self) -> None:
        """Put an item on, wait for the suggestion to light its key, confirm it, take the item off."""
        self.scale.reading = Reading(0.4, True)
        assert wait_until(lambda: self.agent.phase is Phase.READY and bool(self.buttons.lit), 10)
        self.buttons.press("C")
        assert wait_until(lambda: self.agent.last is not None and self.agent.phase is not Phase.READY, 10)
        self.scale.reading = Reading(0.0, True)
        assert wait_until(lambda: self.agent.phase is Phase.IDLE, 10)


def station_config(tmp_path: Path, mosquitto: MosquittoServer, hub_url: str, public_key: Path) -> StationConfig:
    station_id = unique("rollout")
    return StationConfig.model_validate(
        {
            "station": {"id": station_id, "site": SITE, "stream": STREAM},
            "categories": [
                {"id": label, "nl": label, "en": label, "key": str(i + 1)} for i, label in enumerate(CLASSES)
            ],
            "scale": {"driver": "mt-sics", "port": "/dev/null", "stable_time_s": 0.1, "poll_interval_s": 0.05},
            "buttons": {"driver": "serial-board", "port": "/dev/null"},
            "mqtt": {"host": mosquitto.host, "port": mosquitto.port, "keepalive_s": 5},
            "journal": {"path": str(tmp_path / station_id / "journal.sqlite")},
            # No blind checks: sort_one waits for the suggestion to light its key, which a blind item never does.
            "vision": {"read_markings": False, "default_threshold": 0.0, "blind_share": 0.0},
            "hub": {"url": hub_url},
            "models": {"public_key_file": str(public_key), "retry_initial_s": 0.2, "retry_max_s": 1.0},
            "kiosk": {"enabled": False},
            "heartbeat_s": 0.3,
        }
    )


def live(hub: Hub, station: str) -> LiveStation | None:
    return next((v for v in hub.live.stations() if v.station == station), None)


def heartbeat_says(hub: Hub, station: str, version: str | None, error: str | None = None) -> bool:
    view = live(hub, station)
    if view is None or view.heartbeat is None:
        return False
    hb = view.heartbeat
    return hb.model_version == version and (error is None or error in (hb.model_error or ""))


def last_event_model(hub: Hub, station: str) -> str | None:
    view = live(hub, station)
    if view is None or view.last_event is None or view.last_event.suggestion is None:
        return None
    return view.last_event.suggestion.model_version


def test_rollout_refusal_and_a_station_that_was_away(
    tmp_path: Path, mosquitto: MosquittoServer, hub: tuple[Hub, str], bundles: dict[str, Path]
) -> None:
    instance, url = hub
    config = station_config(tmp_path, mosquitto, url, instance.settings.models.public_key_file)
    target = [(SITE, config.station.id)]
    dashboard = logged_in(instance, client=TestClient(create_app(instance.state)))

    with Station(config) as station:
        # Published: the station fetches and runs it; its heartbeat and its next event say so.
        instance.publish_model(bundles[V1], target)
        assert wait_until(lambda: heartbeat_says(instance, config.station.id, V1), 30)
        station.sort_one()
        assert wait_until(lambda: last_event_model(instance, config.station.id) == V1, 15)

        # A bundle changed on the hub after it was signed: refused, the station keeps v1 and says why.
        stored = instance.models.add(bundles[V2])
        path = instance.models.folder / stored.file_name
        good = path.read_bytes()
        path.write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
        instance.publish_model(bundles[V2], target)
        assert wait_until(lambda: heartbeat_says(instance, config.station.id, V1, "sha256 mismatch"), 30)
        alerts = dashboard.get("/api/v1/dashboard").json()["alerts"]
        refused = [a for a in alerts if a["kind"] == "model_refused" and a["station"] == config.station.id]
        assert refused and "sha256 mismatch" in refused[0]["detail"]
        station.sort_one()
        assert wait_until(lambda: last_event_model(instance, config.station.id) == V1, 15)
        path.write_bytes(good)  # repaired: the station's next try brings v2 in
        assert wait_until(lambda: heartbeat_says(instance, config.station.id, V2), 30)
        assert live(instance, config.station.id).heartbeat.model_error is None  # type: ignore[union-attr]

    # Away while v3 is published (retained at the broker). It reboots where the hub's web server cannot be
    # reached: it runs v2 from its own disk and says why v3 is not there yet; its events carry v2.
    instance.publish_model(bundles[V3], target)
    cut_off = config.model_copy(
        update={"hub": config.hub.model_copy(update={"url": f"http://127.0.0.1:{free_port()}"})}
    )
    with Station(cut_off) as station:
        assert wait_until(lambda: heartbeat_says(instance, config.station.id, V2, "hub not reachable"), 30)
        station.sort_one()
        assert wait_until(lambda: last_event_model(instance, config.station.id) == V2, 15)
    # With the hub in reach again it takes v3.
    with Station(config) as station:
        assert wait_until(lambda: heartbeat_says(instance, config.station.id, V3), 30)
        station.sort_one()
        assert wait_until(lambda: last_event_model(instance, config.station.id) == V3, 15)


def test_the_command_line_publishes_a_signed_retained_manifest(
    tmp_path: Path, mosquitto: MosquittoServer, bundles: dict[str, Path]
) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[mqtt]\nhost = "{mosquitto.host}"\nport = {mosquitto.port}\n'
        f'[models]\nfolder = "{tmp_path / "store"}"\n'
        f'signing_key_file = "{tmp_path / "hub.key"}"\npublic_key_file = "{tmp_path / "hub.pub"}"\n'
    )
    assert runner.invoke(app, ["models", "keygen", "--config", str(config)]).exit_code == 0
    station = unique("cli")
    published = runner.invoke(
        app, ["models", "publish", str(bundles[V1]), "--station", f"{SITE}/{station}", "--config", str(config)]
    )
    assert published.exit_code == 0, published.output
    assert f"{SITE}/{station}" in published.output

    received: list[InboundMessage] = []
    observer = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), unique("observer"))
    observer.subscribe(topic(SITE, station, TopicKind.MODEL), received.append)
    observer.start()
    try:
        assert wait_until(lambda: bool(received), 10)  # retained: there for whoever subscribes later
    finally:
        observer.stop()
    _ref, manifest = decode_from_hub(received[0].topic, received[0].payload)
    assert isinstance(manifest, ModelManifest) and manifest.version == V1 and received[0].retain
    verify_manifest(load_public_key((tmp_path / "hub.pub").read_bytes()), manifest)
    stored = tmp_path / "store" / manifest.url.removeprefix("/api/models/")
    assert stored.read_bytes() == bundles[V1].read_bytes()
