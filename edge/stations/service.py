"""Starting a station process from its config file: the hardware it names, the journal, MQTT, the kiosk."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Any

from config.station import StationConfig
from core.transport.mqtt import MqttClient
from edge.stations.agent import StationAgent
from edge.stations.buttons import Buttons
from edge.stations.buttons.factory import open_buttons
from edge.stations.camera import Camera
from edge.stations.journal import Journal
from edge.stations.scales import Scale
from edge.stations.scales.registry import open_scale
from edge.stations.vision_link import CameraVision
from edge.vision.capture import CaptureStore
from edge.vision.suggester import Suggester

logger = logging.getLogger(__name__)


def build_buttons(config: StationConfig) -> Buttons:
    b = config.buttons
    # Only confirm and undo have a long-press meaning (tare, zero); every other key fires at press time.
    common: dict[str, Any] = {
        "debounce_s": b.debounce_s,
        "long_press_s": b.long_press_s,
        "long_press_keys": frozenset({b.confirm_key, b.undo_key}),
    }
    if b.driver == "serial-board":
        return open_buttons(b.driver, port=b.port, baudrate=b.baudrate, **common)
    if b.driver == "gpio":
        return open_buttons(b.driver, buttons=b.pins, leds=b.led_pins or None, **common)
    return open_buttons(b.driver, keymap=b.keymap or None, **common)


def build_agent(config: StationConfig) -> StationAgent:
    # clean_session=True: the station's journal, not the broker session, is what survives.
    mqtt = MqttClient(
        config.mqtt,
        f"station-{config.station.id}",
        will=StationAgent.will(config),
        max_inflight=config.journal.publish_window,
    )
    scale = config.scale
    options: dict[str, Any] = {}
    if scale.driver == "dini-argeo" or (scale.driver == "auto" and scale.address is not None):
        options["address"] = scale.address
    if scale.driver == "and":
        options["continuous"] = scale.continuous

    def reopen_scale() -> Scale:
        return open_scale(scale.driver, scale.port, scale.baudrate, **options)

    camera = Camera(config.camera.source, crop=config.camera.crop) if config.camera.source else None
    vision = build_vision(config, camera)
    return StationAgent(
        config, reopen_scale, build_buttons(config), Journal(config.journal.path), mqtt, vision=vision, camera=camera
    )


def build_vision(config: StationConfig, camera: Camera | None) -> CameraVision | None:
    """Vision needs a camera; its models load here (about a second), once."""
    if camera is None or not config.vision.enabled:
        return None
    ident = config.station
    suggester = Suggester(config.vision, [c.id for c in config.categories])
    capture = CaptureStore(config.vision.capture) if config.vision.capture.enabled else None
    return CameraVision(
        suggester,
        camera,
        ident.stream,
        ident.site,
        ident.id,
        frame_delay_s=config.camera.frame_delay_s,
        max_frame_age_s=config.camera.max_age_s,
        capture=capture,
    )


def run_station(config: StationConfig) -> None:
    agent = build_agent(config)
    kiosk = None
    if config.kiosk.enabled:
        from edge.stations.kiosk.server import KioskServer

        kiosk = KioskServer(agent.snapshot, config.kiosk.host, config.kiosk.port)
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
        if kiosk is not None:
            kiosk.stop()
