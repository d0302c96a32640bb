"""Scale supervision: open the scale (again after it went away), read it, turn readings into a stable weight, and
say how the scale is doing (its health on the wire and the problem the station's warnings name)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from config.station import StationConfig
from core.contract import DeviceHealth
from edge.stations.devices import DeviceProblem
from edge.stations.scales import Reading, Scale, ScaleError
from edge.stations.weighing import StableWeight, WeightState

logger = logging.getLogger(__name__)

# How long the agent waits before trying a scale again that gave no reading (unplugged, pty closed).
SCALE_RETRY_S = 1.0
# Zero on start only below this many minimum weights: drift, not an item left on the plate.
ZERO_ON_START_LIMIT = 4


class ScaleSupervisor:
    """The station's scale as the agent's thread uses it. Only that thread calls its methods."""

    def __init__(self, config: StationConfig, open_scale: Callable[[], Scale]) -> None:
        self.config = config
        self._open_scale = open_scale  # called again after the scale went away (unplugged, pty closed)
        self._scale: Scale | None = None
        self.health = DeviceHealth.ABSENT
        """What the heartbeat and the screen say about the scale."""
        self.problem: DeviceProblem | None = None
        """Why the scale gives no reading, for the station's warnings; None while it works."""
        scale = config.scale
        self._weigher = StableWeight(scale.stable_band_kg, scale.stable_time_s, scale.min_weight_kg)

    @property
    def is_open(self) -> bool:
        return self._scale is not None

    def poll(self) -> WeightState | None:
        """Read the scale once: the weight and whether it is stable, or None when the scale gave no reading."""
        reading = self._read()
        if reading is None:
            return None
        return self._weigher.update(reading, time.monotonic())

    def _read(self) -> Reading | None:
        opening = self._scale is None
        try:
            if self._scale is None:
                self._scale = self._open_scale()
                logger.info("scale on %s", self.config.scale.port)
                if self.config.scale.zero_on_start:
                    self._zero_if_empty(self._scale)
            reading = self._scale.read()
        except ScaleError as exc:
            # Configured, so never "absent" on the wire; the warning code says whether it was found at all.
            self.health = DeviceHealth.FAULT
            reason = f"scale {self.config.scale.port}: {exc}"
            self.problem = DeviceProblem("absent", reason) if opening else DeviceProblem("fault", reason)
            if self._scale is not None:
                self._scale.close()
                self._scale = None
            return None
        if self.health is not DeviceHealth.OK:
            logger.info("scale ok")
        self.health = DeviceHealth.OK
        self.problem = None
        return reading

    def _zero_if_empty(self, scale: Scale) -> None:
        """Zero away drift, never an item: after a restart the sorter's item may still be on the plate."""
        first = scale.read()
        limit = ZERO_ON_START_LIMIT * self.config.scale.min_weight_kg
        if first.usable and first.stable and abs(first.weight_kg) <= limit:
            scale.zero()
        else:
            logger.info("not zeroing on start: %.3f kg on the plate (limit %.3f kg)", first.weight_kg, limit)

    def command(self, command: Literal["tare", "zero"]) -> None:
        """Tare or zero the open scale; the scale itself may refuse (an unsteady plate). Logs the outcome."""
        if self._scale is None:
            logger.info("%s refused: no scale", command)
            return
        try:
            done = self._scale.tare() if command == "tare" else self._scale.zero()
        except ScaleError as exc:
            logger.warning("%s failed: %s", command, exc)
            return
        logger.info("%s %s", command, "done" if done else "refused by the scale (unsteady?)")

    def close(self) -> None:
        if self._scale is not None:
            self._scale.close()
            self._scale = None
