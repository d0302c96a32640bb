"""The hub's MQTT identities: one account per connection, the old single [mqtt] section still valid."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config.files import ConfigError
from config.hub import HubSettings


def test_the_live_client_logs_in_with_its_own_account(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(
        '[mqtt]\nhost = "broker"\nport = 8883\ntls = true\nusername = "hub"\npassword = "ingest-secret"\n'
        '[live_mqtt]\nusername = "hub-live"\npassword_file = "/run/secrets/hub-live"\n'
    )
    settings = HubSettings.load(config)
    live = settings.live_mqtt_settings()
    assert (live.host, live.port, live.tls) == ("broker", 8883, True)  # where: from [mqtt]
    assert (live.username, live.password, live.password_file) == ("hub-live", None, "/run/secrets/hub-live")
    assert settings.mqtt.username == "hub"  # the ingest session keeps its own


def test_the_environment_sets_the_live_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTCENTRE_HUB_MQTT__USERNAME", "hub")
    monkeypatch.setenv("SORTCENTRE_HUB_LIVE_MQTT__USERNAME", "hub-live")
    monkeypatch.setenv("SORTCENTRE_HUB_LIVE_MQTT__PASSWORD", "live-secret")
    live = HubSettings.load().live_mqtt_settings()
    assert live.username == "hub-live" and live.password is not None
    assert live.password.get_secret_value() == "live-secret"


def test_one_account_for_both_connections_is_refused() -> None:
    """Each connection would push the other off a broker that binds client ids to accounts."""
    with pytest.raises(ConfigError, match="must differ from mqtt"):
        HubSettings.load(mqtt={"username": "hub"}, live_mqtt={"username": "hub"})


def test_an_old_single_mqtt_section_still_loads_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    settings = HubSettings.load(mqtt={"username": "hub", "password": "secret"})
    with caplog.at_level(logging.WARNING):
        assert settings.live_mqtt_settings() == settings.mqtt
    assert "live_mqtt.username is not set" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # no accounts at all (a test broker): nothing to warn about
        assert HubSettings.load().live_mqtt_settings().username is None
    assert caplog.text == ""


def test_the_environment_beats_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hub.toml"
    config.write_text("http_port = 8080\n[ingest]\nbatch_max_events = 100\nworkers = 0\n")
    assert (HubSettings.load(config).http_port, HubSettings.load(config).ingest.batch_max_events) == (8080, 100)
    monkeypatch.setenv("SORTCENTRE_HUB_HTTP_PORT", "9999")
    monkeypatch.setenv("SORTCENTRE_HUB_INGEST__BATCH_MAX_EVENTS", "250")
    settings = HubSettings.load(config)
    assert settings.http_port == 9999
    assert settings.ingest.batch_max_events == 250
    assert settings.ingest.workers == 0  # the rest of [ingest] still comes from the file


def test_keyword_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTCENTRE_HUB_HTTP_PORT", "9999")
    assert HubSettings.load(http_port=8123).http_port == 8123


def test_an_unknown_key_is_named_in_the_file_and_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "hub.toml"
    config.write_text("[ingest]\nbatch_size = 100\n")
    with pytest.raises(ConfigError) as caught:
        HubSettings.load(config)
    assert f"{config}: 1 problem(s)" in str(caught.value)
    assert "ingest.batch_size: unknown key" in str(caught.value)
    config.write_text("")
    monkeypatch.setenv("SORTCENTRE_HUB_INGEST__BATCH_SIZE", "100")
    with pytest.raises(ConfigError) as caught:
        HubSettings.load(config)
    assert "ingest.batch_size (environment variable SORTCENTRE_HUB_INGEST__BATCH_SIZE): unknown key" in str(
        caught.value
    )


def test_a_bad_value_in_the_environment_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hub.toml"
    config.write_text("http_port = 8080\n")
    monkeypatch.setenv("SORTCENTRE_HUB_HTTP_PORT", "99999")
    with pytest.raises(ConfigError) as caught:
        HubSettings.load(config)
    assert "http_port (environment variable SORTCENTRE_HUB_HTTP_PORT): Input should be less than or equal to 65535" in (
        str(caught.value)
    )
    monkeypatch.delenv("SORTCENTRE_HUB_HTTP_PORT")
    monkeypatch.setenv("SORTCENTRE_HUB_WEB__TRUSTED_PROXIES", "10.0.0.5")  # a list wants JSON: ["10.0.0.5"]
    with pytest.raises(ConfigError, match="SORTCENTRE_HUB_WEB__TRUSTED_PROXIES"):
        HubSettings.load(config)


def test_a_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        HubSettings.load(tmp_path / "nowhere.toml")
    broken = tmp_path / "hub.toml"
    broken.write_text("http_port = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        HubSettings.load(broken)


def test_a_variable_that_names_no_key_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """pydantic-settings would ignore it, and the token would silently be missing."""
    monkeypatch.setenv("SORTCENTRE_HUB_INFLUX_TOKEN", "abc")  # one underscore where two belong
    with pytest.raises(ConfigError, match="SORTCENTRE_HUB_INFLUX_TOKEN: no such key"):
        HubSettings.load()


def test_the_hub_trains_on_the_folder_its_captures_are_uploaded_to(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(f'[captures]\nfolder = "{tmp_path / "uploads"}"\n')
    assert HubSettings.load(path).learning.dataset_folder == tmp_path / "uploads"
    path.write_text(f'[captures]\nfolder = "{tmp_path / "uploads"}"\n[learning]\ndataset_folder = "{tmp_path / "x"}"\n')
    assert HubSettings.load(path).learning.dataset_folder == tmp_path / "x"
