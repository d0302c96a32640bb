"""Starting a station process from its config file: the hardware it names, the journal, MQTT, the kiosk."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from config.station import StationConfig
from core.transport.mqtt import MqttClient
from edge.stations.agent import StationAgent
from edge.stations.camera import Camera
from edge.stations.clock import simulate_offset
from edge.stations.drivers import open_buttons, open_camera, open_scale
from edge.stations.journal import Journal
from edge.stations.kiosk.speech import SpokenNames
from edge.stations.lights import open_lights
from edge.stations.model_updates import ModelUpdates
from edge.stations.scales import Scale
from edge.stations.uploads import start_uploads
from edge.stations.vision_link import CameraVision
from edge.vision.capture import CaptureStore
from edge.vision.suggester import Suggester

logger = logging.getLogger(__name__)


def build_agent(config: StationConfig, capture: CaptureStore | None = None) -> StationAgent:
    # clean_session=True: the station's journal, not the broker session, is what survives. The client id is the
    # broker user name (the station id): Mosquitto makes it so (use_username_as_clientid), and NATS's auth callout
    # refuses a station whose client id is anything else (docs/broker.md).
    mqtt = MqttClient(
        config.mqtt,
        config.mqtt.username or config.station.id,
        will=StationAgent.will(config),
        max_inflight=config.journal.publish_window,
    )

    def reopen_scale() -> Scale:
        return open_scale(config.scale)

    camera = open_camera(config.camera)
    vision = build_vision(config, camera, capture)
    return StationAgent(
        config,
        reopen_scale,
        open_buttons(config.buttons),
        Journal(config.journal.path),
        mqtt,
        vision=vision,
        camera=camera,
        models=ModelUpdates.from_config(config, mqtt, vision),
        lights=vision.lights if vision is not None else None,
    )


def build_vision(config: StationConfig, camera: Camera | None, capture: CaptureStore | None) -> CameraVision | None:
    """Vision needs a camera; its models load here (about a second), once."""
    if camera is None or not config.vision.enabled:
        return None
    ident = config.station
    suggester = Suggester(config.vision, [c.id for c in config.categories])
    return CameraVision(
        suggester,
        camera,
        ident.stream,
        ident.site,
        ident.id,
        frame_delay_s=config.camera.frame_delay_s,
        max_frame_age_s=config.camera.max_age_s,
        capture=capture,
        lights=open_lights(config.vision.lights),
    )


def run_station(config: StationConfig) -> None:
    simulate_offset(config.simulated_clock_offset_s)
    # Also without a camera: what an earlier run captured is still uploaded and kept within retention.
    capture = CaptureStore(config.vision.capture) if config.vision.capture.enabled else None
    agent = build_agent(config, capture)
    uploads = start_uploads(capture, config.hub, config.station)  # None: no consent, no hub or no token
    kiosk = None
    speech = SpokenNames(config.kiosk.speech, lambda: agent.view)
    speech.start()
    if config.kiosk.enabled:
        from edge.stations.kiosk.server import KioskServer
        from edge.stations.kiosk.translations import KioskLanguages

        languages = KioskLanguages(config.kiosk.languages_folder, config.kiosk.languages, config.kiosk_language_file())
        kiosk = KioskServer(
            agent.screen_state,
            config.kiosk.host,
            config.kiosk.port,
            languages=languages,
            time_zone=config.kiosk.time_zone,
        )
        try:
            kiosk.start()
        except (OSError, RuntimeError) as exc:
            # The screen is a help, not a requirement: weighing and buttons go on without it.
            logger.error("sorter's screen could not start on port %d: %s", config.kiosk.port, exc)
            kiosk = None
        else:
            logger.info("sorter's screen on http://%s:%d/", config.kiosk.host, config.kiosk.port)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %s: stopping", signal.Signals(signum).name)
        agent.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        agent.run()
    finally:
        if uploads is not None:
            uploads.stop()
        speech.stop()
        if kiosk is not None:
            kiosk.stop()
