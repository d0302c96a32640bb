"""The hub's model store and publish_model: what is stored under which name, and the signed, retained manifests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from config.models import ModelSettings
from core.contract import TopicKind, topic
from core.contract.fleet import ModelManifest, decode_from_hub
from edge.vision.model_signing import generate_keypair, load_public_key, verify_manifest
from firmware_mocks.models import bundle_versions, train_model
from hub.fleet.models import ModelStore, PublishError, publish_model
from tests.fakes import FakeMqtt

V1 = "plastic-classifier@v1"


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    return bundle_versions(train_model(folder), ["v1"], folder / "bundles")[V1]


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    settings = ModelSettings(
        folder=tmp_path / "store",
        signing_key_file=tmp_path / "keys" / "hub.key",
        public_key_file=tmp_path / "keys" / "hub.pub",
    )
    generate_keypair(settings.signing_key_file, settings.public_key_file)
    return ModelStore(settings)


def test_publish_signs_one_manifest_and_retains_it_on_each_station_topic(store: ModelStore, bundle: Path) -> None:
    mqtt = FakeMqtt()
    stations = [("zwolle", "zwolle-plastic-1"), ("zwolle", "zwolle-plastic-2")]
    sent = publish_model(store, mqtt, bundle, stations)
    assert len(sent) == 2 and all(mid is not None for _m, mid in sent)
    public = load_public_key(store.settings.public_key_file.read_bytes())
    data = bundle.read_bytes()
    for (site, station), (topic_name, payload, qos, retain) in zip(stations, mqtt.published, strict=True):
        assert topic_name == topic(site, station, TopicKind.MODEL) and qos == 1 and retain
        _ref, manifest = decode_from_hub(topic_name, payload)  # what the station will decode
        assert isinstance(manifest, ModelManifest)
        verify_manifest(public, manifest)
        assert manifest.version == V1 and manifest.stream == "plastic"
        assert manifest.sha256 == hashlib.sha256(data).hexdigest()
        assert manifest.size_bytes == len(data)
        name = manifest.url.removeprefix("/api/models/")
        stored = store.path(name)
        assert stored is not None and stored.read_bytes() == data


def test_the_same_bundle_twice_is_one_stored_file(store: ModelStore, bundle: Path) -> None:
    first, second = store.add(bundle), store.add(bundle)
    assert first == second
    assert [p.name for p in store.folder.iterdir()] == [first.file_name]


def test_a_version_the_card_does_not_name_is_refused(store: ModelStore, bundle: Path) -> None:
    with pytest.raises(PublishError, match="not plastic-2"):
        publish_model(store, FakeMqtt(), bundle, [("zwolle", "zwolle-plastic-1")], version="plastic-2")


def test_a_file_that_is_no_bundle_is_refused(store: ModelStore, tmp_path: Path) -> None:
    junk = tmp_path / "junk.model.tar"
    junk.write_bytes(b"no tar at all")
    with pytest.raises(PublishError):
        store.add(junk)
    assert not store.folder.exists() or not any(store.folder.iterdir())


def test_the_store_looks_up_only_names_it_makes(store: ModelStore, bundle: Path, tmp_path: Path) -> None:
    stored = store.add(bundle)
    (tmp_path / "secret.model.tar").write_text("outside")
    (store.folder / "notes.txt").write_text("not a bundle")
    assert store.path(stored.file_name) is not None
    for name in ["../secret.model.tar", "notes.txt", ".hidden.model.tar", "", "a/b.model.tar", "x.model.tar"]:
        assert store.path(name) is None, name
