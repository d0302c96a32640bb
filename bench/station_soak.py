"""Child process for the station memory benchmark: a real StationAgent (journal, publisher, MQTT to the real
broker) records N events as fast as it can; the parent samples this process's RSS.

Usage: python -m bench.station_soak CONFIG.toml N
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from config.station import StationConfig
from core.transport.mqtt import MqttClient
from edge.stations.agent import StationAgent
from edge.stations.buttons import ButtonEvent
from edge.stations.journal import Journal
from firmware_mocks.in_process import FakeButtons, ScriptedScale


def main() -> None:
    config = StationConfig.load(Path(sys.argv[1]))
    count = int(sys.argv[2])
    mqtt = MqttClient(config.mqtt, f"station-{config.station.id}", max_inflight=config.journal.publish_window)
    scale = ScriptedScale()
    journal = Journal(config.journal.path)
    agent = StationAgent(config, lambda: scale, FakeButtons(), journal, mqtt)
    mqtt.start()
    mqtt.wait_connected(10)
    agent.publisher.start()
    for i in range(count):
        agent.sorting.record(config.categories[i % len(config.categories)].id, 0.25, ButtonEvent("1", time.monotonic()))
        agent.sorting.on_weight(agent.weight)  # the loop's bookkeeping between items
    agent.publisher.wait_drained(120)
    print("done", journal.counters(), flush=True)
    agent.publisher.stop()
    mqtt.stop()


if __name__ == "__main__":
    main()
