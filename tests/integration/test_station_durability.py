"""No confirmed item is ever lost: not when the broker is down, not when the station process is killed."""

from __future__ import annotations

import contextlib
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.hub import HubSettings
from config.station import StationConfig
from core.contract import SortingEvent, TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from edge.stations.journal import Journal
from edge.stations.publisher import Publisher
from firmware_mocks.sorter import StationRig
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import make_event
from local_servers.nats import NatsServer
from tests.conftest import soak_size, wait_until
from tests.integration.conftest import (
    forget_sessions,
    hub_settings,
    influx_query,
    jetstream_hub_settings,
    nats_accounts,
    stored_count,
)
from tests.integration.test_station_process import StationProcess, write_config


class OwnBroker:
    """A broker of this test's own, to be stopped and started: Mosquitto, or a NATS node (MQTT and JetStream)
    with accounts, whose hub pulls from JetStream. The station's code and config are the same for both; only
    ``[mqtt]`` (host, port, account) differs."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.accounts = nats_accounts(folder / "auth") if kind == "nats" else None
        self.server: MosquittoServer | NatsServer = (
            NatsServer(folder / "nats", accounts=self.accounts)
            if kind == "nats"
            else MosquittoServer(folder / "broker")
        )

    def station_settings(self, station: str) -> MqttSettings:
        if isinstance(self.server, NatsServer):
            assert self.accounts is not None
            password = self.accounts.passwords[station]
            return MqttSettings(host=self.server.host, port=self.server.mqtt_port, username=station, password=password)
        return MqttSettings(host=self.server.host, port=self.server.port)

    def hub_settings(self, influx: InfluxServer) -> HubSettings:
        if isinstance(self.server, NatsServer):
            assert self.accounts is not None
            return jetstream_hub_settings(self.server, self.accounts, influx)
        return hub_settings(self.server, influx)


@pytest.fixture(params=["mosquitto", "nats"])
def own_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OwnBroker]:
    broker = OwnBroker(request.param, tmp_path)
    broker.server.start()
    yield broker
    broker.server.stop()


def test_broker_down_while_5000_events_are_made(tmp_path: Path, own_broker: OwnBroker, influx: InfluxServer) -> None:
    hub = Hub(own_broker.hub_settings(influx))
    arrivals: list[SortingEvent] = []
    hub.ingest.listeners.append(lambda batch: arrivals.extend(batch.events()))
    hub.start()
    journal = Journal(tmp_path / "journal.sqlite")
    station = MqttClient(own_broker.station_settings("zwolle-plastic-1"), "zwolle-plastic-1")
    publisher = Publisher(journal, station, topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT), window=100)
    station.start()
    publisher.start()
    assert station.wait_connected(30) and hub.wait_subscribed(30)

    def make(n: int) -> None:
        for _ in range(n):
            journal.append(lambda seq: (str((e := make_event(seq)).event_id), e.to_json()))
            publisher.wake()

    make(300)  # some flow while the broker is up
    own_broker.server.stop()
    make(4700)  # the rest while it is down: they wait in the journal
    assert journal.depth() >= 4700
    own_broker.server.start()
    assert wait_until(lambda: journal.depth() == 0, 120), f"{journal.depth()} events still in the journal"
    assert wait_until(lambda: stored_count(hub) == 5000, 60), f"stored {stored_count(hub)}"
    distinct = influx_query(hub, 'SELECT count(distinct("event_id")) FROM "sorting_event"')
    assert distinct[0][1] == 5000
    # The live views hear of stored batches on a thread of their own, a moment after the store.
    assert wait_until(lambda: len({event.seq for event in list(arrivals)}) == 5000, 30)
    first_arrivals: list[int] = []
    seen: set[int] = set()
    for event in arrivals:
        if event.seq not in seen:
            seen.add(event.seq)
            first_arrivals.append(event.seq)
    assert first_arrivals == list(range(1, 5001)), "the hub did not get the station's events in order"
    publisher.stop()
    station.stop()
    hub.stop()


def journal_counters(path: Path) -> dict[str, int]:
    """Read the station's journal from outside (WAL: readers never block the station's writes)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
        counters = {name: int(v) for name, v in db.execute("SELECT name, value FROM counters")}
        counters["depth"] = int(db.execute("SELECT count(*) FROM events").fetchone()[0])
    return counters


# 1,000 events and 20 kills with SORTCENTRE_SOAK=full (about 5 minutes); 300 and 8 in make test.
EVENTS_WHILE_KILLED = soak_size(300, 1000)
KILLS = soak_size(8, 20)


@pytest.mark.timeout(900)
def test_station_killed_again_and_again_while_events_are_made(
    tmp_path: Path, mosquitto: MosquittoServer, influx: InfluxServer
) -> None:
    hub = Hub(hub_settings(mosquitto, influx))
    hub.start()
    config_path = write_config(tmp_path, mosquitto, poll_interval_s=0.01, stable_time_s=0.03, kiosk=False)
    config = StationConfig.load(config_path)
    rig = StationRig(config, settle_s=0.03).start()
    process = StationProcess(config_path, tmp_path / "station.log")
    process.start()
    assert wait_until(config.journal.path.exists, 20)
    assert wait_until(lambda: "scale ok" in process.log.read_text(), 20)
    stop = threading.Event()

    def sorter() -> None:
        """Places an item and presses (another key each time: debounce is per key) until the station has
        journaled it, as a trainee presses again when nothing seems to happen; gives up after a second."""
        keys = [c.key for c in config.categories]
        while not stop.is_set():
            made = journal_counters(config.journal.path)["made"]
            rig.load.place(round(random.uniform(0.05, 2.0), 3))
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and journal_counters(config.journal.path)["made"] == made:
                time.sleep(0.04)
                rig.buttons.press(random.choice(keys), hold_s=0.002)
            rig.load.clear()
            time.sleep(0.04)

    person = threading.Thread(target=sorter, daemon=True)
    person.start()
    kills = 0
    rng = random.Random(7)
    while kills < KILLS or journal_counters(config.journal.path)["made"] < EVENTS_WHILE_KILLED:
        time.sleep(rng.uniform(3.0, 7.0))
        process.signal(signal.SIGKILL)  # at a random moment: mid-commit, mid-publish, mid-ack
        kills += 1
        process.start()
    stop.set()
    person.join(5)
    counters = journal_counters(config.journal.path)
    made = counters["made"]
    assert made >= EVENTS_WHILE_KILLED and kills >= KILLS
    assert wait_until(lambda: journal_counters(config.journal.path)["depth"] == 0, 60)
    assert wait_until(lambda: stored_count(hub) == made, 60), f"stored {stored_count(hub)} of {made}"
    seqs = [row[1] for row in influx_query(hub, 'SELECT "seq" FROM "sorting_event"')]
    assert sorted(seqs) == list(range(1, made + 1)), "a journaled event is missing or stored twice"
    distinct = influx_query(hub, 'SELECT count(distinct("event_id")) FROM "sorting_event"')
    assert distinct[0][1] == made
    process.signal(signal.SIGTERM)
    rig.stop()
    hub.stop()
    forget_sessions(hub)
