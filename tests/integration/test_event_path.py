"""Station journal -> real Mosquitto -> hub ingest -> real InfluxDB: every event stored exactly once."""

from __future__ import annotations

import json
from pathlib import Path

from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from edge.stations.journal import Journal
from edge.stations.publisher import Publisher
from hub.service import Hub
from local_servers import MosquittoServer
from local_servers.fleet import make_event
from tests.conftest import unique, wait_until
from tests.integration.conftest import influx_query, stored_count

STATION, SITE = "zwolle-plastic-1", "zwolle"


def station_client(mosquitto: MosquittoServer) -> MqttClient:
    client = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), unique("station"))
    client.start()
    assert client.wait_connected(10)
    return client


def journal_events(journal: Journal, n: int) -> list[bytes]:
    payloads: list[bytes] = []

    def build(seq: int) -> tuple[str, bytes]:
        event = make_event(seq, weight_kg=0.001 * seq)
        payloads.append(event.to_json())
        return str(event.event_id), payloads[-1]

    for _ in range(n):
        journal.append(build)
    return payloads


def test_n_events_from_a_station_are_stored_once_each(tmp_path: Path, mosquitto: MosquittoServer, hub: Hub) -> None:
    n = 2000
    journal = Journal(tmp_path / "journal.sqlite")
    client = station_client(mosquitto)
    publisher = Publisher(journal, client, topic(SITE, STATION, TopicKind.EVENT), window=100)
    publisher.start()
    payloads = journal_events(journal, n)
    publisher.wake()
    assert wait_until(lambda: journal.depth() == 0, 60), "the broker did not acknowledge every event"
    assert wait_until(lambda: stored_count(hub) == n, 30), f"stored {stored_count(hub)} of {n}"
    distinct = influx_query(hub, 'SELECT count(distinct("event_id")) FROM "sorting_event"')
    assert distinct[0][1] == n
    grams = influx_query(hub, 'SELECT sum("weight_g") FROM "sorting_event"')
    assert grams[0][1] == sum(range(1, n + 1))  # 1 g, 2 g, ... n g: exact to the gram

    # Replaying the whole journal (as after a crash before the acks were committed) adds nothing.
    for payload in payloads[:200]:
        client.publish(topic(SITE, STATION, TopicKind.EVENT), payload, qos=1)
    assert wait_until(lambda: hub.metrics.events_stored._value.get() >= n + 200, 30)
    assert stored_count(hub) == n
    publisher.stop()
    client.stop()


def test_malformed_messages_are_counted_and_valid_neighbours_stored(mosquitto: MosquittoServer, hub: Hub) -> None:
    client = station_client(mosquitto)
    event_topic = topic(SITE, STATION, TopicKind.EVENT)
    valid = json.loads(make_event(1).to_json())
    bad_payloads = {
        "not_json": b"this is not json",
        "unknown_schema_version": json.dumps(valid | {"schema_version": 99}).encode(),
        "invalid_fields": json.dumps({k: v for k, v in valid.items() if k != "category"}).encode(),
        "too_large": b"{" + b" " * (1024 * 1024) + b"}",
    }
    negative = json.dumps(valid | {"weight_kg": -1.5}).encode()
    sent = 0
    for seq in range(1, 51):
        client.publish(event_topic, make_event(seq).to_json(), qos=1)
        sent += 1
        for payload in (*bad_payloads.values(), negative):
            client.publish(event_topic, payload, qos=1)
    client.publish(topic(SITE, "ommen-textile-1", TopicKind.EVENT), make_event(99).to_json(), qos=1)
    assert wait_until(lambda: stored_count(hub) == sent, 30), f"stored {stored_count(hub)} of {sent}"
    assert wait_until(lambda: sum(hub.dead_letters.counts().values()) == 50 * 5 + 1, 10)
    assert hub.dead_letters.counts() == {
        "not_json": 50,
        "unknown_schema_version": 50,
        "invalid_fields": 100,  # the missing field and the negative weight
        "too_large": 50,
        "topic_mismatch": 1,
    }
    latest = hub.dead_letters.latest(1)[0]
    assert latest.reason.value == "topic_mismatch" and "ommen-textile-1" in latest.detail
    client.stop()
