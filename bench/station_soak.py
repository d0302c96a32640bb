"""Child process for the station memory benchmark: a real StationAgent (journal, publisher, MQTT to the real
broker) records N events as fast as it can; the parent samples this process's RSS.

Usage: python -m bench.station_soak CONFIG.toml N
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from core.transport.mqtt import MqttClient
from edge.stations.agent import StationAgent
from edge.stations.buttons import ButtonEvent
from edge.stations.config import load_station_config
from edge.stations.journal import Journal
from firmware_mocks.in_process import FakeButtons, ScriptedScale


def main() -> None:
    config = load_station_config(Path(sys.argv[1]))
    count = int(sys.argv[2])
    mqtt = MqttClient(config.mqtt, f"station-{config.station.id}", max_inflight=config.journal.publish_window)
    scale = ScriptedScale()
    agent = StationAgent(config, lambda: scale, FakeButtons(), Journal(config.journal.path), mqtt)
    mqtt.start()
    mqtt.wait_connected(10)
    agent._publisher.start()
    for i in range(count):
        agent._record(config.categories[i % len(config.categories)].id, 0.25, ButtonEvent("1", time.monotonic()))
        agent._on_weight(agent.weight)  # the loop's bookkeeping between items
    agent._publisher.wait_drained(120)
    print("done", agent._journal.counters(), flush=True)
    agent._publisher.stop()
    mqtt.stop()


if __name__ == "__main__":
    main()
