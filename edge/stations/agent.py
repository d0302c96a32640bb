"""The station agent: scale + buttons -> state machine -> journal -> publisher, plus status and heartbeat.

States (docs/station.md has the diagram)::

    IDLE --weight above minimum--> WEIGHING --stable--> READY (suggestion lit)
    READY --category or confirm key--> DONE (event journaled) --plate empty--> IDLE
    WEIGHING --plate empty before stable--> IDLE;  READY --plate empty without a press--> IDLE
        (nothing recorded, or an 'unsorted' event when ``unpressed = "unsorted"``)
    any state --undo key--> an undo event for the last event, within the undo window
    confirm held long: tare;  undo held long: zero (both only with an empty or steady plate)

One thread runs the machine. It waits on the button queue between scale polls, so a press is handled as
soon as it arrives, not at the next poll.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from uuid6 import uuid7

from edge.stations.buttons import ButtonEvent, Buttons
from edge.stations.camera import Camera
from edge.stations.clock import clock_synced
from edge.stations.config import StationConfig
from edge.stations.journal import Journal
from edge.stations.publisher import Publisher
from edge.stations.scales import Reading, Scale, ScaleError
from edge.stations.vision_link import VisionLink
from edge.stations.weighing import StableWeight, WeightState
from sortcentre import __version__
from sortcentre.mqtt import MqttClient, Will
from sortcentre.wire import (
    DeviceHealth,
    EventType,
    Heartbeat,
    SortingEvent,
    StationState,
    StationStatus,
    Suggestion,
    TopicKind,
    now_utc_ms,
    topic,
)

logger = logging.getLogger(__name__)

SCALE_RETRY_S = 1.0
# Zero on start only below this many minimum weights: drift, not an item left on the plate.
ZERO_ON_START_LIMIT = 4
UNSORTED = "unsorted"
LONG = ":long"


class Phase(StrEnum):
    IDLE = "idle"
    WEIGHING = "weighing"
    READY = "ready"
    DONE = "done"


@dataclass
class LastEvent:
    event: SortingEvent
    monotonic: float
    undone: bool = False


class StationAgent:
    def __init__(
        self,
        config: StationConfig,
        open_scale: Callable[[], Scale],
        buttons: Buttons,
        journal: Journal,
        mqtt: MqttClient,
        vision: VisionLink | None = None,
        camera: Camera | None = None,
    ) -> None:
        self.config = config
        self._ident = config.station
        self._open_scale = open_scale  # called again after the scale went away (unplugged, pty closed)
        self._scale: Scale | None = None
        self._scale_health = DeviceHealth.ABSENT
        self._buttons = buttons
        self._journal = journal
        self._mqtt = mqtt
        self._vision = vision
        self._awaiting_suggestion = False
        self._camera = camera
        self._publisher = Publisher(
            journal, mqtt, topic(self._ident.site, self._ident.id, TopicKind.EVENT), config.journal.publish_window
        )
        scale = config.scale
        self._weigher = StableWeight(scale.stable_band_kg, scale.stable_time_s, scale.min_weight_kg)
        self._boot_id = uuid.uuid4()
        self._started = time.monotonic()
        self._stop = threading.Event()
        self.phase = Phase.IDLE
        self.weight = WeightState(0.0, False, False)
        self.suggestion: Suggestion | None = None
        self._stable_weight_kg = 0.0
        self.last: LastEvent | None = None
        self.journal_full = False
        # Press-to-committed times of the latest events, for benchmarks and the log.
        self.latencies: deque[float] = deque(maxlen=100_000)
        self._next_heartbeat = 0.0
        self._mqtt.on_connected = self._on_connected

    # -- wiring ----------------------------------------------------------------------------------------
    @staticmethod
    def will(config: StationConfig) -> Will:
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

    def _publish_status(self, state: StationState) -> None:
        status = StationStatus(
            site=self._ident.site, station=self._ident.id, state=state, since=now_utc_ms(), software_version=__version__
        )
        self._mqtt.publish(topic(self._ident.site, self._ident.id, TopicKind.STATUS), status.to_json(), 1, True)

    def _on_connected(self) -> None:
        self._publish_status(StationState.ONLINE)
        self._publisher.wake()

    # -- lifecycle -------------------------------------------------------------------------------------
    def run(self) -> None:
        """Run until stop(); then say goodbye (status ``stopped``) and close."""
        self._mqtt.start()
        self._publisher.start()
        self._check_journal_space()
        logger.info("station %s/%s started (boot %s)", self._ident.site, self._ident.id, self._boot_id)
        try:
            while not self._stop.is_set():
                self._step()
        finally:
            self._shutdown()

    def stop(self) -> None:
        self._stop.set()

    def _shutdown(self) -> None:
        self._buttons.all_off()
        self._publisher.stop(drain_s=2.0)
        self._send_heartbeat(final=True)
        self._publish_status(StationState.STOPPED)
        time.sleep(0.2)  # let paho flush the goodbye before the socket closes
        self._mqtt.stop()
        counters = self._journal.counters()
        logger.info(
            "station %s stopped: %d events made, %d sent (acknowledged by the broker), %d waiting",
            self._ident.id,
            counters["made"],
            counters["sent"],
            self._journal.depth(),
        )
        if self._scale is not None:
            self._scale.close()
        if self._vision is not None:
            self._vision.close()
        if self._camera is not None:
            self._camera.close()
        self._buttons.close()
        self._journal.close()

    # -- the loop --------------------------------------------------------------------------------------
    def _step(self) -> None:
        reading = self._read_scale()
        if reading is not None:
            self._on_weight(self._weigher.update(reading, time.monotonic()))
        self._check_suggestion()
        wait = self.config.scale.poll_interval_s if reading is not None else SCALE_RETRY_S
        deadline = time.monotonic() + wait
        while (remaining := deadline - time.monotonic()) > 0 and not self._stop.is_set():
            try:
                press = self._buttons.events.get(timeout=remaining)
            except queue.Empty:
                break
            self._on_press(press)
        if time.monotonic() >= self._next_heartbeat:
            self._check_journal_space()
            self._send_heartbeat()

    def _read_scale(self) -> Reading | None:
        try:
            if self._scale is None:
                self._scale = self._open_scale()
                logger.info("scale on %s", self.config.scale.port)
                if self.config.scale.zero_on_start:
                    self._zero_if_empty(self._scale)
            reading = self._scale.read()
        except ScaleError as exc:
            if self._scale_health is not DeviceHealth.FAULT:
                logger.warning("scale fault: %s", exc)
            self._scale_health = DeviceHealth.FAULT
            if self._scale is not None:
                self._scale.close()
                self._scale = None
            return None
        if self._scale_health is not DeviceHealth.OK:
            logger.info("scale ok")
        self._scale_health = DeviceHealth.OK
        return reading

    def _zero_if_empty(self, scale: Scale) -> None:
        """Zero away drift, never an item: after a restart the sorter's item may still be on the plate."""
        first = scale.read()
        limit = ZERO_ON_START_LIMIT * self.config.scale.min_weight_kg
        if first.usable and first.stable and abs(first.weight_kg) <= limit:
            scale.zero()
        else:
            logger.info("not zeroing on start: %.3f kg on the plate (limit %.3f kg)", first.weight_kg, limit)

    def _on_weight(self, state: WeightState) -> None:
        self.weight = state
        if self.phase is Phase.IDLE and state.loaded:
            self.phase = Phase.WEIGHING
            if self._vision is not None:
                self._vision.begin()  # works while the weight settles
        elif self.phase is Phase.WEIGHING and not state.loaded:
            # Never settled: a swing of the plate or an item put down and picked up at once.
            self._to_idle()
        elif self.phase is Phase.WEIGHING and state.stable:
            self.phase = Phase.READY
            self._show_suggestion()
        elif self.phase is Phase.READY and not state.loaded:
            self._taken_off_unpressed()
        elif self.phase is Phase.DONE and not state.loaded:
            self._to_idle()

    def _to_idle(self) -> None:
        self.phase = Phase.IDLE
        self.suggestion = None
        self._awaiting_suggestion = False
        if self._vision is not None:
            self._vision.cancel()
        self._buttons.all_off()

    def _taken_off_unpressed(self) -> None:
        if self.config.unpressed == "unsorted" and self._stable_weight_kg > 0:
            logger.info("item taken off without a press: recorded as %s", UNSORTED)
            self._record(UNSORTED, self._stable_weight_kg, None)
        else:
            logger.info("item taken off without a press; nothing recorded")
        self._to_idle()

    def _show_suggestion(self) -> None:
        """Remember the stable weight and light the suggested category (no suggester: the sorter chooses)."""
        self._stable_weight_kg = round(self.weight.weight_kg, 3)
        self.suggestion = None
        self._awaiting_suggestion = self._vision is not None
        self._check_suggestion()

    def _check_suggestion(self) -> None:
        """Light the suggestion once vision has one; called at READY and on every loop step until then."""
        if not self._awaiting_suggestion or self._vision is None or self.phase is not Phase.READY:
            return
        done, suggestion = self._vision.poll()
        if not done:
            return
        self._awaiting_suggestion = False
        if suggestion is None:
            return
        category = next((c for c in self.config.categories if c.id == suggestion.label), None)
        if category is None:
            logger.warning("suggestion %s is not a category of this station; not shown", suggestion.label)
            return
        self.suggestion = suggestion
        self._buttons.set_led(category.key, True)

    def _on_press(self, press: ButtonEvent) -> None:
        keys = self.config.buttons
        if press.key == keys.undo_key:
            self._undo()
        elif press.key == keys.confirm_key + LONG:
            self._scale_command("tare")
        elif press.key == keys.undo_key + LONG:
            self._scale_command("zero")
        elif self.phase is not Phase.READY:
            logger.info("key %s pressed while %s: ignored", press.key, self.phase.value)
        elif self.journal_full:
            logger.warning("journal full: item refused; free disk space or reconnect the station")
        elif press.key == keys.confirm_key:
            if self.suggestion is None:
                logger.info("confirm pressed with no suggestion: choose a category key")
                return
            self._record(self.suggestion.label, self._stable_weight_kg, press)
        else:
            found = self.config.category_for_key(press.key.removesuffix(LONG))
            if found is None:
                logger.info("key %s is not a category here: ignored", press.key)
                return
            self._record(found.id, self._stable_weight_kg, press)

    def _scale_command(self, command: str) -> None:
        if self._scale is None or self.phase in (Phase.READY, Phase.DONE):
            logger.info("%s refused: no scale, or an item is being sorted", command)
            return
        try:
            done = self._scale.tare() if command == "tare" else self._scale.zero()
        except ScaleError as exc:
            logger.warning("%s failed: %s", command, exc)
            return
        logger.info("%s %s", command, "done" if done else "refused by the scale (unsteady?)")

    # -- events ----------------------------------------------------------------------------------------
    def _record(self, category: str, weight_kg: float, press: ButtonEvent | None) -> None:
        suggestion = self.suggestion
        accepted = None if suggestion is None else suggestion.label == category
        built: list[SortingEvent] = []

        def build(seq: int) -> tuple[str, bytes]:
            event = SortingEvent(
                type=EventType.SORTED,
                event_id=uuid7(),
                site=self._ident.site,
                station=self._ident.id,
                stream=self._ident.stream,
                category=category,
                weight_kg=weight_kg,
                suggestion=suggestion,
                accepted=accepted,
                seq=seq,
                boot_id=self._boot_id,
                station_time=now_utc_ms(),
                undoes=None,
            )
            built.append(event)
            return str(event.event_id), event.to_json()

        self._journal.append(build)
        self.last = LastEvent(built[0], time.monotonic())
        self.phase = Phase.DONE
        self._awaiting_suggestion = False
        if self._vision is not None:
            self._vision.learn(category, suggestion, accepted)
        self._buttons.all_off()
        self._publisher.wake()
        after = ""
        if press is not None:
            self.latencies.append(time.monotonic() - press.at)
            after = f", {self.latencies[-1] * 1000:.1f} ms after the press"
        logger.info("sorted %s %.3f kg (seq %d%s)", category, weight_kg, built[0].seq, after)

    def _undo(self) -> None:
        last = self.last
        if last is None or last.undone or time.monotonic() - last.monotonic > self.config.undo_window_s:
            logger.info("undo pressed with nothing to take back")
            return
        original = last.event

        def build(seq: int) -> tuple[str, bytes]:
            event = SortingEvent.model_validate(
                original.model_dump()
                | {
                    "type": EventType.UNDO,
                    "event_id": uuid7(),
                    "seq": seq,
                    "boot_id": self._boot_id,
                    "station_time": now_utc_ms(),
                    "undoes": original.event_id,
                }
            )
            return str(event.event_id), event.to_json()

        self._journal.append(build)
        last.undone = True
        self._publisher.wake()
        logger.info("undid %s %.3f kg (seq %d)", original.category, original.weight_kg, original.seq)

    # -- health ----------------------------------------------------------------------------------------
    def _check_journal_space(self) -> None:
        full = self._journal.size_bytes() >= self.config.journal.max_bytes
        if full and not self.journal_full:
            logger.error(
                "journal at its limit (%d bytes): the station refuses new items", self.config.journal.max_bytes
            )
        elif self.journal_full and not full:
            logger.info("journal has room again")
        self.journal_full = full

    @property
    def camera_health(self) -> DeviceHealth:
        return self._camera.health if self._camera is not None else DeviceHealth.ABSENT

    def warnings(self) -> list[str]:
        found = []
        if self.journal_full:
            found.append("journal_full")
        if self._scale_health is DeviceHealth.FAULT:
            found.append("scale_fault")
        if self.camera_health is DeviceHealth.FAULT:
            found.append("camera_fault")
        if not self._buttons.healthy:
            found.append("buttons_fault")
        if self._vision is not None and self._vision.problems:
            found.append("vision_unavailable")
        if not clock_synced():
            found.append("clock_unsynced")
        return found

    def _send_heartbeat(self, final: bool = False) -> None:
        self._next_heartbeat = time.monotonic() + self.config.heartbeat_s
        counters = self._journal.counters()
        heartbeat = Heartbeat(
            site=self._ident.site,
            station=self._ident.id,
            boot_id=self._boot_id,
            station_time=now_utc_ms(),
            uptime_s=round(time.monotonic() - self._started, 1),
            scale=self._scale_health,
            camera=self.camera_health,
            model_version=self.suggestion.model_version if self.suggestion else None,
            journal_depth=self._journal.depth(),
            oldest_unsent_age_s=self._journal.oldest_age_s(),
            clock_synced=clock_synced(),
            events_made=counters["made"],
            events_sent=counters["sent"],
            warnings=self.warnings(),
            software_version=__version__,
        )
        # QoS 0: the next heartbeat replaces a lost one. The last one before a clean exit goes QoS 1.
        self._mqtt.publish(
            topic(self._ident.site, self._ident.id, TopicKind.HEARTBEAT), heartbeat.to_json(), qos=1 if final else 0
        )

    # -- what the sorter's screen shows ------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The kiosk page's view of the station (edge/stations/kiosk/snapshot.py has the shape)."""
        lit = self.suggestion.label if self.suggestion else None
        last = self.last
        return {
            "station": {"id": self._ident.id, "site": self._ident.site, "stream": self._ident.stream},
            "phase": self.phase.value,
            "weight_kg": round(self.weight.weight_kg, 3),
            "stable": self.weight.stable,
            "suggestion": self.suggestion.model_dump(mode="json") if self.suggestion else None,
            "categories": [c.model_dump() | {"lit": c.id == lit} for c in self.config.categories],
            "confirm_key": self.config.buttons.confirm_key,
            "undo_key": self.config.buttons.undo_key,
            "last_event": None
            if last is None
            else {
                "type": last.event.type.value,
                "category": last.event.category,
                "weight_kg": last.event.weight_kg,
                "seq": last.event.seq,
                "station_time": last.event.model_dump(mode="json")["station_time"],
                "undone": last.undone,
            },
            "connected": self._mqtt.connected.is_set(),
            "scale": self._scale_health.value,
            "camera": self.camera_health.value,
            "journal_depth": self._journal.depth(),
            "warnings": self.warnings(),
        }
