"""What the station says about itself: its status (online, stopped, the last will offline), its heartbeat, the
warning codes both the heartbeat and the sorter's screen carry, and whether its journal has room for new items.

A status or heartbeat the contract refuses (a clock before 1970, say) is logged, at most once a minute, and never
raised: the status is also published on the MQTT thread, and the heartbeat from the agent's loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Protocol

from pydantic import ValidationError

from config.station import StationConfig
from core import __version__
from core.contract import DeviceHealth, Heartbeat, StationState, StationStatus, TopicKind, topic
from core.transport.protocol import MqttLike, Will
from edge.stations.clock import clock_synced, now_utc_ms
from edge.stations.devices import DeviceAlarms
from edge.stations.parts import StationParts

logger = logging.getLogger(__name__)

# A heartbeat or status the contract refuses is logged at most this often.
BUILD_ERROR_LOG_S = 60.0
# The broker's acknowledgements remembered for a goodbye to find its own (it may come before publish() returns).
ACKS_KEPT = 256


def last_will(config: StationConfig) -> Will:
    """Last will: the broker marks the station offline when it vanishes without a goodbye."""
    ident = config.station
    status = StationStatus(
        site=ident.site,
        station=ident.id,
        state=StationState.OFFLINE,
        since=now_utc_ms(),
        software_version=__version__,
    )
    return Will(topic(ident.site, ident.id, TopicKind.STATUS), status.to_json())


class HealthReporter(Protocol):
    """A part of the station with something to say in every heartbeat (remote config: its version or refusal)."""

    def heartbeat_fields(self) -> dict[str, Any]:
        """Heartbeat fields, by name (``config_version``, ...)."""
        ...

    def warnings(self) -> list[str]:
        """Warning codes for the heartbeat and the sorter's screen."""
        ...


class StationHealth:
    """Brings the devices', the connection's and the journal's state into the published view, and reports it."""

    def __init__(self, parts: StationParts, mqtt: MqttLike) -> None:
        self._parts = parts
        self.config = parts.config
        self._ident = parts.config.station
        self._mqtt = mqtt
        self._alarms = DeviceAlarms()
        self._started = time.monotonic()
        self._next_heartbeat = 0.0
        self._build_error_logged = float("-inf")
        self.reporters: list[HealthReporter] = []
        self._acks: deque[int] = deque(maxlen=ACKS_KEPT)
        self._acked = threading.Condition()
        mqtt.add_published_listener(self._on_published)

    # -- into the view ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Bring what other threads own (connection, camera, buttons, journal depth, clock) into the view."""
        self._alarms.update("scale", self._parts.scale.problem)
        self._alarms.update("buttons", self._parts.buttons.problem)
        self._alarms.update("camera", self._parts.camera.problem if self._parts.camera is not None else None)
        self._alarms.update("lights", self._parts.lights.problem if self._parts.lights is not None else None)
        fresh = {
            "connected": self._mqtt.connected.is_set(),
            "scale": self._parts.scale.health,
            "camera": self.camera_health,
            "journal_depth": self._parts.journal.depth(),
            "warnings": tuple(self.warnings()),
        }
        view = self._parts.view.current
        if any(getattr(view, name) != value for name, value in fresh.items()):
            self._parts.view.change(**fresh)

    def check_journal_space(self) -> None:
        # What the journal holds, not its files' size: SQLite files do not shrink when rows go (docs/station.md).
        used = self._parts.journal.used_bytes()
        full = used >= self.config.journal.max_bytes
        journal_full = self._parts.view.current.journal_full
        if full and not journal_full:
            logger.error(
                "journal at its limit (%d of %d bytes): the station refuses new items",
                used,
                self.config.journal.max_bytes,
            )
        elif journal_full and not full:
            logger.warning(
                "journal has room again (%d of %d bytes): the station takes items", used, self.config.journal.max_bytes
            )
        if full != journal_full:
            self._parts.view.change(journal_full=full)

    @property
    def camera_health(self) -> DeviceHealth:
        return self._parts.camera.health if self._parts.camera is not None else DeviceHealth.ABSENT

    def warnings(self) -> list[str]:
        """Warning codes for the heartbeat and the screen; devices as DeviceAlarms saw them at the last step."""
        found = []
        if self._parts.view.current.journal_full:
            found.append("journal_full")
        found.extend(self._alarms.codes())
        if self._parts.vision is not None and self._parts.vision.problems:
            found.append("vision_unavailable")
        for reporter in self.reporters:
            found.extend(reporter.warnings())
        return found

    # -- out to the hub --------------------------------------------------------------------------------
    def contract_refused(self, what: str, exc: ValidationError) -> None:
        """Log that the contract refuses a payload this station built, at most once a minute for all kinds."""
        now = time.monotonic()
        if now - self._build_error_logged >= BUILD_ERROR_LOG_S:
            self._build_error_logged = now
            logger.error("the contract refuses the %s this station built (clock %s): %s", what, now_utc_ms(), exc)

    def _on_published(self, mid: int) -> None:
        with self._acked:
            self._acks.append(mid)
            self._acked.notify_all()

    def say_goodbye(self, timeout_s: float) -> bool:
        """Publish the status ``stopped`` and wait until the broker acknowledged it, ``timeout_s`` at most: the
        connection must not close before the broker holds it, or the supervisor sees a power cut (the last will)
        where the station was stopped. False, with a warning, when no acknowledgement came."""
        mid = self.publish_status(StationState.STOPPED)
        if mid is None:
            logger.warning("the goodbye (status stopped) could not be handed to the MQTT client")
            return False
        with self._acked:
            acknowledged = self._acked.wait_for(lambda: mid in self._acks, timeout_s)
        if not acknowledged:
            connection = "connected" if self._mqtt.connected.is_set() else "not connected"
            logger.warning(
                "the broker did not acknowledge the goodbye (status stopped) within %.1f s (%s): the hub may show "
                "this station offline instead of stopped",
                timeout_s,
                connection,
            )
        return acknowledged

    def publish_status(self, state: StationState) -> int | None:
        """Publish the station's status (retained, QoS 1); the message id, None when not handed over."""
        try:
            status = StationStatus(
                site=self._ident.site,
                station=self._ident.id,
                state=state,
                since=now_utc_ms(),
                software_version=__version__,
            )
        except ValidationError as exc:
            # Runs on the MQTT thread (on_connected) too: a status the contract refuses must not end it.
            self.contract_refused("status", exc)
            return None
        return self._mqtt.publish(topic(self._ident.site, self._ident.id, TopicKind.STATUS), status.to_json(), 1, True)

    def _model_version(self) -> str | None:
        """The model the hub rolled out, once one is applied; else the version behind the last suggestion."""
        models = self._parts.models
        if models is not None and models.current_version is not None:
            return models.current_version
        suggestion = self._parts.view.current.suggestion
        return suggestion.model_version if suggestion else None

    def heartbeat_due(self) -> bool:
        return time.monotonic() >= self._next_heartbeat

    def send_heartbeat(self, final: bool = False) -> None:
        self._next_heartbeat = time.monotonic() + self.config.heartbeat_s
        counters = self._parts.journal.counters()
        view = self._parts.view.current
        extra: dict[str, Any] = {}
        for reporter in self.reporters:
            extra.update(reporter.heartbeat_fields())
        try:
            heartbeat = Heartbeat(
                site=self._ident.site,
                station=self._ident.id,
                boot_id=self._parts.boot_id,
                station_time=now_utc_ms(),
                uptime_s=round(time.monotonic() - self._started, 1),
                scale=view.scale,
                camera=view.camera,
                model_version=self._model_version(),
                journal_depth=self._parts.journal.depth(),
                oldest_unsent_age_s=self._parts.journal.oldest_age_s(),
                clock_synced=clock_synced(),
                events_made=counters["made"],
                events_sent=counters["sent"],
                warnings=list(view.warnings),
                software_version=__version__,
                **extra,
                model_error=self._parts.models.error if self._parts.models is not None else None,
            )
        except ValidationError as exc:
            # A heartbeat is replaced by the next one; a refused one is logged, never the end of the loop.
            self.contract_refused("heartbeat", exc)
            return
        # QoS 0: the next heartbeat replaces a lost one. The last one before a clean exit goes QoS 1.
        self._mqtt.publish(
            topic(self._ident.site, self._ident.id, TopicKind.HEARTBEAT), heartbeat.to_json(), qos=1 if final else 0
        )
