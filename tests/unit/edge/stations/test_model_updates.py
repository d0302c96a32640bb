"""The station's side of the signed rollout, against a real HTTP server in a thread (http.server) and real models:
what is checked before a download, what is refused after it, and that the running model survives every refusal."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config.station import StationConfig
from core.contract import TopicKind, topic
from core.contract.fleet import ModelManifest
from core.transport.protocol import InboundMessage
from edge.stations.model_updates import RECORD_FILE, VERSIONS_DIR, AppliedRecord, ModelUpdates
from edge.vision.classifier import ImageClassifier
from edge.vision.model_signing import generate_keypair, load_private_key, sign
from firmware_mocks.models import bundle_versions, train_model, unloadable_bundle
from local_servers import free_port
from tests.conftest import wait_until
from tests.fakes import FakeMqtt
from tests.unit.edge.stations.configs import station_config

V1, V2 = "plastic-classifier@v1", "plastic-classifier@v2"
BROKEN = "plastic-classifier@broken"


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Trained once per session: two versions of one small real model, and one that onnxruntime cannot load."""
    folder = tmp_path_factory.mktemp("models")
    model = train_model(folder)
    found = bundle_versions(model, ["v1", "v2"], folder / "bundles")
    found[BROKEN] = unloadable_bundle(model, "broken", folder / "bundles")
    return found


@pytest.fixture
def key(tmp_path: Path) -> tuple[Ed25519PrivateKey, Path]:
    generate_keypair(tmp_path / "hub.key", tmp_path / "hub.pub")
    return load_private_key(tmp_path / "hub.key"), tmp_path / "hub.pub"


class ModelServer:
    """The hub's download endpoint, played by http.server: files by path; ``cut_at`` sends a full Content-Length
    and closes the connection after that many bytes (a download cut short)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut_at: int | None = None
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_at is None:
                    self.wfile.write(body)
                else:
                    self.wfile.write(body[: server.cut_at])
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer() as running:
        yield running


class Slot:
    """Where the updater hands its classifiers: the vision link in the station."""

    def __init__(self) -> None:
        self.classifiers: list[ImageClassifier] = []

    def use_classifier(self, classifier: ImageClassifier) -> None:
        self.classifiers.append(classifier)

    @property
    def running(self) -> str | None:
        return self.classifiers[-1].model_version if self.classifiers else None


def config(tmp_path: Path, public_key: Path, hub_url: str) -> StationConfig:
    return station_config(
        tmp_path,
        models={"public_key_file": public_key, "retry_initial_s": 0.05, "retry_max_s": 0.2},
        hub={"url": hub_url},
    )


def manifest(
    key: Ed25519PrivateKey, bundle: Path, version: str, *, size: int | None = None, sha256: str | None = None
) -> ModelManifest:
    data = bundle.read_bytes()
    unsigned = ModelManifest(
        site="zwolle",
        station="zwolle-plastic-1",
        stream="plastic",
        version=version,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        size_bytes=size or len(data),
        url=f"/api/models/{bundle.name}",
        signature="A" * 86 + "==",
        issued_at=datetime.now(UTC),
    )
    return unsigned.model_copy(update={"signature": sign(key, unsigned.signed_message())})


class Station:
    """One updater with a fake MQTT client (the broker is not what is tested here) and a recording slot."""

    def __init__(self, cfg: StationConfig) -> None:
        self.mqtt = FakeMqtt()
        self.slot = Slot()
        updates = ModelUpdates.from_config(cfg, self.mqtt, self.slot)
        assert updates is not None
        self.updates = updates
        self.topic = topic("zwolle", "zwolle-plastic-1", TopicKind.MODEL)

    def offer(self, offered: ModelManifest, server: ModelServer, bundle: Path | None = None) -> None:
        if bundle is not None:
            server.files[offered.url] = bundle.read_bytes()
        self.mqtt.subscriptions[self.topic](InboundMessage(self.topic, offered.to_json(), 1, 1, True))

    def record(self) -> AppliedRecord:
        return AppliedRecord.model_validate_json((self.updates.folder / RECORD_FILE).read_bytes())


@pytest.fixture
def station(tmp_path: Path, key: tuple[Ed25519PrivateKey, Path], server: ModelServer) -> Iterator[Station]:
    running = Station(config(tmp_path, key[1], server.url))
    running.updates.start()
    yield running
    running.updates.stop()


def apply_v1(station: Station, server: ModelServer, key: Ed25519PrivateKey, bundles: dict[str, Path]) -> None:
    station.offer(manifest(key, bundles[V1], V1), server, bundles[V1])
    assert wait_until(lambda: station.updates.current_version == V1)


def test_a_good_model_is_swapped_in_and_the_previous_one_kept(
    station: Station, server: ModelServer, key: tuple[Ed25519PrivateKey, Path], bundles: dict[str, Path]
) -> None:
    apply_v1(station, server, key[0], bundles)
    assert station.slot.running == V1 and station.updates.error is None
    station.offer(manifest(key[0], bundles[V2], V2), server, bundles[V2])
    assert wait_until(lambda: station.updates.current_version == V2)
    assert station.slot.running == V2
    record = station.record()
    assert record.current is not None and record.current.version == V2
    assert record.previous is not None and record.previous.version == V1
    kept = {p.name for p in (station.updates.folder / VERSIONS_DIR).iterdir()}
    assert kept == {record.current.folder, record.previous.folder}
    assert not any((station.updates.folder / "downloads").iterdir())  # no download left behind
    assert len(server.requests) == 2


def test_the_previous_model_again_is_a_rollback_without_a_download(
    station: Station, server: ModelServer, key: tuple[Ed25519PrivateKey, Path], bundles: dict[str, Path]
) -> None:
    apply_v1(station, server, key[0], bundles)
    station.offer(manifest(key[0], bundles[V2], V2), server, bundles[V2])
    assert wait_until(lambda: station.updates.current_version == V2)
    server.files.clear()  # the hub could not even serve it
    station.offer(manifest(key[0], bundles[V1], V1), server)
    assert wait_until(lambda: station.updates.current_version == V1)
    assert station.slot.running == V1
    assert len(server.requests) == 2
    record = station.record()
    assert record.current is not None and record.current.version == V1
    assert record.previous is not None and record.previous.version == V2


def test_a_wrong_signature_is_refused_before_any_download(
    station: Station, server: ModelServer, key: tuple[Ed25519PrivateKey, Path], bundles: dict[str, Path]
) -> None:
    apply_v1(station, server, key[0], bundles)
    requests = len(server.requests)
    station.offer(manifest(Ed25519PrivateKey.generate(), bundles[V2], V2), server, bundles[V2])
    assert wait_until(lambda: station.updates.error is not None)
    assert "signature does not verify" in (station.updates.error or "")
    assert len(server.requests) == requests  # nothing fetched for a manifest the hub did not sign
    assert station.updates.current_version == V1 and station.slot.running == V1


@pytest.mark.parametrize("fault", ["sha256", "truncated", "too long"])
def test_a_bad_download_is_refused_and_the_model_kept(
    fault: str,
    station: Station,
    server: ModelServer,
    key: tuple[Ed25519PrivateKey, Path],
    bundles: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    apply_v1(station, server, key[0], bundles)
    size = bundles[V2].stat().st_size
    if fault == "sha256":
        offered, expected = manifest(key[0], bundles[V2], V2, sha256="0" * 64), "sha256 mismatch"
    elif fault == "truncated":
        server.cut_at = 100_000
        offered, expected = manifest(key[0], bundles[V2], V2), "download truncated at 100000 of"
    else:
        offered, expected = manifest(key[0], bundles[V2], V2, size=size - 1000), "download too long"
    with caplog.at_level(logging.WARNING, logger="edge.stations.model_updates"):
        station.offer(offered, server, bundles[V2])
        assert wait_until(lambda: expected in (station.updates.error or ""))
        assert wait_until(lambda: len(server.requests) >= 4)  # tried again, with a backoff
    assert station.updates.current_version == V1 and station.slot.running == V1
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1  # one warning, not one per try
    assert station.record().current is not None
    if fault == "truncated":  # the hub serves it whole again: the retry brings it in
        server.cut_at = None
        assert wait_until(lambda: station.updates.current_version == V2)
        assert station.updates.error is None


def test_a_model_that_cannot_load_is_refused_and_not_fetched_again(
    station: Station, server: ModelServer, key: tuple[Ed25519PrivateKey, Path], bundles: dict[str, Path]
) -> None:
    apply_v1(station, server, key[0], bundles)
    offered = manifest(key[0], bundles[BROKEN], BROKEN)
    station.offer(offered, server, bundles[BROKEN])
    assert wait_until(lambda: (station.updates.error or "").startswith("cannot load:"))
    assert "onnxruntime" in (station.updates.error or "")
    assert station.updates.current_version == V1 and station.slot.running == V1
    requests = len(server.requests)
    station.offer(offered, server)  # the same manifest again (a reconnect): refused without a download
    station.offer(manifest(key[0], bundles[V2], V2, sha256="1" * 64), server, bundles[V2])  # and a later one
    assert wait_until(lambda: "sha256 mismatch" in (station.updates.error or ""))
    assert server.requests[requests:] == [f"/api/models/{bundles[V2].name}"] * (len(server.requests) - requests)


def test_a_model_for_another_stream_is_refused(
    station: Station, server: ModelServer, key: tuple[Ed25519PrivateKey, Path], bundles: dict[str, Path]
) -> None:
    offered = manifest(key[0], bundles[V1], V1).model_copy(update={"stream": "textile"})
    offered = offered.model_copy(update={"signature": sign(key[0], offered.signed_message())})
    station.offer(offered, server, bundles[V1])
    assert wait_until(lambda: "stream textile" in (station.updates.error or ""))
    assert server.requests == [] and station.slot.running is None


def test_a_reboot_offline_starts_with_the_last_applied_model(
    tmp_path: Path, station: Station, server: ModelServer, key: tuple[Ed25519PrivateKey, Path], bundles: dict[str, Path]
) -> None:
    apply_v1(station, server, key[0], bundles)
    station.updates.stop()
    requests = len(server.requests)
    offline = Station(config(tmp_path, key[1], f"http://127.0.0.1:{free_port()}"))  # no hub there
    offline.updates.start()
    try:
        assert offline.updates.current_version == V1  # at once: start() loads it before anything else
        assert offline.slot.running == V1
        assert offline.updates.error is None
    finally:
        offline.updates.stop()
    assert len(server.requests) == requests


def test_without_a_pinned_key_or_hub_the_station_does_not_follow_models(tmp_path: Path) -> None:
    assert ModelUpdates.from_config(station_config(tmp_path), FakeMqtt(), Slot()) is None
    no_hub = station_config(tmp_path, models={"public_key_file": tmp_path / "missing.pub"})
    assert ModelUpdates.from_config(no_hub, FakeMqtt(), Slot()) is None
    unreadable = station_config(tmp_path, models={"public_key_file": tmp_path / "missing.pub"}, hub={"url": "http://h"})
    assert ModelUpdates.from_config(unreadable, FakeMqtt(), Slot()) is None


def test_a_recorded_model_damaged_on_disk_falls_back_to_the_previous_one_until_fetched_again(
    tmp_path: Path, station: Station, server: ModelServer, key: tuple[Ed25519PrivateKey, Path], bundles: dict[str, Path]
) -> None:
    apply_v1(station, server, key[0], bundles)
    offered = manifest(key[0], bundles[V2], V2)
    station.offer(offered, server, bundles[V2])
    assert wait_until(lambda: station.updates.current_version == V2)
    station.updates.stop()
    record = station.record()
    assert record.current is not None
    damaged = next((station.updates.folder / VERSIONS_DIR / record.current.folder).glob("*.onnx"))
    damaged.write_bytes(damaged.read_bytes()[:1000])  # a half-written file after a power cut

    rebooted = Station(config(tmp_path, key[1], server.url))
    rebooted.updates.start()
    try:
        assert rebooted.updates.current_version == V1 and rebooted.slot.running == V1
        assert (rebooted.updates.error or "").startswith("cannot load:")
        rebooted.offer(offered, server)  # the hub's retained manifest: fetched again, as it cannot load
        assert wait_until(lambda: rebooted.updates.current_version == V2)
        assert rebooted.updates.error is None
        again = rebooted.record()
        assert again.current is not None and again.current.version == V2
        assert again.previous is not None and again.previous.version == V1
    finally:
        rebooted.updates.stop()
