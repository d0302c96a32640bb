"""The station's side lights (``vision.lights``): two to four low-angle LEDs, switched one at a time through gpiozero,
and the frames the camera takes under each while the weight settles (docs/vision.md, "Lighting"; wiring in
docs/hardware.md, "Lights").

One light at a time: switch it on, wait its ``settle_ms`` (the LED driver, and one whole camera exposure started
under the new light), take the first camera frame read after that, switch it off, then the next light. The frames
go to the reader with each light's azimuth (edge/vision/lighting.py).

A light that cannot be claimed (a pin taken by another program, no GPIO on this computer) or that fails while
switching is loud: a warning with the reason in the log, the ``lights_absent``/``lights_fault`` warning code in the
heartbeat and on the dashboard, and the reader falls back to the single ambient frame it reads today. The lights are
switched off after every frame and on close, so no failure leaves one burning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol, Self, assert_never

from config.vision import GpioLightsConfig, LightConfig, LightsConfig, SimulatedLightsConfig
from edge.stations.devices import DeviceProblem
from edge.vision.lighting import Frame, LitFrame

logger = logging.getLogger(__name__)

# Polling for a camera frame newer than the light's settle time: short next to a frame period (33 ms at 30 fps).
FRAME_POLL_S = 0.005
# How long after the settle time a frame may take to arrive before the light counts as failed (the camera lags):
# a few frame periods of a slow USB camera.
FRAME_TIMEOUT_S = 0.5


class FrameSource(Protocol):
    """The station camera's side the lights need (edge/stations/camera.py)."""

    def latest_after(self, since: float) -> Frame | None:
        """The newest frame if it was read after ``since`` (``time.monotonic()``), else None; never waits."""
        ...


class Lights:
    """The configured lights, claimed at start; ``capture`` takes one frame under each, in the configured order."""

    def __init__(self, leds: Sequence[LightConfig], *, pin_factory: Any = None, kind: str = "gpio") -> None:
        """``pin_factory`` None is gpiozero's default (lgpio on a Pi); the simulated driver and tests pass a
        ``MockFactory``. A light that cannot be claimed does not stop the station: it is reported and left out."""
        self.config = tuple(leds)
        self.kind = kind
        self._lock = threading.Lock()  # capture runs on its own thread; close() may come from the agent's
        self._leds: list[Any] = []
        self._problem: DeviceProblem | None = None
        self._closed = False
        self.captures = 0  # sequences taken, for the station's own figures
        # When the last light went off plus its settle time: a frame read after this shows no light of ours.
        self.dark_since = float("-inf")
        try:
            from gpiozero import LED  # type: ignore[import-untyped]  # only stations with lights load it

            for light in self.config:
                self._leds.append(LED(light.pin, pin_factory=pin_factory))
        except Exception as exc:  # gpiozero raises many kinds (BadPinFactory, GPIOPinInUse, OSError)
            self._close_leds()
            self._problem = DeviceProblem("absent", f"{kind} lights on BCM pins {self.pins}: {_reason(exc)}")
            logger.warning("lights unavailable, the reader uses the single frame: %s", self._problem.reason)
            return
        logger.info("%s lights on BCM pins %s (azimuths %s)", kind, self.pins, [lt.azimuth_deg for lt in self.config])

    @classmethod
    def from_config(cls, config: LightsConfig, pin_factory: Any = None) -> Self:
        match config:
            case GpioLightsConfig():
                return cls(config.leds, pin_factory=pin_factory, kind="gpio")
            case SimulatedLightsConfig():
                if pin_factory is None:
                    from gpiozero.pins.mock import MockFactory  # type: ignore[import-untyped]

                    pin_factory = MockFactory()
                return cls(config.leds, pin_factory=pin_factory, kind="simulated")
            case _:
                assert_never(config)

    @property
    def pins(self) -> list[int]:
        return [light.pin for light in self.config]

    @property
    def usable(self) -> bool:
        """Claimed and open. A light that failed while switching is tried again with the next item (a loose contact
        may come back); until one works, every item reports it and is read from its single frame."""
        return bool(self._leds) and not self._closed

    @property
    def problem(self) -> DeviceProblem | None:
        """``absent``: the pins could not be claimed; ``fault``: a light failed while switching or gave no frame."""
        return self._problem

    def capture(self, camera: FrameSource) -> list[LitFrame] | None:
        """One frame under each light, in order; None when the lights are unusable or one failed (reported), so the
        reader falls back to the single ambient frame. Blocks for about the lights' settle times plus a frame each."""
        with self._lock:
            if not self.usable:
                return None
            frames: list[LitFrame] = []
            for light, led in zip(self.config, self._leds, strict=True):
                frame = self._one(light, led, camera)
                if frame is None:
                    return None
                frames.append(LitFrame(frame, light.azimuth_deg))
            self.captures += 1
            if self._problem is not None and self._problem.kind == "fault":
                logger.info("lights work again")
            self._problem = None
            return frames

    def _one(self, light: LightConfig, led: Any, camera: FrameSource) -> Frame | None:
        try:
            led.on()
        except Exception as exc:  # whatever the pin library raises, the light is off and reported
            self._fail(light, f"cannot switch it on: {_reason(exc)}", led)
            return None
        settled = time.monotonic() + light.settle_ms / 1000
        deadline = settled + FRAME_TIMEOUT_S
        time.sleep(light.settle_ms / 1000)
        frame = camera.latest_after(settled)
        while frame is None and time.monotonic() < deadline:
            time.sleep(FRAME_POLL_S)
            frame = camera.latest_after(settled)
        try:
            led.off()
        except Exception as exc:
            self._fail(light, f"cannot switch it off: {_reason(exc)}", led)
            return None
        finally:
            self.dark_since = time.monotonic() + light.settle_ms / 1000
        if frame is None:
            self._fail(light, f"no camera frame within {FRAME_TIMEOUT_S:g} s of its settle time", led)
        return frame

    def _fail(self, light: LightConfig, why: str, led: Any) -> None:
        problem = DeviceProblem("fault", f"light on BCM pin {light.pin} ({light.azimuth_deg:g}°): {why}")
        # Warned when it starts or changes; while it lasts the station's device alarms remind once a minute.
        log = logger.debug if problem == self._problem else logger.warning
        log("%s; the item is read from the single frame", problem.reason)
        self._problem = problem
        try:
            led.off()
        except Exception:  # already reported; nothing more to do with a pin that fails
            logger.debug("light on pin %d: off failed too", light.pin)

    def all_off(self) -> None:
        for led in self._leds:
            try:
                led.off()
            except Exception as exc:
                logger.warning("light on pin %s: cannot switch it off: %s", led.pin, _reason(exc))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self.all_off()
            self._close_leds()

    def _close_leds(self) -> None:
        for led in self._leds:
            try:
                led.close()
            except Exception as exc:
                logger.debug("closing a light: %s", exc)
        self._leds = []


def _reason(exc: BaseException) -> str:
    text = str(exc) or "no message"
    return f"{type(exc).__name__}: {text}"


def open_lights(config: LightsConfig, pin_factory: Any = None) -> Lights | None:
    """The station's lights, or None when ``vision.lights`` names none."""
    if not config.leds:
        return None
    return Lights.from_config(config, pin_factory=pin_factory)
