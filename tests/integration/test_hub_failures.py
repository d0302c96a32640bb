"""The hub stores every event exactly once whatever happens to it, to InfluxDB or to the broker."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import httpx
import psutil

from core.transport.mqtt import end_session
from core.transport.settings import MqttSettings
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import HubProcess, fleet_payloads, publish_all
from tests.conftest import soak_size, unique, wait_until

# Documented in docs/storage.md: what the hub may hold while InfluxDB is down (at most the broker's in-flight window
# of 30,000 messages, one batch per worker, and the Python processes themselves).
HUB_MEMORY_BOUND_MB = 250


def count(influx: InfluxServer, database: str, what: str = 'count("weight_g")') -> int:
    response = httpx.get(
        f"{influx.url}/query", params={"db": database, "q": f'SELECT {what} FROM "sorting_event"'}, timeout=30
    )
    series = response.json()["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def stream_in_background(
    broker: MosquittoServer, payloads: list[tuple[str, bytes]], pace: float = 0
) -> threading.Thread:
    thread = threading.Thread(target=publish_all, args=(broker, payloads), kwargs={"pace_per_s": pace}, daemon=True)
    thread.start()
    return thread


def test_hub_killed_during_a_100000_event_stream(
    tmp_path: Path, mosquitto: MosquittoServer, influx: InfluxServer
) -> None:
    database = unique("killed").replace("-", "_")
    hub = HubProcess(tmp_path, mosquitto, influx, database)
    hub.start()
    assert wait_until(lambda: "connected to MQTT broker" in hub.log.read_text(), 30)
    payloads = fleet_payloads(100_000, stations=50, site=unique("f"))
    stream = stream_in_background(mosquitto, payloads)
    for share in (0.2, 0.5, 0.8):
        assert wait_until(lambda share=share: count(influx, database) >= share * 100_000, 300)  # type: ignore[misc]
        hub.kill()  # SIGKILL: no goodbye, a batch half written, acks not sent
        time.sleep(1.0)
        hub.start()
    stream.join(600)
    assert wait_until(lambda: count(influx, database) == 100_000, 300), f"stored {count(influx, database)}"
    assert count(influx, database, 'count(distinct("event_id"))') == 100_000
    hub.stop()
    end_session(MqttSettings(host=mosquitto.host, port=mosquitto.port), f"{hub.client_id}-ingest")


def family_rss(process: psutil.Process) -> int:
    """The hub and its ingest worker processes together."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


# Two minutes at 180 events/s with SORTCENTRE_SOAK=full; 30 s at 720 events/s in make test. Either way the hub is
# offered the same 21,600 events while InfluxDB is down (the broker's in-flight window is 30,000 messages), so the
# memory bound is tested at the same load.
INFLUX_DOWN_S = soak_size(30, 120)
PACE_PER_S = 21_600 // INFLUX_DOWN_S
# Traffic before, during and after the outage: 20 s more than the outage.
OUTAGE_EVENTS = PACE_PER_S * (INFLUX_DOWN_S + 20) // 1000 * 1000


def test_influxdb_down_while_the_stream_goes_on(tmp_path: Path, mosquitto: MosquittoServer) -> None:
    with InfluxServer(tmp_path / "influxdb") as own_influx:
        database = "outage"
        hub = HubProcess(tmp_path, mosquitto, own_influx, database)
        hub.start()
        assert wait_until(lambda: "connected to MQTT broker" in hub.log.read_text(), 30)
        assert hub.proc is not None
        watched = psutil.Process(hub.proc.pid)
        payloads = fleet_payloads(OUTAGE_EVENTS, stations=20, site=unique("o"))
        stream = stream_in_background(mosquitto, payloads, pace=PACE_PER_S)
        assert wait_until(lambda: count(own_influx, database) >= 2000, 60)
        own_influx.stop()
        peak = 0
        down_until = time.monotonic() + INFLUX_DOWN_S
        while time.monotonic() < down_until:
            peak = max(peak, family_rss(watched))
            time.sleep(0.5)
        own_influx.start()
        stream.join(600)
        stored = wait_until(lambda: count(own_influx, database) == OUTAGE_EVENTS, 180)
        assert stored, f"stored {count(own_influx, database)} of {OUTAGE_EVENTS}"
        assert count(own_influx, database, 'count(distinct("event_id"))') == OUTAGE_EVENTS
        assert peak / 1e6 < HUB_MEMORY_BOUND_MB, f"hub and workers used {peak / 1e6:.0f} MB while InfluxDB was down"
        (tmp_path / "peak-rss-mb.txt").write_text(f"{peak / 1e6:.0f}\n")
        hub.stop()
        end_session(MqttSettings(host=mosquitto.host, port=mosquitto.port), f"{hub.client_id}-ingest")


def test_mosquitto_restarted_during_a_stream(tmp_path: Path, influx: InfluxServer) -> None:
    with MosquittoServer(tmp_path / "broker") as broker:
        database = unique("restart").replace("-", "_")
        hub = HubProcess(tmp_path, broker, influx, database)
        hub.start()
        assert wait_until(lambda: "connected to MQTT broker" in hub.log.read_text(), 30)
        # A station journal is what survives on the station side: use the real one.
        from core.contract import TopicKind, topic
        from core.transport.mqtt import MqttClient
        from edge.stations.journal import Journal
        from edge.stations.publisher import Publisher
        from local_servers.fleet import make_event

        journal = Journal(tmp_path / "journal.sqlite")
        client = MqttClient(MqttSettings(host=broker.host, port=broker.port), unique("station"))
        publisher = Publisher(journal, client, topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT))
        client.start()
        publisher.start()
        for seq in range(1, 10_001):
            journal.append(lambda s: (str((e := make_event(s)).event_id), e.to_json()))
            publisher.wake()
            if seq == 4000:
                broker.stop()
                broker.start()
        assert wait_until(lambda: journal.depth() == 0, 120)
        assert wait_until(lambda: count(influx, database) == 10_000, 120), f"stored {count(influx, database)}"
        assert count(influx, database, 'count(distinct("event_id"))') == 10_000
        publisher.stop()
        client.stop()
        hub.stop()
