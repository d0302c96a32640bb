"""Device sections chosen by their driver key: errors name the key as the file spells it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from config.drivers import AndScaleConfig, ButtonsConfig, GpioButtonsConfig, MtSicsScaleConfig, ScaleConfig
from config.files import ConfigError, FileSettings


class Devices(FileSettings):
    """The device sections alone, loaded the way a station's file is."""

    model_config = SettingsConfigDict(env_prefix="SORTCENTRE_TEST_DEVICES_")
    scale: ScaleConfig
    buttons: ButtonsConfig


def devices(tmp_path: Path, text: str) -> Devices:
    path = tmp_path / "station.toml"
    path.write_text(text)
    return Devices.load(path)


BUTTONS = '[buttons]\nport = "/dev/ttyACM0"\n'


def test_the_driver_key_picks_the_model(tmp_path: Path) -> None:
    found = devices(tmp_path, '[scale]\ndriver = "and"\nport = "/dev/x"\ncontinuous = true\n' + BUTTONS)
    assert isinstance(found.scale, AndScaleConfig)
    assert found.scale.continuous


def test_without_a_driver_key_the_defaults_of_before(tmp_path: Path) -> None:
    """Files written before the union (the demo's, docs/examples/station.toml) stay valid."""
    found = devices(tmp_path, '[scale]\nport = "/dev/x"\n' + BUTTONS)
    assert isinstance(found.scale, MtSicsScaleConfig)
    assert found.buttons.driver == "serial-board"


@pytest.mark.parametrize(
    ("scale", "says"),
    [
        ('driver = "and"\nport = "/dev/x"\ncontinous = true', "scale.continous: unknown key"),
        ('port = "/dev/x"\ncontinuous = true', "scale.continuous: unknown key"),  # an A&D key on MT-SICS
        ('driver = "cas"', "scale.port: required key is missing"),
        ('driver = "sartorius"\nport = "/dev/x"', "scale: Input tag 'sartorius'"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, scale: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        devices(tmp_path, f"[scale]\n{scale}\n" + BUTTONS)
    assert says in str(caught.value)


def test_gpio_needs_its_pins(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"buttons\.pins: required key is missing"):
        devices(tmp_path, '[scale]\nport = "/dev/x"\n[buttons]\ndriver = "gpio"\n')
    found = devices(tmp_path, '[scale]\nport = "/dev/x"\n[buttons]\ndriver = "gpio"\npins = {1 = 5}\nundo_key = "9"\n')
    assert isinstance(found.buttons, GpioButtonsConfig)
    assert found.buttons.long_press_keys == frozenset({"C", "9"})
