"""The station agent: ties the scale, the buttons, the sorting state machine, the journal, the publisher and the
station's health together, and runs them on one thread.

- :mod:`edge.stations.scale_supervisor`: reads the scale, the stable weight, scale health;
- :mod:`edge.stations.sorting`: the state machine (phases, presses, sorting and undo events into the journal);
- :mod:`edge.stations.health`: status, heartbeat, warning codes, journal space;
- :mod:`edge.stations.agent_view`: the frozen view of the agent that other threads read;
- :mod:`edge.stations.kiosk.screen_state`: what the sorter's screen shows, built from that view.

The thread waits on the button queue between scale polls, so a press is handled as soon as it arrives, not at the
next poll. Other threads (the kiosk's server, tests) read only the published :class:`AgentView`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable

from config.station import StationConfig
from core.contract import StationState, Suggestion, TopicKind, topic
from core.transport.protocol import MqttLike, Will
from edge.stations.agent_view import AgentView, LastEvent, Phase, PublishedView
from edge.stations.buttons import Buttons
from edge.stations.camera import Camera
from edge.stations.health import StationHealth, last_will
from edge.stations.journal import Journal
from edge.stations.kiosk.screen_state import ScreenState, screen_state_of
from edge.stations.lights import Lights
from edge.stations.model_updates import ModelUpdates
from edge.stations.parts import StationParts
from edge.stations.publisher import Publisher
from edge.stations.remote_config import RemoteConfigLink
from edge.stations.scale_supervisor import SCALE_RETRY_S, ScaleSupervisor
from edge.stations.scales import Scale
from edge.stations.sorting import SortingMachine
from edge.stations.vision_link import VisionLink
from edge.stations.weighing import WeightState

logger = logging.getLogger(__name__)

# How long a stopping station waits for the broker to acknowledge its goodbye (status stopped).
GOODBYE_ACK_S = 3.0


class StationAgent:
    """One station process's agent. Its parts are built here from ``config``, once, and keep that config."""

    def __init__(
        self,
        config: StationConfig,
        open_scale: Callable[[], Scale],
        buttons: Buttons,
        journal: Journal,
        mqtt: MqttLike,
        vision: VisionLink | None = None,
        camera: Camera | None = None,
        models: ModelUpdates | None = None,
        lights: Lights | None = None,
    ) -> None:
        # The last remote config the station applied, kept on disk: read before anything is built or connected.
        self.remote = RemoteConfigLink(config)
        config = self.remote.current
        self.config = config
        self._ident = config.station
        self._buttons = buttons
        self._journal = journal
        self._mqtt = mqtt
        self._vision = vision
        self._camera = camera
        self._models = models
        self.publisher = Publisher(
            journal, mqtt, topic(self._ident.site, self._ident.id, TopicKind.EVENT), config.journal.publish_window
        )
        self._boot_id = uuid.uuid4()
        self._stop = threading.Event()
        self._view = PublishedView(AgentView.at_start(config))
        self.scale = ScaleSupervisor(config, open_scale)
        parts = StationParts(
            config, self._view, self._boot_id, self.scale, buttons, journal, vision, camera, models, lights
        )
        self.health = StationHealth(parts, mqtt)
        self.sorting = SortingMachine(parts, self.publisher, self.health.contract_refused)
        self.health.reporters.append(self.remote)
        self.remote.attach(mqtt)
        if vision is not None and self.remote.applied is not None:
            vision.reconfigure(config.vision, [c.id for c in config.categories])  # built from the file's config
        self._mqtt.add_connected_listener(self._on_connected)

    # -- the published state ---------------------------------------------------------------------------
    @property
    def view(self) -> AgentView:
        """The latest published state: one immutable object, safe to read from any thread."""
        return self._view.current

    @property
    def phase(self) -> Phase:
        return self._view.current.phase

    @property
    def weight(self) -> WeightState:
        return self._view.current.weight

    @property
    def suggestion(self) -> Suggestion | None:
        return self._view.current.suggestion

    @property
    def last(self) -> LastEvent | None:
        return self._view.current.last

    @property
    def journal_full(self) -> bool:
        return self._view.current.journal_full

    def warnings(self) -> list[str]:
        """Warning codes for the heartbeat and the screen, as the last loop step saw the devices."""
        return self.health.warnings()

    def screen_state(self) -> ScreenState:
        """What the sorter's screen shows: built from the one published view, read once."""
        return screen_state_of(self._view.current)

    # -- wiring ----------------------------------------------------------------------------------------
    @staticmethod
    def will(config: StationConfig) -> Will:
        """Last will: the broker marks the station offline when it vanishes without a goodbye."""
        return last_will(config)

    def _on_connected(self) -> None:
        self.health.publish_status(StationState.ONLINE)
        self.publisher.wake()

    # -- lifecycle -------------------------------------------------------------------------------------
    def run(self) -> None:
        """Run until stop(); then say goodbye (status ``stopped``) and close."""
        self._mqtt.start()
        self.publisher.start()
        if self._models is not None:
            self._models.start()  # the last applied model first, then the hub's retained manifest
        self.health.check_journal_space()
        self.health.refresh()
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
        self.publisher.stop(drain_s=2.0)
        self.health.send_heartbeat(final=True)
        if self._mqtt.connected.is_set():  # offline, the retained last will already says offline
            self.health.say_goodbye(GOODBYE_ACK_S)
        self._mqtt.stop()
        counters = self._journal.counters()
        logger.info(
            "station %s stopped: %d events made, %d sent (acknowledged by the broker), %d waiting",
            self._ident.id,
            counters["made"],
            counters["sent"],
            self._journal.depth(),
        )
        self.scale.close()
        if self._models is not None:
            self._models.stop()
        if self._vision is not None:
            self._vision.close()
        if self._camera is not None:
            self._camera.close()
        self._buttons.close()
        self._journal.close()

    def _reconfigure(self, config: StationConfig) -> None:
        """A remote config, between items (phase idle): the next item uses its categories and thresholds."""
        if self._vision is not None:  # first: the one part that can fail (a capture folder), before any change
            self._vision.reconfigure(config.vision, [c.id for c in config.categories])
        self.config = config
        self.sorting.reconfigure(config)
        self._view.change(tiles=AgentView.at_start(config).tiles)

    # -- the loop --------------------------------------------------------------------------------------
    def _step(self) -> None:
        if self.remote.step(self.sorting.phase is Phase.IDLE, self._reconfigure):
            self.health.refresh()
            self.health.send_heartbeat()  # the hub hears at once what was applied or refused
        weight = self.scale.poll()
        if weight is not None:
            self.sorting.on_weight(weight)
        self.sorting.check_suggestion()
        wait = self.config.scale.poll_interval_s if weight is not None else SCALE_RETRY_S
        deadline = time.monotonic() + wait
        while (remaining := deadline - time.monotonic()) > 0 and not self._stop.is_set():
            try:
                press = self._buttons.events.get(timeout=remaining)
            except queue.Empty:
                break
            self.sorting.on_press(press)
        if self.health.heartbeat_due():
            self.health.check_journal_space()
            self.health.refresh()
            self.health.send_heartbeat()
        else:
            self.health.refresh()
