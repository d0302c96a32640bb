"""The learning loop end to end (issue 15, first acceptance item), against a real Mosquitto with accounts, a real
InfluxDB and the real hub with its web app over real HTTP (uvicorn), and two stations on simulated hardware (the
real agent, MQTT client, vision link, capture store, uploader and model updater, run in this process on a scripted
scale and button board, with a camera whose frame shows the category the simulated sorter presses).

Two stations capture at least 200 labelled frames each and upload them; the hub trains a model, rolls it out to the
canary, then to the other station; events afterwards carry the new model version; the agreement view lists both
versions with shown acceptance and blind accuracy.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient

from config.captures import CaptureUploadSettings
from config.learning import LearningSettings
from config.models import ModelSettings
from config.station import StationConfig
from core.transport.mqtt import MqttClient
from edge.stations.agent import StationAgent
from edge.stations.agent_view import Phase
from edge.stations.journal import Journal
from edge.stations.model_updates import ModelUpdates
from edge.stations.scales import Reading
from edge.stations.uploads import CaptureUploader, start_uploads
from edge.stations.vision_link import CameraVision
from edge.vision.capture import CaptureStore
from edge.vision.dataset import iter_samples
from edge.vision.model_signing import generate_keypair
from edge.vision.suggester import Suggester
from firmware_mocks.camera import draw_item
from firmware_mocks.captures import CLASSES, STREAM
from firmware_mocks.in_process import FakeButtons, ScriptedScale
from firmware_mocks.models import bundle_versions, train_model
from hub.api.app import create_app
from hub.broker_accounts import BrokerAccounts
from hub.live.stations import LiveStation
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer, free_port
from tests.conftest import wait_until
from tests.integration.conftest import forget_sessions, influx_query, logged_in, secured_hub_settings

logger = logging.getLogger(__name__)

SITE = "zwolle"
STATIONS = ("zwolle-plastic-5", "zwolle-plastic-6")  # CANARY, OTHER: not among the secured broker's own accounts
CANARY, OTHER = STATIONS
V1 = "plastic-classifier@v1"
CAPTURES = 200  # labelled frames per station before training
CANARY_ITEMS = 20
AFTER = 25  # items per station once both run the new model: blind items of the new version, with 0.2 blind
WRONG_ACCEPT_RATE = 0.3  # as firmware_mocks.sorter.SorterPace: sorters follow what is lit
OWN = {"Origin": "http://testserver"}  # a change with a session must come from the hub's own pages


class ItemFrames:
    """The camera of an in-process station: the frame of the item about to land (firmware_mocks.camera's
    class-dependent rendering, with noise), else an empty plate."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._frame = draw_item(0, self._rng)
        self._lock = threading.Lock()

    def show(self, category: str) -> None:
        frame = draw_item(CLASSES.index(category), self._rng)
        with self._lock:
            self._frame = frame

    def latest(self, max_age_s: float) -> np.ndarray:
        with self._lock:
            return self._frame


class Station:
    """One station as `sortcentre station` builds it (edge/stations/service.py), in this process on simulated
    scale, buttons and camera: agent, MQTT client (its broker account), vision link with capture store, model
    updater and capture uploader."""

    def __init__(self, config: StationConfig, seed: int) -> None:
        self.config = config
        self.id = config.station.id
        self.scale = ScriptedScale()
        self.buttons = FakeButtons()
        self.camera = ItemFrames(seed)
        self._random = random.Random(seed)
        mqtt = MqttClient(config.mqtt, f"station-{self.id}", will=StationAgent.will(config))
        self.capture = CaptureStore(config.vision.capture)
        suggester = Suggester(config.vision, [c.id for c in config.categories])
        self.vision = CameraVision(
            suggester, self.camera, STREAM, SITE, self.id, frame_delay_s=0, max_frame_age_s=1, capture=self.capture
        )
        updates = ModelUpdates.from_config(config, mqtt, self.vision)
        assert updates is not None, "the station does not follow the hub's models"
        self.mqtt, self.updates = mqtt, updates
        journal = Journal(config.journal.path)
        self.agent = StationAgent(
            config, self.reopen_scale, self.buttons, journal, mqtt, vision=self.vision, models=updates
        )
        self._thread = threading.Thread(target=self.agent.run, name=f"agent-{self.id}", daemon=True)
        self.uploads: CaptureUploader | None = None

    def reopen_scale(self) -> ScriptedScale:
        return self.scale

    def __enter__(self) -> Station:
        self._thread.start()
        self.uploads = start_uploads(self.capture, self.config.hub, self.config.station)
        assert self.uploads is not None, "the station does not upload its captures"
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.uploads is not None:
            self.uploads.stop()
        self.agent.stop()
        self._thread.join(15)

    def sort_one(self) -> None:
        """An item of a random category lands; once vision has made its suggestion (shown or a blind check) the
        sorter presses the item's own category key, except that a wrong lit suggestion is taken now and then (the
        bias blind checks are there to see past); the item is taken off."""
        truth = self._random.choice(self.config.categories)
        drawn = self.agent.sorting.blind.items
        self.camera.show(truth.id)
        self.scale.reading = Reading(round(self._random.uniform(0.05, 0.9), 3), True)
        assert wait_until(lambda: self.agent.phase is Phase.READY and self.agent.sorting.blind.items > drawn, 15)
        lit = self.buttons.lit
        wrong_but_lit = bool(lit) and truth.key not in lit
        follows = wrong_but_lit and self._random.random() < WRONG_ACCEPT_RATE
        self.buttons.press(self.config.buttons.confirm_key if follows else truth.key)
        assert wait_until(lambda: self.agent.phase is Phase.DONE, 10)
        self.scale.reading = Reading(0.0, True)
        assert wait_until(lambda: self.agent.phase is Phase.IDLE, 10)

    def sort(self, count: int) -> None:
        for _ in range(count):
            self.sort_one()


def station_config(
    tmp_path: Path, broker: MosquittoServer, station_id: str, password: str, token: str, hub_url: str, key: Path
) -> StationConfig:
    folder = tmp_path / station_id
    return StationConfig.model_validate(
        {
            "station": {"id": station_id, "site": SITE, "stream": STREAM},
            "categories": [{"id": c, "nl": c, "en": c, "key": str(i + 1)} for i, c in enumerate(CLASSES)],
            "scale": {"driver": "mt-sics", "port": "/dev/null", "stable_time_s": 0.05, "poll_interval_s": 0.02},
            "buttons": {"driver": "serial-board", "port": "/dev/null"},
            "mqtt": {
                "host": broker.host,
                "port": broker.port,
                "keepalive_s": 5,
                "username": station_id,
                "password": password,
            },
            "journal": {"path": str(folder / "journal.sqlite")},
            "vision": {
                "read_markings": False,
                "thresholds": {STREAM: 0.0},  # every item gets a suggestion: shown or blind
                "blind_share": 0.2,
                "capture": {"enabled": True, "folder": str(folder / "captures"), "plate_roi": [0, 0, 640, 480]},
            },
            "hub": {"url": hub_url, "upload_token": token, "upload_interval_s": 0.2, "upload_pause_s": 0},
            "models": {"public_key_file": str(key), "retry_initial_s": 0.2, "retry_max_s": 1.0},
            "kiosk": {"enabled": False},
            "heartbeat_s": 0.3,
        }
    )


@pytest.fixture
def served_hub(
    tmp_path: Path, secured: tuple[MosquittoServer, BrokerAccounts], influx: InfluxServer
) -> Iterator[tuple[Hub, str]]:
    """The hub on the broker with accounts: model store and signing key, captures, training and a quick canary
    check; its web app over real HTTP. Yields it and its URL."""
    broker, accounts = secured
    settings = secured_hub_settings(broker, accounts, influx)
    settings.fleet.seen_write_interval_s = 0
    settings.models = ModelSettings(
        folder=tmp_path / "store", signing_key_file=tmp_path / "hub.key", public_key_file=tmp_path / "hub.pub"
    )
    generate_keypair(settings.models.signing_key_file, settings.models.public_key_file)
    settings.captures = CaptureUploadSettings(folder=tmp_path / "hub-captures", uploads_per_minute=100_000, burst=1000)
    settings.learning = LearningSettings(
        dataset_folder=settings.captures.folder,
        models_folder=tmp_path / "trained",
        rollouts_file=tmp_path / "rollouts.sqlite",
        thresholds={STREAM: 0.0},  # as the stations show suggestions
        canary_items=CANARY_ITEMS,
        check_interval_s=0.5,
    )
    instance = Hub(settings)
    instance.start()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(instance.state, settings), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    assert wait_until(lambda: server.started, 10)
    yield instance, f"http://127.0.0.1:{port}"
    server.should_exit = True
    serving.join(10)
    instance.stop()
    forget_sessions(instance)


def live(hub: Hub, station: str) -> LiveStation | None:
    return next((v for v in hub.live.stations() if v.station == station), None)


def model_version(hub: Hub, station: str) -> str | None:
    """The model version the station's last heartbeat told the hub (None: no heartbeat yet)."""
    view = live(hub, station)
    return view.heartbeat.model_version if view is not None and view.heartbeat is not None else None


def runs(hub: Hub, station: str, version: str) -> bool:
    return model_version(hub, station) == version


def model_versions(hub: Hub, *stations: Station) -> dict[str, str | None]:
    """Every station's ``model_version``: said when a wait for a rollout fails, to tell a station never heard from
    one that heard and kept its model; with ``stations``, what each says of itself as well (a heartbeat from a station
    without a model names no version either)."""
    versions: dict[str, str | None] = {station: model_version(hub, station) for station in STATIONS}
    for station in stations:
        view = live(hub, station.id)
        versions[f"{station.id} itself"] = (
            f"heartbeat heard: {view is not None and view.heartbeat is not None}; "
            f"MQTT connected: {station.mqtt.connected.is_set()}, problem: {station.mqtt.problem}; "
            f"model {station.updates.current_version}, error: {station.updates.error}"
        )
    return versions


def uploaded(hub: Hub) -> Counter[str | None]:
    """Captures in the hub's dataset folder, per station (from each capture's metadata)."""
    return Counter(s.meta.station for s in iter_samples(hub.settings.captures.folder / SITE, STREAM))


def in_parallel(*jobs: tuple[Station, int]) -> None:
    failures: list[BaseException] = []

    def run(station: Station, count: int) -> None:
        try:
            station.sort(count)
        except BaseException as exc:  # reported in the test's thread below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


@pytest.mark.timeout(900)
def test_two_stations_capture_the_hub_trains_and_rolls_out_through_the_canary(
    tmp_path: Path,
    secured: tuple[MosquittoServer, BrokerAccounts],
    served_hub: tuple[Hub, str],
) -> None:
    broker, _accounts = secured
    hub, url = served_hub
    key = hub.settings.models.public_key_file
    admin = logged_in(hub, client=TestClient(create_app(hub.state, hub.settings)))
    admin.headers.update(OWN)

    # An admin adds both stations: broker accounts (the broker reloaded) and upload tokens.
    configs = []
    for station_id in STATIONS:
        _record, password, token = hub.registry.add(station_id, SITE, STREAM)
        configs.append(station_config(tmp_path, broker, station_id, password, token, url, key))

    bundles = bundle_versions(train_model(tmp_path / "v1"), ["v1"], tmp_path / "bundles")
    with Station(configs[0], seed=1) as canary, Station(configs[1], seed=2) as other:
        # Both stations run a first model, v1: the "previous" version of the agreement view.
        sent = hub.publish_model(bundles[V1], [(SITE, s) for s in STATIONS])
        assert all(message_id is not None for _, message_id in sent), sent  # the hub's connection took both
        assert wait_until(lambda: all(runs(hub, s, V1) for s in STATIONS), 60), model_versions(hub, canary, other)

        # Sorting: each confirmed press is a labelled frame, uploaded in the background.
        in_parallel((canary, CAPTURES), (other, CAPTURES))
        assert wait_until(lambda: min(uploaded(hub)[s] for s in STATIONS) >= CAPTURES, 120), uploaded(hub)

        # The hub trains on what was uploaded; the result is offered for rollout.
        started = admin.post("/api/fleet/train", json={"site": SITE, "stream": STREAM})
        assert started.status_code == 202, started.text
        assert wait_until(lambda: admin.get("/api/fleet/train").json()["state"] != "running", 300)
        status = admin.get("/api/fleet/train").json()
        assert status["state"] == "done", status
        result = status["result"]
        logger.info("training: %s", result["reason"])  # in the captured log when the test fails
        assert result["offerable"] is True, result
        # Compared on the same held-out captures with what the stations run now (sent without a rollout).
        assert result["current_version"] == V1 and result["current"] is not None, result
        new = result["version"]
        assert new != V1 and new.startswith("plastic-classifier@")

        # Rollout: the canary first; the other station stays on v1.
        body = {"site": SITE, "stream": STREAM, "version": new, "canary": [CANARY], "others": [OTHER]}
        answer = admin.post("/api/fleet/rollouts", json=body)
        assert answer.status_code == 201, answer.text
        assert wait_until(lambda: runs(hub, CANARY, new), 60), model_versions(hub, canary, other)
        assert runs(hub, OTHER, V1)

        # The canary sorts until the hub's check has its items and rolls on; then the other station gets it.
        def rolled() -> str:
            return str(admin.get("/api/fleet/rollouts").json()[0]["state"])

        canary.sort(CANARY_ITEMS)
        while rolled() == "canary":
            canary.sort(5)
            assert canary.agent.sorting.blind.items < 4 * CAPTURES, "the canary check never decided"
        (rollout,) = admin.get("/api/fleet/rollouts").json()
        logger.info("rollout: %s", rollout["reason"])
        assert rollout["state"] == "rolled_on" and rollout["previous_version"] == V1, rollout
        assert "roll on" in rollout["reason"] and "previous" in rollout["reason"], rollout
        assert wait_until(lambda: runs(hub, OTHER, new), 60), model_versions(hub, canary, other)

        # Events afterwards carry the new version, at both stations.
        in_parallel((canary, AFTER), (other, AFTER))

    for station_id in STATIONS:
        view = live(hub, station_id)
        assert view is not None and view.last_event is not None and view.last_event.suggestion is not None
        assert view.last_event.suggestion.model_version == new
    for station_id in STATIONS:  # stored in InfluxDB under the new version's tag
        assert wait_until(partial(lambda s: new_version_events(hub, s, new) >= AFTER, station_id), 30)

    # The agreement view: both versions, each with shown acceptance and blind accuracy and their counts.
    agreement = admin.get("/api/v1/vision/agreement", params={"site": SITE}).json()
    models = {m["model_version"]: m for m in agreement["models"]}
    for m in agreement["models"]:
        logger.info("agreement: %s", {k: v for k, v in m.items() if k not in ("categories", "confusion")})
    assert {V1, new} <= set(models), agreement
    for version in (V1, new):
        figures = models[version]
        assert figures["items"] > 0 and 0 <= figures["accepted_share"] <= 1, figures
        assert figures["blind_items"] > 0 and 0 <= figures["blind_accuracy"] <= 1, figures
    assert models[V1]["items"] + models[V1]["blind_items"] >= 2 * CAPTURES


def new_version_events(hub: Hub, station: str, version: str) -> int:
    rows = influx_query(
        hub,
        f'SELECT count("weight_g") FROM "sorting_event" WHERE "station" = \'{station}\' '
        f"AND \"model_version\" = '{version}'",
    )
    return int(rows[0][1]) if rows else 0  # type: ignore[call-overload]
