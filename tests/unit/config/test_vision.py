"""``vision.lights``: two to four lights with unique BCM pins; none is today's single frame; unknown keys are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.files import ConfigError
from config.station import StationConfig
from config.vision import GpioLightsConfig, SimulatedLightsConfig, VisionConfig

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "station.toml"
LIGHTS = """
[vision.lights]
driver = "{driver}"
leds = [
    {{ pin = 17, azimuth_deg = 0 }},
    {{ pin = 27, azimuth_deg = 120, settle_ms = 40 }},
    {{ pin = 22, azimuth_deg = 240{extra} }},
]
"""


def station_with(tmp_path: Path, driver: str = "gpio", extra: str = "") -> StationConfig:
    path = tmp_path / "station.toml"
    path.write_text(EXAMPLE.read_text() + LIGHTS.format(driver=driver, extra=extra))
    return StationConfig.load(path)


def test_three_lights_in_a_station_file(tmp_path: Path) -> None:
    lights = station_with(tmp_path).vision.lights
    assert isinstance(lights, GpioLightsConfig)
    assert [(led.pin, led.azimuth_deg) for led in lights.leds] == [(17, 0), (27, 120), (22, 240)]
    assert [led.settle_ms for led in lights.leds] == [70, 40, 70]
    assert isinstance(station_with(tmp_path, "simulated").vision.lights, SimulatedLightsConfig)


def test_no_lights_is_the_default() -> None:
    assert VisionConfig().lights.leds == ()
    assert VisionConfig.model_validate({"lights": {"leds": []}}).lights.leds == ()


def test_an_unknown_key_of_a_light_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        station_with(tmp_path, extra=", colour = 1")
    assert "vision.lights.leds.2.colour: unknown key" in str(caught.value)


def light(pin: int, azimuth: float = 0) -> dict[str, float]:
    return {"pin": pin, "azimuth_deg": azimuth}


@pytest.mark.parametrize(
    ("leds", "message"),
    [
        ([light(17), light(17, 180)], r"pin\(s\) \[17\] used by more than one light"),
        ([light(p) for p in (5, 6, 13, 19, 26)], "takes 2 to 4 lights .or none., not 5"),
        ([light(17)], "takes 2 to 4 lights .or none., not 1"),
        ([light(28), light(27)], "less than or equal to 27"),
        ([light(17, 360), light(27)], "less than 360"),
    ],
)
def test_lights_the_station_cannot_use_are_refused(leds: list[dict[str, float]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        VisionConfig.model_validate({"lights": {"leds": leds}})


def test_an_unknown_driver_is_refused() -> None:
    with pytest.raises(ValidationError, match="'relay'"):
        VisionConfig.model_validate({"lights": {"driver": "relay", "leds": [light(17), light(27)]}})
