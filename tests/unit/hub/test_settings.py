"""The hub's MQTT identities: one account per connection, the old single [mqtt] section still valid."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config.files import ConfigError
from hub.settings import HubSettings


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
