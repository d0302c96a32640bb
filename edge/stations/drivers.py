"""From a device's config section to its open driver: the one place that knows which class serves which."""

from __future__ import annotations

import logging
from typing import Any, assert_never

from pydantic import TypeAdapter

from config.drivers import (
    AndScaleConfig,
    AutoScaleConfig,
    ButtonsConfig,
    CameraConfig,
    CasScaleConfig,
    DiniArgeoScaleConfig,
    GpioButtonsConfig,
    KeyboardButtonsConfig,
    MtSicsScaleConfig,
    ScaleConfig,
    SerialBoardButtonsConfig,
)
from edge.stations.buttons.base import Buttons
from edge.stations.camera import Camera
from edge.stations.scales.and_fx import AndScale
from edge.stations.scales.base import Scale
from edge.stations.scales.cas import CasScale
from edge.stations.scales.dini_argeo import DiniArgeoScale
from edge.stations.scales.mt_sics import MtSicsScale
from edge.stations.scales.probe import probe

logger = logging.getLogger(__name__)

_SCALE_CONFIG: TypeAdapter[ScaleConfig] = TypeAdapter(ScaleConfig)
# The Dini Argeo address probed (and then used) when an "auto" section names none: the indicator's default.
DINI_DEFAULT_ADDRESS = 1


def open_scale(config: ScaleConfig) -> Scale:
    """The scale the section names, opened; "auto" probes the port first. Raises ScaleError."""
    match config:
        case MtSicsScaleConfig():
            return MtSicsScale.from_config(config)
        case AndScaleConfig():
            return AndScale.from_config(config)
        case DiniArgeoScaleConfig():
            return DiniArgeoScale.from_config(config)
        case CasScaleConfig():
            return CasScale.from_config(config)
        case AutoScaleConfig():
            return open_scale(detect_scale(config))
        case _:
            assert_never(config)


def detect_scale(config: AutoScaleConfig) -> ScaleConfig:
    """The section of the protocol that answered the probe, with the settings the "auto" section holds."""
    address = DINI_DEFAULT_ADDRESS if config.address is None else config.address
    found = probe(config.port, config.baudrate, dini_address=address)
    settings: dict[str, Any] = config.model_dump(exclude={"driver", "address"}) | {"driver": found}
    if found == "dini-argeo":
        settings["address"] = address
    return _SCALE_CONFIG.validate_python(settings)


def open_buttons(config: ButtonsConfig, **backend: Any) -> Buttons:
    """The button backend the section names; ``backend`` goes to its ``from_config`` (tests: a pin factory).

    Backends are imported here, not at the top, so that a station only loads the library its own buttons
    need (gpiozero is dead weight on a station with a serial board)."""
    match config:
        case SerialBoardButtonsConfig():
            from edge.stations.buttons.serial_board import SerialButtonBoard

            return SerialButtonBoard.from_config(config, **backend)
        case GpioButtonsConfig():
            from edge.stations.buttons.gpio import GpioButtons

            return GpioButtons.from_config(config, **backend)
        case KeyboardButtonsConfig():
            from edge.stations.buttons.keyboard import KeyboardButtons

            return KeyboardButtons.from_config(config, **backend)
        case _:
            assert_never(config)


def open_camera(config: CameraConfig) -> Camera | None:
    """The camera over the plate, None when the station has none."""
    return Camera.from_config(config) if config.source else None
