import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.files import ConfigError
from config.station import StationConfig

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "station.toml"


def test_example_config_is_valid() -> None:
    config = StationConfig.load(EXAMPLE)
    assert config.station.id == "zwolle-plastic-1"
    assert config.category_for_key("2") is not None and config.category_for_key("2").id == "pet"  # type: ignore[union-attr]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(text)
    return path


def test_unknown_key_is_named(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("baudrate = 9600", "baudrate = 9600\nbaudrat = 9600")
    with pytest.raises(ConfigError) as caught:
        StationConfig.load(write(tmp_path, text))
    assert "scale.baudrat: unknown key" in str(caught.value)
    assert str(tmp_path / "station.toml") in str(caught.value)


def test_wrong_values_point_at_the_key(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('site = "zwolle"', 'site = "Zwolle Centrum"')
    with pytest.raises(ConfigError, match=r"station\.site"):
        StationConfig.load(write(tmp_path, text))


def test_repeated_keys_and_missing_sections(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('key = "9"', 'key = "1"')
    with pytest.raises(ConfigError, match="button keys repeat"):
        StationConfig.load(write(tmp_path, text))
    without_journal = EXAMPLE.read_text().split("[journal]")[0]
    with pytest.raises(ConfigError, match="journal: required key is missing"):
        StationConfig.load(write(tmp_path, without_journal))


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        StationConfig.load(write(tmp_path, "[station\nid = 1"))


def test_password_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTCENTRE_MQTT_PASSWORD", "s3cret")
    config = StationConfig.load(EXAMPLE)
    assert config.mqtt.password is not None and config.mqtt.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)


def test_the_environment_beats_the_file_for_the_mqtt_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_file = write(tmp_path, EXAMPLE.read_text().replace("[mqtt]\n", '[mqtt]\npassword = "from-file"\n'))
    assert secret(StationConfig.load(in_file).mqtt.password) == "from-file"
    monkeypatch.setenv("SORTCENTRE_STATION_MQTT__PASSWORD", "from-env")
    config = StationConfig.load(in_file)
    assert secret(config.mqtt.password) == "from-env"
    assert config.mqtt.username == "zwolle-plastic-1"  # the rest of [mqtt] still comes from the file


def test_the_prefixed_password_beats_the_old_name(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SORTCENTRE_MQTT_PASSWORD", "old")
    with caplog.at_level(logging.WARNING):
        assert secret(StationConfig.load(EXAMPLE).mqtt.password) == "old"
    assert "SORTCENTRE_MQTT_PASSWORD is deprecated" in caplog.text
    monkeypatch.setenv("SORTCENTRE_STATION_MQTT__PASSWORD", "new")
    assert secret(StationConfig.load(EXAMPLE).mqtt.password) == "new"


def test_the_environment_sets_any_key_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTCENTRE_STATION_HEARTBEAT_S", "30")
    monkeypatch.setenv("SORTCENTRE_STATION_VISION__THRESHOLDS", '{"plastic": 0.95}')
    config = StationConfig.load(EXAMPLE)
    assert config.heartbeat_s == 30 and config.vision.thresholds == {"plastic": 0.95}
    assert config.scale.port == "/dev/serial/by-id/usb-mettler-scale"  # untouched keys: from the file


def test_a_bad_value_in_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTCENTRE_STATION_KIOSK__PORT", "eighty")
    with pytest.raises(ConfigError) as caught:
        StationConfig.load(EXAMPLE)
    assert "kiosk.port (environment variable SORTCENTRE_STATION_KIOSK__PORT): Input should be a valid integer" in str(
        caught.value
    )


def secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


def test_kiosk_languages_time_zone_and_speech(tmp_path: Path) -> None:
    config = StationConfig.load(EXAMPLE)
    assert config.kiosk.time_zone == "Europe/Amsterdam"
    assert config.kiosk.speech.enabled is False
    assert config.kiosk_language_file() == config.journal.path.parent / "kiosk-language.json"
    text = EXAMPLE.read_text() + (
        '\n[kiosk]\ntime_zone = "Europe/Brussels"\nlanguages = ["ar", "ti"]\nlanguage_file = "/var/lib/k.json"\n'
        "[kiosk.speech]\nenabled = true\nvolume = 150\n"
    )
    config = StationConfig.load(write(tmp_path, text))
    assert (config.kiosk.time_zone, config.kiosk.languages) == ("Europe/Brussels", ["ar", "ti"])
    assert config.kiosk_language_file() == Path("/var/lib/k.json")
    assert (config.kiosk.speech.enabled, config.kiosk.speech.volume) == (True, 150)


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ('[kiosk]\ntime_zone = "Mars/Olympus"', "kiosk.time_zone: Value error, unknown time zone 'Mars/Olympus'"),
        ("[kiosk.speech]\nvolume = 500", "kiosk.speech.volume"),
        ('[kiosk.speech]\nvoice = "nl; rm -rf /"', "kiosk.speech.voice"),
    ],
)
def test_bad_kiosk_settings_name_the_key(tmp_path: Path, section: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        StationConfig.load(write(tmp_path, EXAMPLE.read_text() + "\n" + section + "\n"))
    assert says in str(caught.value)
