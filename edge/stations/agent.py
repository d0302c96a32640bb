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

Other threads (the kiosk's server, tests) never read the machine's fields: the agent publishes a
:class:`StationView`, a frozen object it swaps for a new one on every change (one reference assignment, atomic),
so a reader always sees one state whole, never the suggestion of one moment with the phase of the next.

A press the station cannot record (journal full, a weight the contract refuses, any event the contract refuses)
is refused with a warning in the log and on the sorter's screen (``refused``); it never raises out of the loop.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from pydantic import ValidationError
from uuid6 import uuid7

from core import __version__
from core.contract import (
    MAX_WEIGHT_KG,
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
from core.transport.protocol import MqttLike, Will
from edge.stations.buttons import ButtonEvent, Buttons
from edge.stations.camera import Camera
from edge.stations.clock import clock_synced
from edge.stations.config import StationConfig
from edge.stations.devices import DeviceAlarms, DeviceProblem
from edge.stations.journal import Journal
from edge.stations.kiosk.snapshot import KioskSnapshot
from edge.stations.publisher import Publisher
from edge.stations.scales import Reading, Scale, ScaleError
from edge.stations.vision_link import VisionLink
from edge.stations.weighing import StableWeight, WeightState

logger = logging.getLogger(__name__)

SCALE_RETRY_S = 1.0
# Zero on start only below this many minimum weights: drift, not an item left on the plate.
ZERO_ON_START_LIMIT = 4
UNSORTED = "unsorted"
LONG = ":long"
# An item the station cannot record: why, as the sorter's screen names it.
REFUSED_JOURNAL_FULL = "journal_full"
REFUSED_TOO_LIGHT = "too_light"  # rounds to 0 g, which the contract refuses (min_weight_kg set below 0.0005 kg)
REFUSED_TOO_HEAVY = "too_heavy"
REFUSED_INVALID = "invalid_event"  # the contract refused the event the station built (e.g. a clock before 1970)
# A heartbeat or status the contract refuses is logged at most this often.
BUILD_ERROR_LOG_S = 60.0


class Phase(StrEnum):
    IDLE = "idle"
    WEIGHING = "weighing"
    READY = "ready"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class LastEvent:
    event: SortingEvent
    monotonic: float
    undone: bool = False


EMPTY = WeightState(0.0, False, False)


@dataclass(frozen=True, slots=True)
class Tile:
    id: str
    nl: str
    en: str
    pictogram: str
    key: str


@dataclass(frozen=True, slots=True)
class StationView:
    """The station as the kiosk and the heartbeat show it. Frozen: the agent replaces it, never changes it."""

    station_id: str
    site: str
    stream: str
    tiles: tuple[Tile, ...]
    confirm_key: str
    undo_key: str
    phase: Phase = Phase.IDLE
    weight: WeightState = EMPTY
    suggestion: Suggestion | None = None
    last: LastEvent | None = None
    refused: str | None = None
    """Why the press on the item now on the plate was refused (REFUSED_*); cleared when the plate empties."""
    journal_full: bool = False
    connected: bool = False
    scale: DeviceHealth = DeviceHealth.ABSENT
    camera: DeviceHealth = DeviceHealth.ABSENT
    journal_depth: int = 0
    warnings: tuple[str, ...] = ()


def kiosk_snapshot(view: StationView) -> KioskSnapshot:
    """The kiosk page's JSON, from one view only (edge/stations/kiosk/snapshot.py has the shape)."""
    suggestion = view.suggestion
    lit = suggestion.label if suggestion is not None else None
    last = view.last
    return {
        "station": {"id": view.station_id, "site": view.site, "stream": view.stream},
        "phase": view.phase.value,
        "weight_kg": round(view.weight.weight_kg, 3),
        "stable": view.weight.stable,
        "suggestion": None
        if suggestion is None
        else {
            "label": suggestion.label,
            "confidence": suggestion.confidence,
            "model_version": suggestion.model_version,
        },
        "categories": [
            {"id": t.id, "nl": t.nl, "en": t.en, "pictogram": t.pictogram, "key": t.key, "lit": t.id == lit}
            for t in view.tiles
        ],
        "confirm_key": view.confirm_key,
        "undo_key": view.undo_key,
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
        "refused": view.refused,
        "connected": view.connected,
        "scale": view.scale.value,
        "camera": view.camera.value,
        "journal_depth": view.journal_depth,
        "warnings": list(view.warnings),
    }


class StationAgent:
    def __init__(
        self,
        config: StationConfig,
        open_scale: Callable[[], Scale],
        buttons: Buttons,
        journal: Journal,
        mqtt: MqttLike,
        vision: VisionLink | None = None,
        camera: Camera | None = None,
    ) -> None:
        self.config = config
        self._ident = config.station
        self._open_scale = open_scale  # called again after the scale went away (unplugged, pty closed)
        self._scale: Scale | None = None
        self._scale_health = DeviceHealth.ABSENT
        self._scale_problem: DeviceProblem | None = None
        self._alarms = DeviceAlarms()
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
        self._view = StationView(
            station_id=self._ident.id,
            site=self._ident.site,
            stream=self._ident.stream,
            tiles=tuple(Tile(c.id, c.nl, c.en, c.pictogram, c.key) for c in config.categories),
            confirm_key=config.buttons.confirm_key,
            undo_key=config.buttons.undo_key,
        )
        self._stable_weight_kg = 0.0
        self._build_error_logged = float("-inf")
        # Press-to-committed times of the latest events, for benchmarks and the log.
        self.latencies: deque[float] = deque(maxlen=100_000)
        self._next_heartbeat = 0.0
        self._mqtt.add_connected_listener(self._on_connected)

    # -- the published state ---------------------------------------------------------------------------
    @property
    def view(self) -> StationView:
        """The latest published state: one immutable object, safe to read from any thread."""
        return self._view

    @property
    def phase(self) -> Phase:
        return self._view.phase

    @property
    def weight(self) -> WeightState:
        return self._view.weight

    @property
    def suggestion(self) -> Suggestion | None:
        return self._view.suggestion

    @property
    def last(self) -> LastEvent | None:
        return self._view.last

    @property
    def journal_full(self) -> bool:
        return self._view.journal_full

    def _set(self, **changes: object) -> None:
        """Publish a new view with these fields changed. Only the agent's thread calls this (one writer)."""
        self._view = replace(self._view, **changes)  # type: ignore[arg-type]

    def _refresh(self) -> None:
        """Bring what other threads own (connection, camera, buttons, journal depth, clock) into the view."""
        self._alarms.update("scale", self._scale_problem)
        self._alarms.update("buttons", self._buttons.problem)
        self._alarms.update("camera", self._camera.problem if self._camera is not None else None)
        fresh = {
            "connected": self._mqtt.connected.is_set(),
            "scale": self._scale_health,
            "camera": self.camera_health,
            "journal_depth": self._journal.depth(),
            "warnings": tuple(self.warnings()),
        }
        view = self._view
        if any(getattr(view, name) != value for name, value in fresh.items()):
            self._set(**fresh)

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
            self._build_refused("status", exc)
            return
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
        self._refresh()
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
            self._refresh()
            self._send_heartbeat()
        else:
            self._refresh()

    def _read_scale(self) -> Reading | None:
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
            self._scale_health = DeviceHealth.FAULT
            reason = f"scale {self.config.scale.port}: {exc}"
            self._scale_problem = DeviceProblem("absent", reason) if opening else DeviceProblem("fault", reason)
            if self._scale is not None:
                self._scale.close()
                self._scale = None
            return None
        if self._scale_health is not DeviceHealth.OK:
            logger.info("scale ok")
        self._scale_health = DeviceHealth.OK
        self._scale_problem = None
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
        if state != self._view.weight:
            self._set(weight=state)
        if self.phase is Phase.IDLE and state.loaded:
            self._set(phase=Phase.WEIGHING)
            if self._vision is not None:
                self._vision.begin()  # works while the weight settles
        elif self.phase is Phase.WEIGHING and not state.loaded:
            # Never settled: a swing of the plate or an item put down and picked up at once.
            self._to_idle()
        elif self.phase is Phase.WEIGHING and state.stable:
            self._show_suggestion()
        elif self.phase is Phase.READY and not state.loaded:
            self._taken_off_unpressed()
        elif self.phase is Phase.DONE and not state.loaded:
            self._to_idle()

    def _to_idle(self) -> None:
        self._set(phase=Phase.IDLE, suggestion=None, refused=None)
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
        self._set(phase=Phase.READY, suggestion=None)
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
        self._set(suggestion=suggestion)
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
    def _refuse(self, why: str, message: str, *args: object) -> None:
        """The item on the plate is not recorded: say so in the log and on the sorter's screen."""
        logger.warning(message, *args)
        self._set(refused=why)

    def _build_refused(self, what: str, exc: ValidationError) -> None:
        now = time.monotonic()
        if now - self._build_error_logged >= BUILD_ERROR_LOG_S:
            self._build_error_logged = now
            logger.error("the contract refuses the %s this station built (clock %s): %s", what, now_utc_ms(), exc)

    def _record(self, category: str, weight_kg: float, press: ButtonEvent | None) -> None:
        # The contract stores grams: a weight that rounds to 0 g is refused (min_weight_kg below 0.0005 kg lets
        # such an item through the weigher), and so is one over the heaviest scale in the network.
        if self.journal_full:
            self._refuse(REFUSED_JOURNAL_FULL, "journal full: item refused; free disk space or reconnect the station")
            return
        if round(weight_kg * 1000) < 1:
            self._refuse(REFUSED_TOO_LIGHT, "item of %.4f kg refused: it rounds to 0 g, too light to record", weight_kg)
            return
        if weight_kg > MAX_WEIGHT_KG:
            self._refuse(REFUSED_TOO_HEAVY, "item of %.1f kg refused: over %.0f kg", weight_kg, MAX_WEIGHT_KG)
            return
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

        try:
            self._journal.append(build)
        except ValidationError as exc:
            # Nothing was journaled (the transaction rolled back); the station goes on with the next item.
            self._build_refused("event", exc)
            self._refuse(REFUSED_INVALID, "item %s %.3f kg refused: the contract refuses it", category, weight_kg)
            return
        self._set(last=LastEvent(built[0], time.monotonic()), phase=Phase.DONE, refused=None)
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

        try:
            self._journal.append(build)
        except ValidationError as exc:
            self._build_refused("undo event", exc)
            logger.warning("undo of %s refused: the contract refuses its event", original.category)
            return
        self._set(last=replace(last, undone=True))
        self._publisher.wake()
        logger.info("undid %s %.3f kg (seq %d)", original.category, original.weight_kg, original.seq)

    # -- health ----------------------------------------------------------------------------------------
    def _check_journal_space(self) -> None:
        # What the journal holds, not its files' size: SQLite files do not shrink when rows go (docs/station.md).
        used = self._journal.used_bytes()
        full = used >= self.config.journal.max_bytes
        if full and not self.journal_full:
            logger.error(
                "journal at its limit (%d of %d bytes): the station refuses new items",
                used,
                self.config.journal.max_bytes,
            )
        elif self.journal_full and not full:
            logger.warning(
                "journal has room again (%d of %d bytes): the station takes items", used, self.config.journal.max_bytes
            )
        if full != self.journal_full:
            self._set(journal_full=full)

    @property
    def camera_health(self) -> DeviceHealth:
        return self._camera.health if self._camera is not None else DeviceHealth.ABSENT

    def warnings(self) -> list[str]:
        """Warning codes for the heartbeat and the screen; devices as DeviceAlarms saw them at the last step."""
        found = []
        if self.journal_full:
            found.append("journal_full")
        found.extend(self._alarms.codes())
        if self._vision is not None and self._vision.problems:
            found.append("vision_unavailable")
        if not clock_synced():
            found.append("clock_unsynced")
        return found

    def _send_heartbeat(self, final: bool = False) -> None:
        self._next_heartbeat = time.monotonic() + self.config.heartbeat_s
        counters = self._journal.counters()
        view = self._view
        try:
            heartbeat = Heartbeat(
                site=self._ident.site,
                station=self._ident.id,
                boot_id=self._boot_id,
                station_time=now_utc_ms(),
                uptime_s=round(time.monotonic() - self._started, 1),
                scale=view.scale,
                camera=view.camera,
                model_version=view.suggestion.model_version if view.suggestion else None,
                journal_depth=self._journal.depth(),
                oldest_unsent_age_s=self._journal.oldest_age_s(),
                clock_synced=clock_synced(),
                events_made=counters["made"],
                events_sent=counters["sent"],
                warnings=list(view.warnings),
                software_version=__version__,
            )
        except ValidationError as exc:
            # A heartbeat is replaced by the next one; a refused one is logged, never the end of the loop.
            self._build_refused("heartbeat", exc)
            return
        # QoS 0: the next heartbeat replaces a lost one. The last one before a clean exit goes QoS 1.
        self._mqtt.publish(
            topic(self._ident.site, self._ident.id, TopicKind.HEARTBEAT), heartbeat.to_json(), qos=1 if final else 0
        )

    # -- what the sorter's screen shows ------------------------------------------------------------------
    def snapshot(self) -> KioskSnapshot:
        """The kiosk page's view of the station: built from the one published view, read once."""
        return kiosk_snapshot(self._view)
