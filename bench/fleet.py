"""Fleet benchmarks (issue 15): captures uploaded to the hub while the station weighs, and the time from a model
published at the hub to every station running it.

The hub is ``sortcentre hub`` as a child process (its own CPU, as in production), on the benchmark's Mosquitto and
InfluxDB, with a station registry that holds the uploading station (its token is how the hub knows it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import tomli_w

from bench.station import _config, _TimedJournal
from bench.stats import percentile, summary_ms
from config.captures import HubLinkConfig
from config.models import ModelSettings
from config.station import Identity, StationConfig
from config.vision import CaptureConfig
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from edge.stations.agent import StationAgent
from edge.stations.agent_view import Phase
from edge.stations.buttons.serial_board import SerialButtonBoard
from edge.stations.model_updates import ModelUpdates
from edge.stations.scales.mt_sics import MtSicsScale
from edge.stations.uploads import CaptureUploader
from edge.vision.capture import CaptureStore
from edge.vision.classifier import ImageClassifier
from edge.vision.model_signing import generate_keypair, load_private_key, load_public_key
from firmware_mocks.camera import draw_item
from firmware_mocks.captures import CLASSES, STREAM
from firmware_mocks.models import bundle_versions, train_model
from firmware_mocks.sorter import StationRig
from hub.fleet.models import ModelStore, publish_model
from hub.fleet.registry import StationRegistry
from local_servers import InfluxServer, MosquittoServer, free_port

PRESSES = 300
CAPTURES = 2_000
STATIONS = 10
SITE = "zwolle"
STATION = "zwolle-plastic-1"
# A camera of 1280x960 and a plate crop of 680x600 at the capture store's default quality (90): JPEGs of about
# 40-70 KB with the rendered items' sensor noise, the size of a real plate crop.
FRAME = (1280, 960)
PLATE_ROI = (300, 180, 680, 600)


class Hub:
    """``sortcentre hub`` as a child process with every file in ``folder``; the rate limits of capture uploads
    and model downloads lifted, so the figures are the hub's and the station's, not the limiters'."""

    def __init__(self, folder: Path, broker: MosquittoServer, influx: InfluxServer) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.models = ModelSettings(
            folder=folder / "models",
            signing_key_file=folder / "model-signing.key",
            public_key_file=folder / "model-signing.pub",
            downloads_per_minute=100_000,
            burst=10_000,
        )
        generate_keypair(self.models.signing_key_file, self.models.public_key_file)
        self.registry_file = folder / "stations.sqlite"
        self.captures = folder / "captures"
        settings = {
            "http_port": self.port,
            "client_id": f"bench-hub-{uuid.uuid4().hex[:6]}",
            "mqtt": {"host": broker.host, "port": broker.port},
            "influx": {"url": influx.url, "database": f"fleet_{uuid.uuid4().hex[:6]}"},
            "auth": {"users_file": str(folder / "users.sqlite")},
            "keys": {"keys_file": str(folder / "keys.sqlite")},
            "feeds": {"periods_file": str(folder / "periods.sqlite")},
            "remote_config": {"config_file": str(folder / "configs.sqlite")},
            "fleet": {"registry_file": str(self.registry_file)},
            "captures": {"folder": str(self.captures), "uploads_per_minute": 100_000, "burst": 10_000},
            "models": {
                "folder": str(self.models.folder),
                "signing_key_file": str(self.models.signing_key_file),
                "public_key_file": str(self.models.public_key_file),
                "downloads_per_minute": self.models.downloads_per_minute,
                "burst": self.models.burst,
            },
            "learning": {
                "models_folder": str(folder / "trained"),
                "rollouts_file": str(folder / "rollouts.sqlite"),
            },
        }
        self.config = folder / "hub.toml"
        self.config.write_text(tomli_w.dumps(settings))
        self.proc: subprocess.Popen[bytes] | None = None

    def add_station(self, station: str) -> str:
        """The station in the registry the hub reads; returns its upload token."""
        return StationRegistry(self.registry_file).add(station, SITE, STREAM)[2]

    @contextmanager
    def running(self) -> Iterator[Hub]:
        log = (self.folder / "hub.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sortcentre", "hub", "--config", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait(self._answers, 60, "the hub did not answer within 60 s")
            yield self
        finally:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
            log.close()

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"the hub exited: see {self.folder / 'hub.log'}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


def _wait(check: Callable[[], bool], timeout: float, why: str, pause: float = 0.002) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(why)
        time.sleep(pause)


def _backlog(store: CaptureStore, count: int) -> int:
    """``count`` plate crops of rendered items, stored as the station stores a confirmed item; their bytes."""
    rng = np.random.default_rng(0)
    for i in range(count):
        label = CLASSES[i % len(CLASSES)]
        store.store(
            draw_item(i % len(CLASSES), rng, FRAME),
            stream=STREAM,
            label=label,
            suggested=label,
            shown=True,
            accepted=True,
            model_version="plastic-classifier@v1",
            site=SITE,
            station=STATION,
            captured_at=datetime.now(UTC),
            features=[float(v) for v in rng.normal(size=64)],
        )
    return store.counters.bytes


def _presses(folder: Path, broker: MosquittoServer, presses: int, keep_on: Callable[[], bool]) -> list[float]:
    """bench/station.py's rig: button press to event committed, ``presses`` times, or for as long as
    ``keep_on`` says when ``presses`` is 0."""
    folder.mkdir(parents=True)
    config = StationConfig.model_validate(_config(folder, broker))
    rig = StationRig(config, settle_s=0.03).start()
    journal = _TimedJournal(config.journal.path)
    journal.committed = []
    mqtt = MqttClient(config.mqtt, f"bench-{folder.name}")
    buttons = SerialButtonBoard(str(config.buttons.port))
    agent = StationAgent(config, lambda: MtSicsScale(config.scale.port), buttons, journal, mqtt)
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    latencies: list[float] = []
    try:
        while len(latencies) < presses if presses else keep_on():
            time.sleep(config.buttons.debounce_s + 0.05)  # one key, pressed again: wait out the debounce
            rig.load.place(0.3)
            _wait(lambda: agent.phase is Phase.READY, 10, "the station did not react within 10 s")
            before = len(journal.committed)
            pressed = time.perf_counter()
            rig.buttons.port.write(b"P 1\r\n")
            _wait(lambda: len(journal.committed) > before, 10, "no event within 10 s", 0.0002)  # noqa: B023
            latencies.append(journal.committed[-1] - pressed)
            rig.buttons.port.write(b"R 1\r\n")
            rig.load.clear()
            _wait(lambda: agent.phase is Phase.IDLE, 10, "the station did not go idle within 10 s")
    finally:
        agent.stop()
        thread.join(10)
        rig.stop()
    return latencies


def uploads(folder: Path, broker: MosquittoServer, influx: InfluxServer, captures: int, presses: int) -> list[str]:
    hub = Hub(folder / "hub", broker, influx)
    token = hub.add_station(STATION)
    baseline = _presses(folder / "baseline", broker, presses, lambda: False)

    store = CaptureStore(CaptureConfig(enabled=True, folder=folder / "captures", plate_roi=PLATE_ROI))
    total_bytes = _backlog(store, captures)
    link = HubLinkConfig(url=hub.url)  # the station's defaults: batches of 20, 0.05 s between two uploads
    identity = Identity(id=STATION, site=SITE, stream=STREAM)
    with hub.running():
        uploader = CaptureUploader(store, link, token, identity)
        started = time.perf_counter()
        done: list[float] = []

        def drained() -> bool:
            if store.counters.items == 0 and not done:
                done.append(time.perf_counter())
            return not done

        uploader.start()
        try:
            beside = _presses(folder / "beside", broker, 0, drained)
            _wait(lambda: not drained(), 600, "the backlog was not uploaded within 600 s", 0.01)
        finally:
            uploader.stop()
    elapsed = done[0] - started
    counters = uploader.counters
    if counters.uploaded != captures:
        raise RuntimeError(f"uploaded {counters.uploaded} of {captures} captures ({counters})")
    mb = total_bytes / 1e6
    p99_base, p99_beside = percentile(baseline, 99), percentile(beside, 99)
    return [
        "## Fleet: capture uploads beside weighing",
        "",
        f"A station's backlog of {captures:,} captures (plate crops of rendered items, {FRAME[0]}x{FRAME[1]} camera,",
        f"{PLATE_ROI[2]}x{PLATE_ROI[3]} crop, JPEG quality 90, a 64-feature vector each: {mb:.1f} MB on disk,",
        f"{total_bytes / captures / 1000:.0f} KB a capture) uploaded by the station's own uploader",
        "(edge/stations/uploads.py, its defaults: batches of 20, 0.05 s between two uploads, a niced thread) to",
        "`sortcentre hub` in a child process (token checked against its station registry, each JPEG decoded, written",
        "atomically into its dataset folder; its upload limit lifted so the figure is not the limiter's: the default",
        f"300 a minute would take this backlog about {captures / 300:.0f} minutes), while the same process weighed:",
        "bench/station.py's rig (MT-SICS scale and button board over ptys, the real agent and journal, publishing",
        "to Mosquitto).",
        "",
        f"- Upload: {elapsed:.1f} s for the backlog, **{captures / elapsed:.1f} frames/s, {mb / elapsed:.2f} MB/s**",
        f"  (on disk; base64 in JSON adds a third on the wire), {counters.failures} failed tries. The uploader's",
        f"  0.05 s pause between two uploads caps it at 20 frames/s: an upload itself took about"
        f" {max(elapsed / captures - 0.05, 0) * 1000:.0f} ms.",
        f"- Button press to event committed, no uploads: {summary_ms(baseline)}.",
        f"- The same, uploads running: {summary_ms(beside)}.",
        f"- p99 with uploads / without: **{p99_beside / p99_base:.2f}x**; p50: "
        f"{percentile(beside, 50) / percentile(baseline, 50):.2f}x. Target: p99 <= 10 ms with uploads running.",
        "",
        "Other work (the lead's full `make bench`) shared the machine's 2 cores during this run.",
        "",
    ]


class _Slot:
    """Where the updater puts the model it loaded: stands in for the vision link, which swaps it between items."""

    def __init__(self) -> None:
        self.classifier: ImageClassifier | None = None

    def use_classifier(self, classifier: ImageClassifier) -> None:
        self.classifier = classifier


def _station_config(folder: Path, broker: MosquittoServer, hub: Hub, station: str) -> StationConfig:
    return StationConfig.model_validate(
        {
            "station": {"id": station, "site": SITE, "stream": STREAM},
            "categories": [{"id": c, "nl": c, "en": c, "key": str(i + 1)} for i, c in enumerate(CLASSES)],
            "scale": {"driver": "mt-sics", "port": "/dev/null"},
            "buttons": {"driver": "serial-board", "port": "/dev/null"},
            "mqtt": {"host": broker.host, "port": broker.port},
            "journal": {"path": str(folder / station / "journal.sqlite")},
            "vision": {"read_markings": False, "threads": 1},
            "hub": {"url": hub.url},
            "models": {"public_key_file": str(hub.models.public_key_file), "retry_initial_s": 0.2},
            "kiosk": {"enabled": False},
        }
    )


def rollout(folder: Path, broker: MosquittoServer, influx: InfluxServer, stations: int) -> list[str]:
    hub = Hub(folder / "hub", broker, influx)
    model = train_model(folder / "model")
    bundles = bundle_versions(model, ["v1", "v2"], folder / "bundles")
    names = [f"{SITE}-plastic-{i + 1}" for i in range(stations)]
    lines = []
    with hub.running():
        updaters: list[tuple[MqttClient, ModelUpdates]] = []
        for name in names:
            config = _station_config(folder / "stations", broker, hub, name)
            mqtt = MqttClient(config.mqtt, f"bench-{name}")
            updates = ModelUpdates(
                config, mqtt, _Slot(), load_public_key(hub.models.public_key_file.read_bytes()), hub.url
            )
            mqtt.start()
            updates.start()
            updaters.append((mqtt, updates))
        for mqtt, _ in updaters:
            if not mqtt.wait_connected(10):
                raise RuntimeError("a station did not connect within 10 s")
        time.sleep(1)  # the subscriptions are made on connect: let the broker have them all
        store = ModelStore(hub.models)
        key = load_private_key(hub.models.signing_key_file)
        hub_mqtt = MqttClient(MqttSettings(host=broker.host, port=broker.port), "bench-hub-models")
        hub_mqtt.start()
        hub_mqtt.wait_connected(10)
        try:
            for version, bundle in bundles.items():
                published = time.perf_counter()
                publish_model(store, hub_mqtt, bundle, [(SITE, n) for n in names], key=key)
                call = time.perf_counter() - published
                running: dict[str, float] = {}

                def all_running(version: str = version, running: dict[str, float] = running) -> bool:
                    for name, (_, updates) in zip(names, updaters, strict=True):
                        if name not in running and updates.current_version == version:
                            running[name] = time.perf_counter()
                    return len(running) == len(names)

                _wait(all_running, 120, f"not every station runs {version} within 120 s", 0.001)
                times = [t - published for t in running.values()]
                lines.append(
                    f"| {version} | {1000 * call:.0f} ms | {1000 * percentile(times, 50):.0f} ms |"
                    f" {1000 * min(times):.0f} ms | **{1000 * max(times):.0f} ms** |"
                )
        finally:
            hub_mqtt.stop()
            for mqtt, updates in updaters:
                updates.stop()
                mqtt.stop()
    size = next(iter(bundles.values())).stat().st_size
    return [
        "## Fleet: model published to all stations running it",
        "",
        f"{stations} stations in one process (each its own MQTT client and the real model updater,",
        "edge/stations/model_updates.py, subscribed to its own retained model topic on Mosquitto; no agent, so each",
        "station's `ModelUpdates.current_version`, what its heartbeat reports, is read instead). `publish_model`",
        f"(hub/fleet/models.py) stores a bundle of {size / 1e6:.1f} MB (firmware_mocks/models.py: a real classifier",
        "trained on rendered captures), signs the manifest and publishes it to each station; `sortcentre hub` in a",
        "child process serves the bundle (its download limit lifted: the stations share one address here). Each",
        "station checks the signature, downloads, checks size and sha256, unpacks and loads it in a fresh",
        "onnxruntime session. Time from the call to `publish_model` until the station runs the version (polled",
        "every 1 ms); v1 is a first model, v2 replaces it. The slowest station's time is the total: from the call",
        "until every station runs the version.",
        "",
        "| version | `publish_model` call (store, sign, publish) | p50 per station | fastest | slowest = all running |",
        "|---|---|---|---|---|",
        *lines,
        "",
        f"All {stations} stations load at once on the machine's 2 cores; on a real site each has its own",
        "Raspberry Pi. Other work (the lead's full `make bench`) shared the machine during this run.",
        "",
    ]


def run(
    root: Path,
    broker: MosquittoServer,
    influx: InfluxServer,
    *,
    captures: int = CAPTURES,
    presses: int = PRESSES,
    stations: int = STATIONS,
) -> list[str]:
    return uploads(root / "uploads", broker, influx, captures, presses) + rollout(
        root / "rollout", broker, influx, stations
    )
