"""The hub's versions of each station's sorting settings, and how they are published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.remote import SettingsError
from core.contract import TopicKind, topic
from core.contract.fleet import RemoteConfig, decode_from_hub
from hub.fleet.config_store import ConfigStore
from hub.fleet.remote_config import RemoteConfigs
from tests.fakes import FakeMqtt

STATION, SITE = "zwolle-plastic-1", "zwolle"
WHERE = topic(SITE, STATION, TopicKind.CONFIG)


def test_versions_count_up_per_station_and_survive_a_restart(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "configs.sqlite")
    first = store.put(STATION, SITE, {"blind_share": 0.1}, "ada")
    second = store.put(STATION, SITE, {"blind_share": 0.2}, "bob")
    other = store.put("dalfsen-plastic-1", "dalfsen", {}, "ada")
    assert (first.version, second.version, other.version) == (f"{STATION}-1", f"{STATION}-2", "dalfsen-plastic-1-1")
    again = ConfigStore(tmp_path / "configs.sqlite")
    latest = again.latest(STATION)
    assert latest is not None and latest.settings == {"blind_share": 0.2} and latest.changed_by == "bob"
    assert again.held() == {STATION: f"{STATION}-2", "dalfsen-plastic-1": "dalfsen-plastic-1-1"}
    assert [v.version for v in again.history(STATION)] == [f"{STATION}-2", f"{STATION}-1"]


def test_old_versions_go_but_their_numbers_are_never_given_again(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "configs.sqlite", versions_kept=2)
    for _ in range(4):
        store.put(STATION, SITE, {}, "ada")
    assert [v.number for v in store.history(STATION)] == [4, 3]
    assert store.put(STATION, SITE, {}, "ada").number == 5


def test_put_validates_stores_and_publishes_retained(tmp_path: Path) -> None:
    mqtt = FakeMqtt()
    configs = RemoteConfigs(ConfigStore(tmp_path / "configs.sqlite"), mqtt)
    stored, published = configs.put(STATION, SITE, {"vision": {"thresholds": {"plastic": 0.8}}}, "ada")
    assert published
    [(where, payload, qos, retain)] = mqtt.published
    assert (where, qos, retain) == (WHERE, 1, True)
    _ref, message = decode_from_hub(where, payload)  # what the station decodes
    assert isinstance(message, RemoteConfig)
    assert message.version == stored.version == f"{STATION}-1"
    assert message.settings == {"vision": {"thresholds": {"plastic": 0.8}}}


def test_settings_a_station_would_refuse_are_neither_stored_nor_published(tmp_path: Path) -> None:
    mqtt = FakeMqtt()
    configs = RemoteConfigs(ConfigStore(tmp_path / "configs.sqlite"), mqtt)
    with pytest.raises(SettingsError, match=r"settings\.vision\.treshold: unknown key"):
        configs.put(STATION, SITE, {"vision": {"treshold": 0.5}}, "ada")
    with pytest.raises(SettingsError, match=r"settings\.vision\.thresholds\.plastic"):
        configs.put(STATION, SITE, {"vision": {"thresholds": {"plastic": "high"}}}, "ada")
    assert mqtt.published == [] and configs.store.latest(STATION) is None


def test_every_latest_version_goes_out_again_after_a_connect(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "configs.sqlite")
    store.put(STATION, SITE, {"blind_share": 0.1}, "ada")
    store.put(STATION, SITE, {"blind_share": 0.2}, "ada")
    store.put("dalfsen-plastic-1", "dalfsen", {}, "ada")
    mqtt = FakeMqtt()
    RemoteConfigs(store, mqtt)
    mqtt.start()  # connected: the listeners run
    sent = {where: json.loads(payload)["version"] for where, payload, _q, _r in mqtt.published}
    assert sent == {
        WHERE: f"{STATION}-2",
        topic("dalfsen", "dalfsen-plastic-1", TopicKind.CONFIG): "dalfsen-plastic-1-1",
    }


def test_without_a_connection_it_is_stored_and_sent_later(tmp_path: Path) -> None:
    configs = RemoteConfigs(ConfigStore(tmp_path / "configs.sqlite"))
    stored, published = configs.put(STATION, SITE, {}, "ada")
    assert not published and configs.store.latest(STATION) == stored
