"""The station's devices (scale, buttons, camera): one config model per driver, chosen by ``driver``.

Each section of a station file is a discriminated union on its ``driver`` key, so a key that the chosen
driver does not take is an error that names it, and each driver class builds itself from its own model
(``from_config``). ``driver`` may be left out: the scale is then MT-SICS and the buttons a serial board,
as before the union.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

Key = Annotated[str, Field(pattern=r"^[0-9A-Z]{1,3}$", description="button key on the board")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- scales -----------------------------------------------------------------------------------------------
class _ScaleBase(_Strict):
    """What every scale section holds: the serial port, and how the station turns readings into a weight."""

    port: str = Field(description="serial device, e.g. /dev/ttyUSB0")
    baudrate: int = Field(9600, description="serial speed")
    poll_interval_s: float = Field(0.1, gt=0, le=2, description="how often the weight is read")
    stable_band_kg: float = Field(0.005, ge=0, description="readings within this band count as one weight")
    stable_time_s: float = Field(0.4, ge=0, description="...for at least this long")
    min_weight_kg: float = Field(0.005, gt=0, description="below this the plate counts as empty")
    zero_on_start: bool = Field(True, description="zero the scale at start if the plate reads under 4x min weight")


class MtSicsScaleConfig(_ScaleBase):
    """A Mettler Toledo scale speaking MT-SICS level 0."""

    driver: Literal["mt-sics"] = Field("mt-sics", description="scale protocol: Mettler Toledo MT-SICS")


class AndScaleConfig(_ScaleBase):
    """An A&D balance in the "A&D standard format" with acknowledgements on (``erCd 1``)."""

    driver: Literal["and"] = Field(description="scale protocol: A&D standard format (FX-i, FZ-i, GX ...)")
    continuous: bool = Field(False, description="the scale streams frames by itself (no polling)")


DiniAddress = Annotated[int, Field(ge=0, le=99)]


class DiniArgeoScaleConfig(_ScaleBase):
    """A Dini Argeo indicator (DFW, DGT, 3590) on its ASCII protocol, PC port on demand."""

    driver: Literal["dini-argeo"] = Field(description="scale protocol: Dini Argeo ASCII")
    address: DiniAddress | None = Field(None, description="instrument address (none: RS-232 form, no address)")


class CasScaleConfig(_ScaleBase):
    """A CAS scale on its ECR interface (ENQ/ACK, DC1/frame); it has no zero or tare command."""

    driver: Literal["cas"] = Field(description="scale protocol: CAS ECR")


class AutoScaleConfig(_ScaleBase):
    """Probe the port once at start and use the first protocol that answers."""

    driver: Literal["auto"] = Field(description="probe the port for MT-SICS, A&D, Dini Argeo and CAS in turn")
    address: DiniAddress | None = Field(
        None, description="the Dini Argeo address to probe and then use (none: address 01)"
    )


def _driver_or(default: str) -> Any:
    """The ``driver`` of a section (a TOML table or a model), ``default`` when the file leaves it out."""

    def driver(section: Any) -> Any:
        if isinstance(section, dict):
            return section.get("driver", default)
        return getattr(section, "driver", None)

    return driver


ScaleConfig = Annotated[
    Annotated[MtSicsScaleConfig, Tag("mt-sics")]
    | Annotated[AndScaleConfig, Tag("and")]
    | Annotated[DiniArgeoScaleConfig, Tag("dini-argeo")]
    | Annotated[CasScaleConfig, Tag("cas")]
    | Annotated[AutoScaleConfig, Tag("auto")],
    Discriminator(_driver_or("mt-sics")),
]
SCALE_DRIVERS = ("mt-sics", "and", "dini-argeo", "cas", "auto")


# -- buttons ----------------------------------------------------------------------------------------------
class _ButtonsBase(_Strict):
    """What every button backend shares: the press rule and the two keys with a long-press meaning."""

    debounce_s: float = Field(0.15, ge=0, le=1, description="presses of one key closer than this count once")
    long_press_s: float = Field(1.5, gt=0, le=10, description="a press held this long is a long press")
    confirm_key: Key = Field("C", description="accepts the lit suggestion; held long: tare the scale")
    undo_key: Key = Field("U", description="takes back the last event; held long: zero the scale")

    @property
    def long_press_keys(self) -> frozenset[str]:
        """Only confirm and undo have a long-press meaning (tare, zero); every other key fires at press time."""
        return frozenset({self.confirm_key, self.undo_key})


class SerialBoardButtonsConfig(_ButtonsBase):
    """A USB/serial button board with one LED per key (protocol in docs/hardware.md)."""

    driver: Literal["serial-board"] = Field("serial-board", description="button backend: USB/serial board")
    port: str = Field(description="serial device of the button board")
    baudrate: int = Field(115200, description="serial speed")


class GpioButtonsConfig(_ButtonsBase):
    """Buttons and LEDs on the Raspberry Pi's GPIO header."""

    driver: Literal["gpio"] = Field(description="button backend: the Pi's GPIO header (gpiozero)")
    pins: dict[str, int] = Field(min_length=1, description="key -> BCM pin of its button")
    led_pins: dict[str, int] = Field(default_factory=dict, description="key -> BCM pin of its LED")


class KeyboardButtonsConfig(_ButtonsBase):
    """A USB keypad or keyboard typing on the station's terminal; no LEDs."""

    driver: Literal["keyboard"] = Field(description="button backend: keypad or keyboard on the terminal")
    keymap: dict[str, str] = Field(
        default_factory=dict, description="typed character -> key (empty: digits, and letters upper-cased)"
    )


ButtonsConfig = Annotated[
    Annotated[SerialBoardButtonsConfig, Tag("serial-board")]
    | Annotated[GpioButtonsConfig, Tag("gpio")]
    | Annotated[KeyboardButtonsConfig, Tag("keyboard")],
    Discriminator(_driver_or("serial-board")),
]
BUTTON_DRIVERS = ("serial-board", "gpio", "keyboard")


# -- camera -----------------------------------------------------------------------------------------------
class CameraConfig(_Strict):
    """The camera over the plate. One driver (OpenCV) reads every kind of source, told apart by ``source``."""

    source: str | None = Field(None, description="device index (0), video file, image folder or rtsp:// URL")
    crop: tuple[int, int, int, int] | None = Field(None, description="scale plate region x, y, w, h (no faces)")
    max_age_s: float = Field(1.0, gt=0, description="a frame older than this is not used for a suggestion")
    frame_delay_s: float = Field(
        0.3, ge=0, le=5, description="after the weight rises, wait this long before taking the frame (the hand)"
    )
