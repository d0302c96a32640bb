"""Station benchmarks: button-to-journaled latency over real ptys, journal replay after an outage, and the
memory of a station process during a 100,000-event run."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import tomli_w

from bench.stats import summary_ms
from config.station import StationConfig
from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from edge.stations.agent import StationAgent
from edge.stations.agent_view import Phase
from edge.stations.buttons.serial_board import SerialButtonBoard
from edge.stations.journal import Journal
from edge.stations.publisher import Publisher
from edge.stations.scales.mt_sics import MtSicsScale
from firmware_mocks.sorter import StationRig
from local_servers import MosquittoServer
from local_servers.fleet import make_event

PRESSES = 300
REPLAY_EVENTS = 20_000
SOAK_EVENTS = 100_000
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "station.toml"


def _config(folder: Path, broker: MosquittoServer) -> dict[str, object]:
    import tomllib

    data = tomllib.loads(EXAMPLE.read_text())
    data["scale"] |= {"port": str(folder / "scale"), "poll_interval_s": 0.02, "stable_time_s": 0.05}
    data["buttons"]["port"] = str(folder / "buttons")
    data["mqtt"] = {"host": broker.host, "port": broker.port}
    data["journal"] = {"path": str(folder / "journal.sqlite")}
    data["kiosk"] = {"enabled": False}
    return data


class _TimedJournal(Journal):
    """Records when each append committed."""

    committed: list[float]

    def append(self, build):  # type: ignore[no-untyped-def]
        seq = super().append(build)
        self.committed.append(time.perf_counter())
        return seq


def press_to_journal(folder: Path, broker: MosquittoServer) -> list[str]:
    folder.mkdir(parents=True)
    config = StationConfig.model_validate(_config(folder, broker))
    rig = StationRig(config, settle_s=0.03).start()
    journal = _TimedJournal(config.journal.path)
    journal.committed = []
    mqtt = MqttClient(config.mqtt, "bench-station")
    buttons = SerialButtonBoard(str(config.buttons.port))
    agent = StationAgent(config, lambda: MtSicsScale(config.scale.port), buttons, journal, mqtt)
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    latencies = []

    def wait(check: Callable[[], bool], pause: float) -> None:
        deadline = time.monotonic() + 10
        while not check():
            if time.monotonic() > deadline:
                raise RuntimeError("the station did not react within 10 s")
            time.sleep(pause)

    for _ in range(PRESSES):
        time.sleep(config.buttons.debounce_s + 0.05)  # one key, pressed again: wait out the debounce
        rig.load.place(0.3)
        wait(lambda: agent.phase is Phase.READY, 0.002)
        before = len(journal.committed)
        pressed = time.perf_counter()
        rig.buttons.port.write(b"P 1\r\n")  # the board's press line, as the hardware sends it
        wait(lambda: len(journal.committed) > before, 0.0002)  # noqa: B023
        latencies.append(journal.committed[-1] - pressed)
        rig.buttons.port.write(b"R 1\r\n")
        rig.load.clear()
        wait(lambda: agent.phase is Phase.IDLE, 0.002)
    agent.stop()
    thread.join(10)
    rig.stop()
    return [
        "## Station: button press to event committed",
        "",
        f"{PRESSES} presses on the simulated button board (a `P 1` line written to its pty) until the station",
        "agent has committed the event to its journal (SQLite WAL, synchronous=FULL), with the MT-SICS scale",
        f"polled over its own pty and the publisher sending to Mosquitto meanwhile: {summary_ms(latencies)}.",
        "Target: p99 <= 10 ms.",
        "",
    ]


def replay(folder: Path, broker: MosquittoServer) -> list[str]:
    """Events journaled while the broker is down, then sent when it is back: time until all are acked."""
    folder.mkdir(parents=True)
    journal = Journal(folder / "journal.sqlite")
    payload_events = [make_event(seq) for seq in range(1, REPLAY_EVENTS + 1)]
    for event in payload_events:
        journal.append(lambda _seq, e=event: (str(e.event_id), e.to_json()))  # type: ignore[misc]
    client = MqttClient(MqttSettings(host=broker.host, port=broker.port), "bench-replay", max_inflight=100)
    publisher = Publisher(journal, client, topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT), window=100)
    client.start()
    client.wait_connected(10)
    started = time.perf_counter()
    publisher.start()
    publisher.wait_drained(300)
    elapsed = time.perf_counter() - started
    publisher.stop()
    client.stop()
    rate = REPLAY_EVENTS / elapsed
    return [
        "## Station: journal replay after an outage",
        "",
        f"{REPLAY_EVENTS:,} events waiting in the journal when the broker comes back; the publisher sends them",
        "in order (window 100, QoS 1) and deletes each on its PUBACK. Time until the journal is empty:",
        f"{elapsed:.1f} s, **{rate:,.0f} events/s** (target >= 2,000 events/s).",
        "",
    ]


def memory(folder: Path, broker: MosquittoServer) -> list[str]:
    folder.mkdir(parents=True)
    path = folder / "station.toml"
    path.write_text(tomli_w.dumps(_config(folder, broker)))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.station_soak", str(path), str(SOAK_EVENTS)], stdout=subprocess.PIPE, text=True
    )
    watched = psutil.Process(proc.pid)
    peak = 0
    samples = []
    while proc.poll() is None:
        try:
            rss = watched.memory_info().rss
        except psutil.NoSuchProcess:
            break
        peak = max(peak, rss)
        samples.append(rss)
        time.sleep(0.2)
    out = proc.communicate()[0]
    elapsed = time.perf_counter() - started
    if "done" not in out:
        raise RuntimeError(f"station soak failed: {out}")
    mib = 1024 * 1024
    return [
        "## Station: memory during a 100,000-event run",
        "",
        "A station process (the real agent, journal, publisher and MQTT client; scripted scale and buttons) made",
        f"{SOAK_EVENTS:,} events as fast as it could and sent them to Mosquitto ({elapsed:.0f} s in all).",
        f"RSS sampled every 0.2 s: {samples[min(10, len(samples) - 1)] / mib:.0f} MiB after 2 s of start-up,",
        f"peak **{peak / mib:.0f} MiB**,",
        f"end {samples[-1] / mib:.0f} MiB (target <= 150 MB).",
        "",
    ]


def run(root: Path, broker: MosquittoServer) -> list[str]:
    return press_to_journal(root / "press", broker) + replay(root / "replay", broker) + memory(root / "soak", broker)
