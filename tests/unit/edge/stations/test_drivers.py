"""open_scale / open_buttons / open_camera: each config section opens its driver; "auto" probes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from config.drivers import (
    BUTTON_DRIVERS,
    SCALE_DRIVERS,
    AutoScaleConfig,
    ButtonsConfig,
    CameraConfig,
    DiniArgeoScaleConfig,
    ScaleConfig,
)
from edge.stations.camera import Camera
from edge.stations.drivers import detect_scale, open_camera, open_scale
from edge.stations.scales.and_fx import AndScale
from edge.stations.scales.cas import CasScale
from edge.stations.scales.dini_argeo import DiniArgeoScale
from edge.stations.scales.mt_sics import MtSicsScale
from firmware_mocks.scales.and_fx import AndScaleMock
from firmware_mocks.scales.cas import CasScaleMock
from firmware_mocks.scales.dini_argeo import DiniArgeoScaleMock
from firmware_mocks.scales.load import SimulatedLoad
from firmware_mocks.scales.mt_sics import MtSicsScaleMock
from tests.unit.edge.stations.conftest import Bench

SCALES = TypeAdapter(ScaleConfig)
MOCKS: dict[str, tuple[Any, type]] = {
    "mt-sics": (MtSicsScaleMock, MtSicsScale),
    "and": (AndScaleMock, AndScale),
    "dini-argeo": (DiniArgeoScaleMock, DiniArgeoScale),
    "cas": (CasScaleMock, CasScale),
}


def test_driver_names() -> None:
    """The names a station file uses; docs/hardware.md lists the same."""
    assert SCALE_DRIVERS == ("mt-sics", "and", "dini-argeo", "cas", "auto")
    assert BUTTON_DRIVERS == ("serial-board", "gpio", "keyboard")
    for name in SCALE_DRIVERS:
        assert SCALES.validate_python({"driver": name, "port": "/dev/x"}).driver == name


def test_driver_left_out_is_mt_sics_and_serial_board() -> None:
    assert SCALES.validate_python({"port": "/dev/x"}).driver == "mt-sics"
    assert TypeAdapter(ButtonsConfig).validate_python({"port": "/dev/x"}).driver == "serial-board"


def test_a_key_of_another_driver_is_refused() -> None:
    with pytest.raises(ValidationError, match="continuous"):
        SCALES.validate_python({"driver": "mt-sics", "port": "/dev/x", "continuous": True})
    with pytest.raises(ValidationError, match="pins"):
        TypeAdapter(ButtonsConfig).validate_python({"driver": "gpio"})


def test_unknown_scale_driver() -> None:
    with pytest.raises(ValidationError, match="sartorius"):
        SCALES.validate_python({"driver": "sartorius", "port": "/dev/x"})


@pytest.mark.parametrize("name", list(MOCKS))
def test_auto_opens_the_driver_that_answers(bench: Bench, load: SimulatedLoad, name: str) -> None:
    make_mock, driver_class = MOCKS[name]
    load.place(0.75)
    mock = bench.mock(make_mock(load))
    # "address" only applies to the Dini driver; the others must not be handed it.
    scale = bench.scale(open_scale(AutoScaleConfig(driver="auto", port=mock.path, address=1)))
    assert type(scale) is driver_class
    assert scale.read().weight_kg == pytest.approx(0.75)


def test_auto_keeps_the_weighing_settings(bench: Bench, load: SimulatedLoad) -> None:
    mock = bench.mock(DiniArgeoScaleMock(load, address=7))
    found = detect_scale(AutoScaleConfig(driver="auto", port=mock.path, address=7, min_weight_kg=0.05))
    assert isinstance(found, DiniArgeoScaleConfig)
    assert (found.address, found.min_weight_kg) == (7, 0.05)


def test_dini_address_from_the_config(bench: Bench, load: SimulatedLoad) -> None:
    load.place(0.5)
    mock = bench.mock(DiniArgeoScaleMock(load, address=12))
    scale = bench.scale(open_scale(DiniArgeoScaleConfig(driver="dini-argeo", port=mock.path, address=12)))
    assert scale.read().weight_kg == pytest.approx(0.5)


def test_camera_only_when_a_source_is_named(tmp_path: Path) -> None:
    assert open_camera(CameraConfig()) is None
    camera = open_camera(CameraConfig(source=str(tmp_path), crop=(0, 0, 10, 10)))
    try:
        assert isinstance(camera, Camera)
        assert camera.crop == (0, 0, 10, 10)
    finally:
        assert camera is not None
        camera.close()
