"""The hub's JetStream source against a real nats-server and InfluxDB: stations publish over MQTT with their own
accounts, the hub pulls from its durable consumer on ``$MQTT_msgs``, stores, and acknowledges; a bad event is
dead-lettered and acknowledged, and two hub instances share the consumer while each sees every station's status."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config.hub import HubSettings
from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from hub.api.app import create_app
from hub.broker_accounts import BrokerAccounts
from hub.ingest.jetstream import event_filter, mqtt_topic
from hub.service import Hub
from local_servers import InfluxServer
from local_servers.fleet import make_event
from local_servers.nats import NatsAuthService, NatsNode, NatsServer
from tests.conftest import wait_until
from tests.integration.conftest import consumer_state, influx_query, jetstream_hub_settings, nats_accounts, stored_count

pytestmark = pytest.mark.timeout(120)

ZWOLLE = "zwolle-plastic-1"
DALFSEN = "dalfsen-plastic-1"


@pytest.fixture
def accounts(tmp_path: Path) -> BrokerAccounts:
    return nats_accounts(tmp_path / "auth")


@pytest.fixture
def node(tmp_path: Path, accounts: BrokerAccounts) -> Iterator[NatsServer]:
    with NatsServer(tmp_path / "nats", accounts=accounts) as server:
        yield server


def start(hubs: list[Hub], settings: HubSettings) -> Hub:
    hub = Hub(settings)
    hub.start()
    hubs.append(hub)
    assert hub.wait_subscribed(30), "the hub did not bind to its JetStream consumer"
    return hub


def station_client(node: NatsNode, accounts: BrokerAccounts, user: str) -> MqttClient:
    settings = MqttSettings(host=node.host, port=node.mqtt_port, username=user, password=accounts.passwords[user])
    client = MqttClient(settings, user)
    client.start()
    assert client.wait_connected(30)
    return client


def online(hub: Hub) -> set[str]:
    return {s.station for s in hub.live.stations() if s.state == "online"}


def delivery(hub: Hub) -> dict[str, tuple[object, object]]:
    """Per station: (events stored by all hubs as this hub's live view counts them, events it thinks missing)."""
    views = hub.live.as_dicts()
    return {
        str(v["station"]): (v["events_stored_since_hub_start"], v["delivery"]["missing"])  # type: ignore[index]
        for v in views
        if v["station"] in (ZWOLLE, DALFSEN)
    }


def test_subjects_map_back_to_the_stations_topics() -> None:
    assert event_filter() == "$MQTT.msgs.sortcentre.v1.*.*.event"
    assert mqtt_topic("$MQTT.msgs.sortcentre.v1.zwolle.zwolle-plastic-1.event") == topic(
        "zwolle", ZWOLLE, TopicKind.EVENT
    )
    assert mqtt_topic("$MQTT.msgs.a.b//c.d") == "a/b.c/d"  # NATS writes a topic's "." as "//"


def test_events_are_stored_and_acknowledged_and_a_bad_one_is_dead_lettered(
    node: NatsServer, accounts: BrokerAccounts, influx: InfluxServer, hubs: list[Hub]
) -> None:
    hub = start(hubs, jetstream_hub_settings(node, accounts, influx))
    station = station_client(node, accounts, ZWOLLE)
    try:
        where = topic("zwolle", ZWOLLE, TopicKind.EVENT)
        for seq in range(1, 301):
            station.publish(where, make_event(seq).to_json(), qos=1)
            if seq == 150:
                station.publish(where, b'{"schema_version": 1, "not": "an event"', qos=1)
        assert wait_until(lambda: stored_count(hub) == 300, 60), f"stored {stored_count(hub)}"
        assert wait_until(lambda: any(ZWOLLE in letter.topic for letter in hub.dead_letters.latest()), 10)
        # Everything, the bad event too, acknowledged: nothing waits in the consumer or comes back.
        drained = wait_until(lambda: consumer_state([node.url], accounts) == (0, 0), 30)
        assert drained, consumer_state([node.url], accounts)
        distinct = influx_query(hub, 'SELECT count(distinct("event_id")) FROM "sorting_event"')
        assert distinct[0][1] == 300
    finally:
        station.stop()


def test_two_hubs_share_the_events_and_each_sees_every_stations_status(
    node: NatsServer, accounts: BrokerAccounts, influx: InfluxServer, hubs: list[Hub]
) -> None:
    first = start(hubs, jetstream_hub_settings(node, accounts, influx))
    settings = jetstream_hub_settings(node, accounts, influx)
    settings.influx = first.settings.influx  # the same database: one store, two ingesting hubs
    settings.client_id = f"{first.settings.client_id}-2"
    second = start(hubs, settings)
    zwolle, dalfsen = station_client(node, accounts, ZWOLLE), station_client(node, accounts, DALFSEN)
    try:
        for seq in range(1, 1001):
            zwolle.publish(topic("zwolle", ZWOLLE, TopicKind.EVENT), make_event(seq).to_json(), qos=1)
            dalfsen.publish(
                topic("dalfsen", DALFSEN, TopicKind.EVENT),
                make_event(seq, station=DALFSEN, site="dalfsen").to_json(),
                qos=1,
            )
        for client, site, name in ((zwolle, "zwolle", ZWOLLE), (dalfsen, "dalfsen", DALFSEN)):
            status = {
                "schema_version": 1,
                "site": site,
                "station": name,
                "state": "online",
                "since": "2026-12-04T10:00:00.000Z",
                "software_version": "1",
            }
            client.publish(topic(site, name, TopicKind.STATUS), json.dumps(status).encode(), qos=1, retain=True)
        assert wait_until(lambda: stored_count(first) == 2000, 60), f"stored {stored_count(first)}"

        def stored_per_hub() -> list[int]:
            return [
                int(hub.metrics.registry.get_sample_value("sortcentre_events_stored_total") or 0)
                for hub in (first, second)
            ]

        # A hub counts a batch once InfluxDB has answered its write: readable there a moment before it is counted.
        assert wait_until(lambda: sum(stored_per_hub()) >= 2000, 15), f"per hub: {stored_per_hub()}"
        assert all(count > 0 for count in stored_per_hub()), f"per hub: {stored_per_hub()}"
        for hub in (first, second):
            assert wait_until(lambda hub=hub: online(hub) >= {ZWOLLE, DALFSEN}, 15)
            # Each live view saw every event, the other hub's share through its stored notices: no false gaps.
            assert wait_until(lambda hub=hub: delivery(hub) == {ZWOLLE: (1000, 0), DALFSEN: (1000, 0)}, 15), delivery(
                hub
            )
        drained = wait_until(lambda: consumer_state([node.url], accounts) == (0, 0), 30)
        assert drained, consumer_state([node.url], accounts)
    finally:
        zwolle.stop()
        dalfsen.stop()


def test_the_hub_connects_anew_after_a_node_refused_its_login_while_the_callout_was_away(
    node: NatsServer, accounts: BrokerAccounts, influx: InfluxServer, hubs: list[Hub], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node restarted while no auth callout answers refuses every login; nats-py then closes the hub's
    connection for good. The JetStream source connects anew (with a warning) once logins work again, and stores
    what the station sent before and after."""
    hub = start(hubs, jetstream_hub_settings(node, accounts, influx))
    where = topic("zwolle", ZWOLLE, TopicKind.EVENT)
    station = station_client(node, accounts, ZWOLLE)
    for seq in range(1, 101):
        station.publish(where, make_event(seq).to_json(), qos=1)
    assert wait_until(lambda: stored_count(hub) == 100, 60), f"stored {stored_count(hub)}"
    station.stop()
    with monkeypatch.context() as patch:
        patch.setattr(NatsAuthService, "start", lambda service, timeout=30.0: service)  # the callout stays away
        node.stop()
        node.start()
        refused = "authentication error"
        assert wait_until(lambda: refused in (node.log_path.read_text()), 30), "the node refused no login"
        time.sleep(2)  # the hub tries again meanwhile, and is refused again
        # /api/v1/health says why no event arrives (a login refused is not a failure of the hub: 200).
        answer = TestClient(create_app(hub.state)).get("/api/v1/health")
        assert answer.status_code == 200 and answer.json()["ingest"]["source"] == "jetstream"
        assert answer.json()["ingest"]["problem"], answer.json()
    assert node.auth_service is not None
    node.auth_service.start()
    station = station_client(node, accounts, ZWOLLE)
    try:
        for seq in range(101, 201):
            station.publish(where, make_event(seq).to_json(), qos=1)
        assert wait_until(lambda: stored_count(hub) == 200, 60), f"stored {stored_count(hub)}"
        assert wait_until(lambda: consumer_state([node.url], accounts) == (0, 0), 30)
        assert TestClient(create_app(hub.state)).get("/api/v1/health").json()["ingest"] == {
            "source": "jetstream",
            "problem": None,
        }
    finally:
        station.stop()


def test_the_hub_connects_anew_after_its_login_expired(
    node: NatsServer, accounts: BrokerAccounts, influx: InfluxServer, hubs: list[Hub], caplog: pytest.LogCaptureFixture
) -> None:
    """With user JWTs of two seconds, NATS closes the hub's connection when its JWT expires, and nats-py gives that
    connection up for good: the JetStream source connects anew each time, and every event is stored."""
    assert node.auth_service is not None
    node.auth_service.stop()
    short = NatsAuthService(node.callout, [node.url], jwt_lifetime_s=2).start()
    try:
        hub = start(hubs, jetstream_hub_settings(node, accounts, influx))
        where = topic("zwolle", ZWOLLE, TopicKind.EVENT)
        station = station_client(node, accounts, ZWOLLE)
        try:
            for seq in range(1, 301):
                station.publish(where, make_event(seq).to_json(), qos=1)
                time.sleep(0.02)  # six seconds of events: the hub's login expires at least twice meanwhile
            assert wait_until(lambda: stored_count(hub) == 300, 90), f"stored {stored_count(hub)}"
        finally:
            station.stop()
    finally:
        short.stop()
    anew = [record for record in caplog.records if "connecting anew" in record.getMessage()]
    assert len(anew) >= 2 and all(record.levelname == "WARNING" for record in anew), len(anew)
