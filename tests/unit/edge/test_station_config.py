from pathlib import Path

import pytest

from config.files import ConfigError
from edge.stations.config import load_station_config

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "station.toml"


def test_example_config_is_valid() -> None:
    config = load_station_config(EXAMPLE)
    assert config.station.id == "zwolle-plastic-1"
    assert config.category_for_key("2") is not None and config.category_for_key("2").id == "pet"  # type: ignore[union-attr]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(text)
    return path


def test_unknown_key_is_named(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("baudrate = 9600", "baudrate = 9600\nbaudrat = 9600")
    with pytest.raises(ConfigError) as caught:
        load_station_config(write(tmp_path, text))
    assert "scale.baudrat: unknown key" in str(caught.value)
    assert str(tmp_path / "station.toml") in str(caught.value)


def test_wrong_values_point_at_the_key(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('site = "zwolle"', 'site = "Zwolle Centrum"')
    with pytest.raises(ConfigError, match=r"station\.site"):
        load_station_config(write(tmp_path, text))


def test_repeated_keys_and_missing_sections(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('key = "9"', 'key = "1"')
    with pytest.raises(ConfigError, match="button keys repeat"):
        load_station_config(write(tmp_path, text))
    without_journal = EXAMPLE.read_text().split("[journal]")[0]
    with pytest.raises(ConfigError, match="journal: required key is missing"):
        load_station_config(write(tmp_path, without_journal))


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_station_config(write(tmp_path, "[station\nid = 1"))


def test_password_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTCENTRE_MQTT_PASSWORD", "s3cret")
    config = load_station_config(EXAMPLE)
    assert config.mqtt.password is not None and config.mqtt.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)
