"""The sorting settings the hub owns: an unknown key or a bad value is refused naming the key; applied onto the
station's file config, the station's own checks run on the result."""

from pathlib import Path

import pytest

from config.remote import (
    DEFAULT_BLIND_SHARE,
    MAX_ERROR_CHARS,
    SettingsError,
    SortingSettings,
    apply_raw,
    parse_settings,
    settings_of,
)
from config.station import StationConfig

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "station.toml"


@pytest.fixture
def base() -> StationConfig:
    return StationConfig.load(EXAMPLE)


def category(id_: str, key: str) -> dict[str, str]:
    return {"id": id_, "nl": id_.upper(), "en": id_.upper(), "key": key}


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"colour": "red"}, "settings.colour: unknown key"),
        ({"vision": {"treshold": 0.5}}, "settings.vision.treshold: unknown key"),
        ({"vision": {"grading": {"creme_max_hole": 1}}}, "settings.vision.grading.creme_max_hole: unknown key"),
        ({"categories": [category("pp", "1") | {"colour": "x"}]}, "settings.categories.0.colour: unknown key"),
        ({"vision": {"thresholds": {"plastic": 1.5}}}, "settings.vision.thresholds.plastic: "),
        ({"vision": {"default_threshold": -0.1}}, "settings.vision.default_threshold: "),
        ({"blind_share": 0.9}, "settings.blind_share: "),
        ({"categories": [category("PP!", "1")]}, "settings.categories.0.id: "),
        ({"categories": []}, "settings.categories: "),
        ({"categories": [category("pp", "1"), category("pp", "2")]}, "settings: category ids repeat"),
        ({"categories": [category("pp", "1"), category("pet", "1")]}, "settings: category keys repeat"),
    ],
)
def test_an_unknown_key_or_bad_value_is_named(raw: object, named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw)
    assert named in str(caught.value)
    assert len(str(caught.value)) <= MAX_ERROR_CHARS


def test_the_stations_own_checks_run_on_the_result(base: StationConfig) -> None:
    # A category on the confirm key: the hub cannot know the station's keys, the station refuses it.
    with pytest.raises(SettingsError, match=r"settings\.categories\.1\.key: 'C' is this station's confirm key"):
        apply_raw(base, {"categories": [category("pp", "1"), category("pet", "C")]})
    # Consent without a capture folder in the station's file: refused by the station's capture checks.
    with pytest.raises(SettingsError, match=r"with the station's file: vision\.capture: capture\.folder is required"):
        apply_raw(base, {"capture_enabled": True})


def test_a_long_error_fits_a_heartbeat() -> None:
    raw = {f"unknown_key_number_{i}": i for i in range(40)}
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw)
    assert len(str(caught.value)) == MAX_ERROR_CHARS
    assert str(caught.value).startswith("settings.unknown_key_number_0: unknown key")


def test_applied_onto_the_file_config(base: StationConfig) -> None:
    settings, config = apply_raw(
        base,
        {
            "categories": [category("hdpe", "1"), category("residual", "9")],
            "vision": {"thresholds": {"plastic": 0.6}, "polymers": {"pc-abs": "residual"}},
        },
    )
    assert [c.id for c in config.categories] == ["hdpe", "residual"]
    assert config.vision.thresholds == {"plastic": 0.6}
    assert config.vision.polymers == {"pc-abs": "residual"}
    # What it leaves out is the file's: the hardware, the credentials, the other vision keys.
    assert config.vision.default_threshold == base.vision.default_threshold
    assert config.scale == base.scale and config.mqtt == base.mqtt and config.buttons == base.buttons
    assert config.station == base.station
    assert base.categories[0].id == "pp", "the file's config is not changed"
    assert settings.blind_share is None


def test_a_second_config_replaces_the_first_not_adds_to_it(base: StationConfig) -> None:
    _, first = apply_raw(base, {"vision": {"thresholds": {"plastic": 0.6}}})
    _, second = apply_raw(base, {"vision": {"default_threshold": 0.7}})
    assert first.vision.thresholds == {"plastic": 0.6}
    assert second.vision.thresholds == base.vision.thresholds
    assert second.vision.default_threshold == 0.7


def test_settings_of_a_config_round_trip(base: StationConfig) -> None:
    current = settings_of(base)
    assert current.blind_share == DEFAULT_BLIND_SHARE
    assert current.categories == base.categories
    # What the hub shows, edited and sent back, validates and gives the same config.
    again = SortingSettings.model_validate_json(current.model_dump_json())
    _, config = apply_raw(base, again.model_dump(mode="json"))
    assert config.categories == base.categories and config.vision == base.vision


def test_the_blind_share_reaches_the_station_vision_section(base: StationConfig) -> None:
    _, config = apply_raw(base, {"blind_share": 0.2})
    assert config.vision.blind_share == 0.2 and settings_of(config).blind_share == 0.2
    _, back = apply_raw(base, {})
    assert back.vision.blind_share == base.vision.blind_share
