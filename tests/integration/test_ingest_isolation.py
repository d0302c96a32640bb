"""No single message, listener or dead worker stops the hub's ingest (issue 13, findings 1, 2, 5 and 7).

Real Mosquitto and InfluxDB; poison is sent with mosquitto_pub (an independent client), its bytes built by hand
so that these tests do not depend on what the contract refuses today."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from config.dashboard import DashboardSettings
from config.influx import InfluxSettings
from core.contract import RejectReason, TopicKind, subscription, topic
from core.transport.mqtt import InboundMessage, MqttClient
from core.transport.settings import MqttSettings
from hub.api.app import create_app
from hub.ingest.workers import MAX_DEATHS_PER_BATCH, ProcessWorkers
from hub.service import Hub
from hub.storage.influx_v1 import InfluxError, InfluxV1
from hub.storage.points import event_line
from hub.storage.rollups import CREATE_RETENTION_POLICY, refresh, refresh_isolating
from local_servers import InfluxServer, MosquittoServer, free_port
from local_servers.fleet import HubProcess, fleet_payloads, make_event, publish_all
from tests.conftest import unique, wait_until
from tests.integration.conftest import forget_sessions, hub_settings, influx_query, stored_count


# -- helpers ---------------------------------------------------------------------------------------------------
def start_hub(mosquitto: MosquittoServer, influx: InfluxServer, **changes: Any) -> Hub:
    settings = hub_settings(mosquitto, influx)
    ingest = changes.pop("ingest", {})
    settings = settings.model_copy(update={"ingest": settings.ingest.model_copy(update=ingest), **changes}, deep=True)
    hub = Hub(settings)
    hub.start()
    assert hub.wait_subscribed(10)
    return hub


def mosquitto_pub(broker: MosquittoServer, where: str, payload: bytes, *, retain: bool = False) -> None:
    command = ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-t", where, "-q", "1"]
    command.append("-s" if payload else "-n")  # -n: a zero-length message (stdin may not be empty)
    if retain:
        command.append("-r")
    subprocess.run(command, input=payload, check=True, timeout=10)


def event_bytes(seq: int, when: str, station: str = "zwolle-plastic-1", site: str = "zwolle") -> bytes:
    """An event whose station time is written as given: built by hand, not through the contract's models."""
    payload = json.loads(make_event(seq, station=station, site=site).to_json())
    payload["station_time"] = when
    return json.dumps(payload).encode()


def redelivered(hub: Hub, wait_s: float = 2.0) -> int:
    """After the hub stopped: how many messages its persistent session still holds unacknowledged (the broker
    sends them again to whoever takes the session)."""
    got: list[InboundMessage] = []
    client = MqttClient(hub.settings.mqtt, f"{hub.settings.client_id}-ingest", clean_session=False, manual_ack=True)
    client.subscribe(subscription(TopicKind.EVENT), got.append)
    client.start()
    assert client.wait_connected(10)
    time.sleep(wait_s)
    client.stop()
    return len(got)


def rejected(hub: Hub, reason: RejectReason) -> float:
    return cast(float, hub.metrics.messages_rejected.labels(reason.value)._value.get())


# -- finding 1: times InfluxDB cannot hold ---------------------------------------------------------------------
def test_refresh_gives_up_only_the_buckets_influxdb_refuses(influx: InfluxServer) -> None:
    store = InfluxV1(InfluxSettings(url=influx.url, database=unique("r").replace("-", "_")))
    store.ensure_database()
    store.ensure(CREATE_RETENTION_POLICY)
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    store.write([event_line(make_event(1, when=now))])
    good = ("zwolle", "zwolle-plastic-1", now)
    poison = [
        ("zwolle", "zwolle-plastic-1", datetime(2300, 1, 1, tzinfo=UTC)),  # beyond InfluxDB's time literals
        ("zwolle", "zwolle-plastic-1", datetime(9999, 12, 31, 23, 59, 30, tzinfo=UTC)),  # its minute ends in 10000
        ("zwolle", "zwolle-plastic-1", datetime(2262, 4, 11, 23, 30, tzinfo=UTC)),  # its hour ends past the limit
    ]
    for bad in poison:  # what froze the hub: refresh() refuses, with no way to tell which bucket
        with pytest.raises((InfluxError, OverflowError)):
            refresh(store, [good, bad])
    refused = refresh_isolating(store, [good, *poison])
    assert {(r.moment, r.layer) for r in refused} >= {
        (poison[0][2], "throughput_1m"),
        (poison[1][2], "throughput_1m"),
        (poison[2][2], "throughput_1h"),
        (poison[2][2], "throughput_1d"),
    }
    assert all(r.moment != now for r in refused)
    rows = store.query('SELECT sum("weight_g") FROM "rollups"."throughput_1m"')
    assert rows and rows[0]["values"][0][1] == 250  # the good bucket was recomputed all the same
    store.close()


def test_poison_times_are_dead_lettered_and_the_next_event_is_stored_within_2_s(
    mosquitto: MosquittoServer, influx: InfluxServer, hubs: list[Hub]
) -> None:
    # One worker thread, and no plausibility window: as a hub whose operator widened the window beyond what
    # InfluxDB holds (the window and the contract's own bounds refuse these earlier; this is the layer behind).
    hub = start_hub(mosquitto, influx, ingest={"workers": 0})
    hubs.append(hub)
    hub.ingest._workers._writer._window = None  # type: ignore[attr-defined]
    where = topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT)
    for seq, when in [
        (1, "2300-01-01T00:00:00.000Z"),
        (2, "9999-12-31T23:59:59.999Z"),
        (3, "0001-01-01T00:00:00.000Z"),
        (4, "2262-04-11T23:30:00.000Z"),  # InfluxDB holds the point, not its hour's end
    ]:
        mosquitto_pub(mosquitto, where, event_bytes(seq, when))
    valid = make_event(5)
    sent = time.monotonic()
    mosquitto_pub(mosquitto, where, valid.to_json())
    query = f'SELECT "seq" FROM "sorting_event" WHERE "event_id" = \'{valid.event_id}\''
    assert wait_until(lambda: bool(influx_query(hub, query)), 10, interval=0.02)
    assert time.monotonic() - sent < 2.0, "the valid event after the poison took more than 2 s"
    assert wait_until(lambda: hub.metrics.events_stored._value.get() >= 1, 2)  # and it was acknowledged
    letters = {letter.excerpt[:40]: letter.reason for letter in hub.dead_letters.latest()}
    assert len(hub.dead_letters.latest()) >= 3  # 2300, 9999 and 0001 at least
    # The contract refuses times outside 1970..2200 itself (invalid_fields); the window or the store the rest.
    refusals = {RejectReason.INVALID_FIELDS, RejectReason.IMPLAUSIBLE_TIME, RejectReason.STORE_REFUSED}
    assert set(letters.values()) <= refusals, letters
    if stored_count(hub) == 2:  # the contract took 2262-04-11T23:30: its rollup buckets were refused, not retried
        assert hub.metrics.rollup_refused.labels("throughput_1h")._value.get() >= 1
    hub.stop()
    hubs.clear()
    assert redelivered(hub) == 0, "the poison or the valid event was left unacknowledged"
    forget_sessions(hub)


def test_the_refresher_does_not_retry_a_refused_bucket_forever(
    mosquitto: MosquittoServer, influx: InfluxServer, hubs: list[Hub]
) -> None:
    """The refresh path of the pipeline itself, whatever the contract lets through."""
    hub = start_hub(mosquitto, influx)
    hubs.append(hub)
    touched = [
        ("zwolle", "zwolle-plastic-1", datetime(2300, 1, 1, tzinfo=UTC)),
        ("zwolle", "zwolle-plastic-1", datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
    ]
    done: list[bool] = []
    worker = threading.Thread(target=lambda: done.append(hub.ingest._refresh_with_retry(touched)), daemon=True)
    worker.start()
    worker.join(10)
    assert done == [True]
    assert hub.metrics.rollup_refused.labels("throughput_1m")._value.get() == 2


# -- finding 5: dead workers and raising listeners ---------------------------------------------------------------
def kill_worker(workers: ProcessWorkers, index: int) -> None:
    """SIGKILL one worker process and wait until it was started again. A worker whose batch killed it before
    is left alone until that batch is done: a batch that kills its worker again and again ends the hub (that
    rule has its own test below)."""
    assert wait_until(lambda: workers._workers[index].deaths == 0, 30)
    before = workers.restarts
    pid = workers.pids()[index]
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: workers.restarts > before, 20)


def test_workers_killed_while_idle_and_busy_lose_and_double_nothing(
    mosquitto: MosquittoServer, influx: InfluxServer, hubs: list[Hub]
) -> None:
    hub = start_hub(mosquitto, influx, ingest={"workers": 2, "batch_max_events": 200})
    hubs.append(hub)
    workers = hub.ingest._workers
    assert isinstance(workers, ProcessWorkers)
    # Idle deaths first: the old code put an idle worker's index on the free queue twice, so two batches went
    # to one worker, and its next death lost the first of them.
    for index in (0, 1, 0):
        kill_worker(workers, index)
    n = 12_000
    payloads = fleet_payloads(n, stations=20, site=unique("k"))
    stream = threading.Thread(target=publish_all, args=(mosquitto, payloads), kwargs={"pace_per_s": 1500})
    stream.start()
    kills = 0
    while stream.is_alive() and kills < 12:  # deaths while busy, during the stream
        time.sleep(0.3)
        kill_worker(workers, kills % 2)
        kills += 1
    stream.join(120)
    for index in (1, 0):  # and idle again
        kill_worker(workers, index)
    assert kills >= 6
    assert wait_until(lambda: stored_count(hub) == n, 90), f"stored {stored_count(hub)} of {n}"
    assert influx_query(hub, 'SELECT count(distinct("event_id")) FROM "sorting_event"')[0][1] == n
    assert wait_until(lambda: hub.metrics.events_stored._value.get() >= n, 30)
    assert hub.supervisor.healthy, hub.supervisor.failures()
    hub.stop()
    hubs.clear()
    assert redelivered(hub) == 0, "some events were stored but never acknowledged"
    forget_sessions(hub)


def test_a_raising_listener_stops_neither_acknowledgements_nor_other_listeners(
    mosquitto: MosquittoServer, influx: InfluxServer, hubs: list[Hub], station: MqttClient
) -> None:
    hub = start_hub(mosquitto, influx)
    hubs.append(hub)

    def broken(_batch: object) -> None:
        raise RuntimeError("a listener with a bug")

    hub.ingest.listeners.insert(0, broken)
    where = topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT)
    for seq in range(1, 51):
        station.publish(where, make_event(seq).to_json(), qos=1)
    assert wait_until(lambda: stored_count(hub) == 50, 20)
    # The live view, a listener after the broken one, still heard of every event.
    assert wait_until(lambda: any(v["events_stored_since_hub_start"] == 50 for v in hub.live.as_dicts("zwolle")), 10)
    assert hub.metrics.unexpected_errors.labels("ingest-listeners")._value.get() >= 1
    assert hub.supervisor.healthy
    hub.stop()
    hubs.clear()
    assert redelivered(hub) == 0
    forget_sessions(hub)


def test_a_batch_that_keeps_killing_its_worker_ends_the_hub_process_with_an_error(
    tmp_path: Path, mosquitto: MosquittoServer
) -> None:
    """`sortcentre hub` as systemd runs it: InfluxDB unreachable, so a worker holds its batch while it
    retries; killed again and again on that batch, the hub says so and exits non-zero, for a restart."""
    nowhere = cast(InfluxServer, SimpleNamespace(url=f"http://127.0.0.1:{free_port()}"))
    hub = HubProcess(tmp_path, mosquitto, nowhere, "unreachable")
    hub.start()
    assert hub.proc is not None
    try:
        assert wait_until(lambda: "connected to MQTT broker" in hub.log.read_text(), 30)
        health = f"http://127.0.0.1:{hub.http_port}/healthz"
        assert wait_until(lambda: _status(health) == 200, 30)
        publish_all(mosquitto, fleet_payloads(20, stations=1, site=unique("d")))
        assert wait_until(lambda: "retrying" in hub.log.read_text(), 30)  # a worker holds the batch
        parent = psutil.Process(hub.proc.pid)
        for _ in range(MAX_DEATHS_PER_BATCH):
            if hub.proc.poll() is not None:
                break
            for child in parent.children():
                if "spawn_main" in " ".join(child.cmdline()):  # the workers, not multiprocessing's tracker
                    child.kill()
            time.sleep(2)
        assert hub.proc.wait(60) == 1
        log = hub.log.read_text()
        assert "killed its worker" in log and "CRITICAL" in log.upper()
    finally:
        hub.stop()


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0


# -- retained events ------------------------------------------------------------------------------------------
def test_a_retained_event_is_dead_lettered_acknowledged_and_cleared(
    mosquitto: MosquittoServer, influx: InfluxServer, hubs: list[Hub]
) -> None:
    site = unique("r")
    where = topic(site, f"{site}-s1", TopicKind.EVENT)
    retained = make_event(1, site=site, station=f"{site}-s1")
    mosquitto_pub(mosquitto, where, retained.to_json(), retain=True)  # before the hub subscribes
    try:
        hub = start_hub(mosquitto, influx)
        hubs.append(hub)
        assert wait_until(lambda: rejected(hub, RejectReason.RETAINED_EVENT) == 1, 10)
        valid = make_event(2, site=site, station=f"{site}-s1")
        mosquitto_pub(mosquitto, where, valid.to_json())
        assert wait_until(lambda: stored_count(hub) == 1, 10)
        assert influx_query(hub, 'SELECT "seq" FROM "sorting_event"')[0][1] == 2  # the retained one is not stored
        # Cleared at the broker: a new subscriber gets no retained message on that topic.
        got = subprocess.run(
            ["mosquitto_sub", "-h", mosquitto.host, "-p", str(mosquitto.port), "-t", where, "-C", "1", "-W", "2"],
            capture_output=True,
            check=False,
            timeout=10,
        )
        assert got.stdout == b"", "the retained event is still at the broker"
        assert rejected(hub, RejectReason.NOT_JSON) == 0  # our own clearing came back, and was not a reject
        hub.stop()
        hubs.clear()
        assert redelivered(hub) == 0
        forget_sessions(hub)
    finally:
        mosquitto_pub(mosquitto, where, b"", retain=True)


# -- finding 2 and 7: the live view ---------------------------------------------------------------------------
def test_retained_poison_status_neither_kills_the_live_view_nor_goes_uncounted(
    mosquitto: MosquittoServer, influx: InfluxServer, hubs: list[Hub], station: MqttClient
) -> None:
    site = unique("p")
    deep = topic(site, f"{site}-deep", TopicKind.STATUS)
    other = topic(site, f"{site}-liar", TopicKind.STATUS)
    status = {
        "schema_version": 1,
        "site": site,
        "station": f"{site}-someone-else",
        "state": "online",
        "since": "2025-01-01T00:00:00.000Z",
        "software_version": "1",
    }
    mosquitto_pub(mosquitto, deep, b"[" * 1000 + b"]" * 1000, retain=True)
    mosquitto_pub(mosquitto, other, json.dumps(status).encode(), retain=True)
    try:
        hub = start_hub(mosquitto, influx)
        hubs.append(hub)
        refused = lambda: sum(  # noqa: E731
            s.value for m in hub.metrics.messages_rejected.collect() for s in m.samples if s.name.endswith("_total")
        )
        assert wait_until(lambda: refused() >= 2, 10)
        # The live view still works: a valid status after the poison shows.
        fine = status | {"station": f"{site}-fine"}
        station.publish(topic(site, f"{site}-fine", TopicKind.STATUS), json.dumps(fine).encode(), qos=1)
        assert wait_until(lambda: [v["station"] for v in hub.live.as_dicts(site)] == [f"{site}-fine"], 10)
        assert hub._live_mqtt.connected.is_set()
        letters = [letter for letter in hub.dead_letters.latest() if letter.topic in (deep, other)]
        assert len(letters) == 2
        assert hub.supervisor.healthy
    finally:
        for where in (deep, other):
            mosquitto_pub(mosquitto, where, b"", retain=True)


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[MosquittoServer]:
    """A broker of this test's own: retained statuses other tests left on the session's broker would take places."""
    with MosquittoServer(tmp_path / "own-broker") as server:
        yield server


@pytest.fixture
def own_station(own_broker: MosquittoServer) -> Iterator[MqttClient]:
    client = MqttClient(MqttSettings(host=own_broker.host, port=own_broker.port), unique("station"))
    client.start()
    assert client.wait_connected(10)
    yield client
    client.stop()


def test_the_live_view_tracks_a_bounded_number_of_stations(
    own_broker: MosquittoServer, influx: InfluxServer, hubs: list[Hub], own_station: MqttClient
) -> None:
    station = own_station
    hub = start_hub(own_broker, influx, dashboard=DashboardSettings(max_stations=5))
    hubs.append(hub)
    site = unique("b")
    for n in range(8):
        name = f"{site}-{n}"
        status = {
            "schema_version": 1,
            "site": site,
            "station": name,
            "state": "online",
            "since": "2025-01-01T00:00:00.000Z",
            "software_version": "1",
        }
        station.publish(topic(site, name, TopicKind.STATUS), json.dumps(status).encode(), qos=1)
    refused = lambda: [letter for letter in hub.dead_letters.latest() if site in letter.topic]  # noqa: E731
    assert wait_until(lambda: len(refused()) == 3, 10)
    assert all("too many stations" in letter.detail for letter in refused())
    assert len(hub.live.as_dicts()) == 5
    # Events of a station beyond the bound are still stored, only not shown live.
    station.publish(
        topic(site, f"{site}-7", TopicKind.EVENT), make_event(1, site=site, station=f"{site}-7").to_json(), qos=1
    )
    assert wait_until(lambda: stored_count(hub) == 1, 10)
    assert len(hub.live.as_dicts()) == 5
    assert TestClient(create_app(hub.state)).get("/healthz").status_code == 200
