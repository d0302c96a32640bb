"""Starting a station process from its config file."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from edge.stations.agent import StationAgent
from edge.stations.buttons.serial_board import SerialButtonBoard
from edge.stations.config import StationConfig
from edge.stations.journal import Journal
from edge.stations.scales import Scale
from edge.stations.scales.mt_sics import MtSicsScale
from sortcentre.mqtt import MqttClient

logger = logging.getLogger(__name__)


def build_agent(config: StationConfig) -> StationAgent:
    # clean_session=True: the station's journal, not the broker session, is what survives.
    mqtt = MqttClient(
        config.mqtt,
        f"station-{config.station.id}",
        will=StationAgent.will(config),
        max_inflight=config.journal.publish_window,
    )
    buttons = SerialButtonBoard(config.buttons.port, config.buttons.baudrate, config.buttons.debounce_s)
    scale = config.scale

    def open_scale() -> Scale:
        return MtSicsScale(scale.port, scale.baudrate)

    return StationAgent(config, open_scale, buttons, Journal(config.journal.path), mqtt)


def run_station(config: StationConfig) -> None:
    agent = build_agent(config)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %s: stopping", signal.Signals(signum).name)
        agent.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.run()
