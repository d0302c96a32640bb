"""Signed models from the hub (docs/fleet.md, "Signed rollout"): follow the station's retained model topic, fetch
and check what the hub offers, and swap it in between items.

For each manifest the hub publishes on ``.../<station>/model`` (retained, so a station that was offline gets the
latest when it reconnects), on this module's own thread, never the weighing loop's:

1. the signature is checked against the public key pinned in the station's config, BEFORE anything is fetched;
2. the bundle is downloaded from the hub (``hub.url`` + the manifest's path) with httpx, streamed to a file and
   cut off one byte past ``size_bytes``: a shorter or longer body, or another sha256, is refused;
3. it is unpacked (edge/vision/model_bundle.py) into a folder of its own and loaded in a fresh onnxruntime
   session; the card must name the manifest's version, so heartbeats and events say the same;
4. the vision link swaps it in between items (edge/stations/vision_link.py); the one it replaces stays on disk as
   the previous model, so a manifest naming that one again is a rollback without a download;
5. ``applied.json`` in the models folder records the current and previous model, so a reboot, offline or not,
   starts with the last applied one.

A refusal keeps the running model and is reported as ``model_error`` in every heartbeat until a good model is
applied. Download failures (hub away, body cut short or too long, another sha256) are tried again with a backoff,
a warning once per kind of failure; a bad signature, a bundle that cannot be unpacked or a model that cannot be
loaded is refused until the hub offers another manifest (the same bytes would fail the same way).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Protocol

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, ValidationError

from config.station import StationConfig
from core.contract import TopicKind, topic
from core.contract.fleet import ModelManifest, decode_from_hub
from core.contract.payloads import ContractError
from core.transport.protocol import InboundMessage, MqttLike
from edge.vision.classifier import ImageClassifier
from edge.vision.model_bundle import BundleError, unpack_bundle
from edge.vision.model_files import ModelFileError
from edge.vision.model_signing import SignatureError, load_public_key, verify_manifest

logger = logging.getLogger(__name__)

RECORD_FILE = "applied.json"
VERSIONS_DIR = "versions"
DOWNLOADS_DIR = "downloads"
_CHUNK = 256 * 1024
# model_error is a Reason on the wire (300 characters); a long exception text is cut to fit.
MAX_REASON = 300


class ClassifierSlot(Protocol):
    """Where a loaded classifier goes: the vision link, which swaps it in between items."""

    def use_classifier(self, classifier: ImageClassifier) -> None: ...


class ModelStatus(Protocol):
    """What the heartbeat reports of the updater."""

    @property
    def current_version(self) -> str | None: ...

    @property
    def error(self) -> str | None: ...


class AppliedModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    sha256: str
    folder: str  # under VERSIONS_DIR, a name this module made


class AppliedRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    current: AppliedModel | None = None
    previous: AppliedModel | None = None


class Refused(Exception):  # noqa: N818 -- a refusal of the hub's offer, not a bug
    """The offered model is not run. ``kind`` groups the reasons for the log; ``retry``: try the download again."""

    def __init__(self, reason: str, kind: str, *, retry: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:MAX_REASON]
        self.kind = kind
        self.retry = retry


class ModelUpdates:
    """Follows the station's model topic on a thread of its own; ``current_version`` and ``error`` are what the
    heartbeat reports."""

    def __init__(
        self,
        config: StationConfig,
        mqtt: MqttLike,
        slot: ClassifierSlot,
        public_key: Ed25519PublicKey,
        hub_url: str,
    ) -> None:
        self._ident = config.station
        self._settings = config.models
        self._threads = config.vision.threads
        self._mqtt = mqtt
        self._slot = slot
        self._key = public_key
        self._hub_url = hub_url.rstrip("/")
        self.folder = config.models_folder()
        self._record = self._read_record()
        self.current_version: str | None = None
        self.error: str | None = None
        self._offered: ModelManifest | None = None
        self._refused: tuple[str, str] | None = None  # (version, sha256) refused for good
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, config: StationConfig, mqtt: MqttLike, slot: ClassifierSlot | None) -> ModelUpdates | None:
        """None (and the reason logged) when the station does not follow the hub's models."""
        models = config.models
        if models.public_key_file is None:
            return None
        if config.hub.url is None:
            logger.warning("models.public_key_file is set but hub.url is not: the hub's models are not fetched")
            return None
        if slot is None:
            logger.warning("vision is off or has no camera: the hub's models are not fetched")
            return None
        try:
            key = load_public_key(models.public_key_file.read_bytes())
        except (OSError, SignatureError) as exc:
            # The station weighs without it; a person sees the error in the log and no model version moving.
            logger.error(
                "cannot read the pinned model key %s: %s; the hub's models are refused", models.public_key_file, exc
            )
            return None
        return cls(config, mqtt, slot, key, config.hub.url)

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Swap in the last applied model (from disk: works offline), then follow the hub's manifests."""
        self._restore()
        self._mqtt.subscribe(topic(self._ident.site, self._ident.id, TopicKind.MODEL), self._on_message, qos=1)
        self._thread = threading.Thread(target=self._run, name="model-updates", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:  # so that _take_offer cannot clear the wake-up in between
            self._stop.set()
            self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- the record on disk ------------------------------------------------------------------------------
    def _read_record(self) -> AppliedRecord:
        path = self.folder / RECORD_FILE
        try:
            return AppliedRecord.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return AppliedRecord()
        except (OSError, ValidationError) as exc:
            logger.warning("cannot read %s (%s): starting without a downloaded model", path, exc)
            return AppliedRecord()

    def _write_record(self, record: AppliedRecord) -> None:
        path = self.folder / RECORD_FILE
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as f:
            f.write(record.model_dump_json(indent=2))
            f.flush()
            os.fsync(f.fileno())
        partial.replace(path)  # atomic: a power cut leaves the old record or the new one
        self._record = record

    def _restore(self) -> None:
        for applied in (self._record.current, self._record.previous):
            if applied is None:
                continue
            try:
                classifier = self._load(applied)
            except Refused as exc:
                logger.error("the recorded model %s cannot run: %s", applied.version, exc.reason)
                self.error = exc.reason
                continue
            self._slot.use_classifier(classifier)
            self.current_version = applied.version
            if applied is not self._record.current:
                self._write_record(AppliedRecord(current=applied, previous=None))
            logger.info("running model %s, the last one applied", applied.version)
            return

    # -- from the MQTT thread ----------------------------------------------------------------------------
    def _on_message(self, message: InboundMessage) -> None:
        try:
            _ref, manifest = decode_from_hub(message.topic, message.payload)
        except ContractError as exc:
            logger.warning("model manifest refused: %s", exc)
            self.error = f"manifest refused: {exc}"[:MAX_REASON]
            return
        if not isinstance(manifest, ModelManifest):
            return
        with self._lock:
            self._offered = manifest
        self._wake.set()

    def _take_offer(self) -> ModelManifest | None:
        with self._lock:
            offered, self._offered = self._offered, None
            if not self._stop.is_set():
                self._wake.clear()
        return offered

    # -- the worker thread ---------------------------------------------------------------------------------
    def _run(self) -> None:
        manifest: ModelManifest | None = None
        delay = self._settings.retry_initial_s
        while not self._stop.is_set():
            offered = self._take_offer()
            if offered is not None:
                manifest, delay = offered, self._settings.retry_initial_s
                self._warned.clear()
            if manifest is None:
                self._wake.wait()
                continue
            try:
                self._apply(manifest)
            except Refused as exc:
                self.error = exc.reason
                if exc.kind not in self._warned:
                    self._warned.add(exc.kind)
                    retry = f"; trying again in {delay:.3g} s and later" if exc.retry else ""
                    logger.warning(
                        "model %s refused, still running %s: %s%s",
                        manifest.version,
                        self.current_version or "the configured model",
                        exc.reason,
                        retry,
                    )
                if not exc.retry:
                    self._refused = (manifest.version, manifest.sha256)
                    manifest = None
                    continue
                self._wake.wait(delay)  # a new manifest ends the wait
                delay = min(delay * 2, self._settings.retry_max_s)
                continue
            except OSError as exc:  # the station's own disk: full, read-only
                self.error = f"cannot store the model: {exc}"[:MAX_REASON]
                logger.error("model %s: %s", manifest.version, self.error)
                self._wake.wait(delay)
                delay = min(delay * 2, self._settings.retry_max_s)
                continue
            except Exception as exc:  # a bug of ours must not end the thread: logged with its traceback, retried
                logger.exception("model %s: applying it failed", manifest.version)
                self.error = f"cannot apply the model: {exc}"[:MAX_REASON]
                self._wake.wait(delay)
                delay = min(delay * 2, self._settings.retry_max_s)
                continue
            manifest = None
            self._warned.clear()

    def _apply(self, manifest: ModelManifest) -> None:
        if manifest.stream != self._ident.stream:
            raise Refused(f"model for stream {manifest.stream}, this station sorts {self._ident.stream}", "stream")
        try:
            verify_manifest(self._key, manifest)
        except SignatureError:
            raise Refused(
                f"model {manifest.version}: signature does not verify with the pinned key", "signature"
            ) from None
        record = self._record
        if _same(record.current, manifest) and self.current_version == manifest.version:
            self.error = None
            logger.info("model %s offered: already running it", manifest.version)
            return
        if self._refused == (manifest.version, manifest.sha256) and self.error is not None:
            raise Refused(self.error, "refused")  # offered again (a reconnect): the same bytes fail the same way
        if record.previous is not None and _same(record.previous, manifest):
            classifier = self._load(record.previous)
            self._slot.use_classifier(classifier)
            self._write_record(AppliedRecord(current=record.previous, previous=record.current))
            self._applied(manifest.version, "rolled back to")
            return
        applied = self._fetch(manifest)
        try:
            classifier = self._load(applied)
        except Refused:
            shutil.rmtree(self.folder / VERSIONS_DIR / applied.folder, ignore_errors=True)
            raise
        self._slot.use_classifier(classifier)
        # The same version fetched again (its files could not load at start) does not push out the previous one.
        previous = record.previous if _same(record.current, manifest) else record.current
        self._write_record(AppliedRecord(current=applied, previous=previous))
        self._prune()
        self._applied(manifest.version, "swapped in")

    def _applied(self, version: str, how: str) -> None:
        previous = self.current_version
        self.current_version = version
        self.error = None
        self._refused = None
        logger.info("model %s %s (was %s): from the next item on", how, version, previous or "the configured model")

    def _load(self, applied: AppliedModel) -> ImageClassifier:
        folder = self.folder / VERSIONS_DIR / applied.folder
        models = sorted(folder.glob("*.onnx"))
        if len(models) != 1:
            raise Refused(f"cannot load: {folder} holds {len(models)} model files", "load")
        try:
            classifier = ImageClassifier(models[0], threads=self._threads)
        except ModelFileError as exc:
            raise Refused(f"cannot load: {exc}", "load") from exc
        if classifier.model_version != applied.version:
            raise Refused(
                f"the bundle holds model {classifier.model_version}, the manifest names {applied.version}", "version"
            )
        return classifier

    def _fetch(self, manifest: ModelManifest) -> AppliedModel:
        """Download, check and unpack the manifest's bundle; the download is gone afterwards, whatever happens."""
        if manifest.size_bytes > self._settings.max_bytes:
            raise Refused(
                f"model {manifest.version} is {manifest.size_bytes} bytes, over this station's limit "
                f"of {self._settings.max_bytes}",
                "size",
            )
        downloads = self.folder / DOWNLOADS_DIR
        downloads.mkdir(parents=True, exist_ok=True)
        name = f"{_safe(manifest.version)}-{manifest.sha256[:12]}"
        part = downloads / f"{name}.part"
        try:
            self._download(manifest, part)
            target = self.folder / VERSIONS_DIR / name
            shutil.rmtree(target, ignore_errors=True)  # a half-unpacked earlier try
            try:
                unpack_bundle(part, target)
            except BundleError as exc:
                shutil.rmtree(target, ignore_errors=True)
                raise Refused(f"cannot load: {exc}", "bundle") from exc
        finally:
            part.unlink(missing_ok=True)
        return AppliedModel(version=manifest.version, sha256=manifest.sha256, folder=name)

    def _download(self, manifest: ModelManifest, out: Path) -> None:
        url = self._hub_url + manifest.url
        expected = manifest.size_bytes
        received = 0
        digest = hashlib.sha256()
        timeout = httpx.Timeout(self._settings.download_timeout_s)
        try:
            with httpx.stream("GET", url, timeout=timeout, follow_redirects=False) as response:
                if response.status_code != 200:
                    raise Refused(f"the hub answered {response.status_code} for {manifest.url}", "http", retry=True)
                with out.open("wb") as f:
                    for chunk in response.iter_bytes():  # as it arrives: a cut counts every byte that came
                        received += len(chunk)
                        if received > expected:  # stop reading one chunk past the size: never more on disk
                            raise Refused(f"download too long: more than {expected} bytes", "too long", retry=True)
                        digest.update(chunk)
                        f.write(chunk)
        except httpx.TransportError as exc:
            if received or isinstance(exc, httpx.RemoteProtocolError):
                raise Refused(f"download truncated at {received} of {expected} bytes", "truncated", retry=True) from exc
            raise Refused(f"hub not reachable: {exc}", "unreachable", retry=True) from exc
        except httpx.HTTPError as exc:  # a body that cannot be decoded (Content-Encoding), a URL httpx refuses
            raise Refused(f"download failed: {exc}", "http", retry=True) from exc
        if received < expected:
            raise Refused(f"download truncated at {received} of {expected} bytes", "truncated", retry=True)
        actual = digest.hexdigest()
        if actual != manifest.sha256:
            raise Refused(f"sha256 mismatch: got {actual}, the manifest says {manifest.sha256}", "sha256", retry=True)

    def _prune(self) -> None:
        """Keep the current and the previous model; older ones go."""
        keep = {a.folder for a in (self._record.current, self._record.previous) if a is not None}
        versions = self.folder / VERSIONS_DIR
        for folder in versions.iterdir() if versions.is_dir() else ():
            if folder.is_dir() and folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)


def _same(applied: AppliedModel | None, manifest: ModelManifest) -> bool:
    return applied is not None and (applied.version, applied.sha256) == (manifest.version, manifest.sha256)


def _safe(version: str) -> str:
    """A folder name from a version (which may hold ``@``): only characters every file system takes."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", version)[:64]
