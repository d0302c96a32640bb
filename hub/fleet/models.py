"""The hub's model store and signed rollout (docs/fleet.md, "Signed rollout").

The store is one folder of bundles (edge/vision/model_bundle.py), one file per model version, served read-only
at ``GET /api/models/{file}`` (hub/api/models.py). :func:`publish_model` puts a bundle in the store, signs its
manifest with the hub's Ed25519 key and publishes it retained (QoS 1) on each named station's model topic; a
station offline now gets it when it reconnects. Publishing an older version's bundle again is a rollback: a
station that still has that model swaps back without a download.

A manifest's version is the model card's ``NAME@VERSION``, the name the station's events carry in
``suggestion.model_version``: so a heartbeat's ``model_version`` and the events after it say the same.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config.models import ModelSettings
from core.contract import TopicKind, topic
from core.contract.fleet import MAX_MODEL_BYTES, ModelManifest
from core.contract.payloads import now_utc_ms
from core.transport.protocol import MqttLike
from edge.vision.model_bundle import BUNDLE_SUFFIX, BundleError, unpack_bundle
from edge.vision.model_files import ModelFileError, read_card
from edge.vision.model_signing import load_private_key, sign
from hub.keys.ratelimit import TokenBucket

logger = logging.getLogger(__name__)

URL_PREFIX = "/api/models/"
# A stored bundle's name: what _file_name makes, and all that GET /api/models/{file} looks up.
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,150}" + re.escape(BUNDLE_SUFFIX) + "$")
MAX_FILE_NAME = 200
_CHUNK = 1 << 20
MAX_VERSION_CHARS = 64  # a manifest's and a heartbeat's version (core.contract Text)


class PublishError(Exception):
    """A bundle that cannot be published: unreadable, not one model and its card, or another version."""


@dataclass(frozen=True, slots=True)
class StoredModel:
    version: str
    stream: str | None
    file_name: str
    sha256: str
    size_bytes: int

    @property
    def url(self) -> str:
        return URL_PREFIX + self.file_name


class ModelStore:
    """The bundles the hub serves, by exact file name; nothing else in the folder is ever served."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.folder = settings.folder
        self.downloads = TokenBucket(settings.downloads_per_minute, settings.burst)

    def path(self, file_name: str) -> Path | None:
        """The stored bundle called ``file_name``, or None (also for any name this store would never make)."""
        if not FILE_NAME.fullmatch(file_name):
            return None
        path = self.folder / file_name
        return path if path.is_file() and not path.is_symlink() else None

    def add(self, bundle: Path, version: str | None = None) -> StoredModel:
        """Copy ``bundle`` into the store, after checking it holds one model whose card names ``version``
        (default: whatever the card names). The same bundle twice is one file."""
        card_version, stream = _card_of(bundle)
        if version is not None and version != card_version:
            raise PublishError(
                f"{bundle.name} holds model {card_version}, not {version}: stations report the card's version"
            )
        if len(card_version) > MAX_VERSION_CHARS:
            raise PublishError(f"model version {card_version!r} is over {MAX_VERSION_CHARS} characters")
        sha256, size = _digest(bundle)
        if size > MAX_MODEL_BYTES:
            raise PublishError(f"{bundle.name} is {size} bytes, over the {MAX_MODEL_BYTES} a station downloads")
        name = f"{_file_stem(card_version)}-{sha256[:12]}{BUNDLE_SUFFIX}"
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        if not target.is_file():
            partial = self.folder / f".{name}.partial"
            shutil.copyfile(bundle, partial)
            partial.replace(target)  # atomic: a download never sees half a bundle
            logger.info("stored model %s as %s (sha256 %s, %d bytes)", card_version, target, sha256[:12], size)
        return StoredModel(card_version, stream, name, sha256, size)

    def bundle_of(self, version: str) -> Path | None:
        """The newest stored bundle of model ``version`` (a rollback sends the previous version's again), or None."""
        found = sorted(
            self.folder.glob(f"{glob.escape(_file_stem(version))}-*{BUNDLE_SUFFIX}"), key=lambda p: p.stat().st_mtime
        )
        matching = [p for p in found if FILE_NAME.fullmatch(p.name) and _card_of(p)[0] == version]
        return matching[-1] if matching else None


def _file_stem(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", version)[:120]


def publish_model(
    store: ModelStore,
    mqtt: MqttLike,
    bundle_path: Path,
    stations: list[tuple[str, str]],
    *,
    stream: str | None = None,
    version: str | None = None,
    key: Ed25519PrivateKey | None = None,
) -> list[tuple[ModelManifest, int | None]]:
    """Store ``bundle_path``, sign its manifest and publish it retained on each ``(site, station)``'s model topic.

    ``stream`` defaults to the stream the card was trained on; ``key`` to the store's ``signing_key_file``.
    Returns each manifest with the message id of its publish (None: the client refused it). Raises
    :class:`PublishError` for a bundle that cannot be published and
    :class:`~edge.vision.model_signing.SignatureError` for an unreadable key."""
    stored = store.add(bundle_path, version)
    stream = stream or stored.stream
    if stream is None:
        raise PublishError(f"{bundle_path.name}: the card names no stream; say which stream the model is for")
    signing_key = key if key is not None else load_private_key(store.settings.signing_key_file)
    issued_at = now_utc_ms()
    sent: list[tuple[ModelManifest, int | None]] = []
    signature: str | None = None
    for site, station in stations:
        unsigned = ModelManifest(
            site=site,
            station=station,
            stream=stream,
            version=stored.version,
            sha256=stored.sha256,
            size_bytes=stored.size_bytes,
            url=stored.url,
            signature="A" * 86 + "==",
            issued_at=issued_at,
        )
        # One signature serves every station: signed_message() names none.
        signature = signature or sign(signing_key, unsigned.signed_message())
        manifest = unsigned.model_copy(update={"signature": signature})
        mid = mqtt.publish(topic(site, station, TopicKind.MODEL), manifest.to_json(), qos=1, retain=True)
        if mid is None:
            logger.warning("model %s for %s/%s: the MQTT client refused the publish", stored.version, site, station)
        else:
            logger.info("model %s offered to %s/%s", stored.version, site, station)
        sent.append((manifest, mid))
    return sent


def _card_of(bundle: Path) -> tuple[str, str | None]:
    """The model's ``NAME@VERSION`` and training stream, from the bundle's card (checked against the model)."""
    with tempfile.TemporaryDirectory(prefix="bundle-") as scratch:
        try:
            card = read_card(unpack_bundle(bundle, Path(scratch)))
        except (BundleError, ModelFileError, OSError) as exc:
            raise PublishError(f"{bundle}: {exc}") from exc
    if card.kind != "classifier":
        raise PublishError(f"{bundle.name} holds a {card.kind}, not a classifier")
    return f"{card.name}@{card.version}", card.training.stream if card.training else None


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
