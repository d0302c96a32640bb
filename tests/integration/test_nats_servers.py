"""Real nats-server (Debian 2.9) with MQTT and JetStream, as local_servers/nats.py starts it: stations' QoS 1
MQTT events land in JetStream, station accounts are held to their own topics, a three-node cluster keeps an R3
stream through a node restart, and when the server answers PUBACK relative to storing (docs/broker.md,
"NATS JetStream")."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import paho.mqtt.client as paho
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DiscardPolicy, StreamConfig

from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from core.transport.subjects import subject
from hub.broker_accounts import HUB_USER, BrokerAccounts
from hub.fleet.registry import StationRegistry
from hub.ingest.jetstream import MQTT_MSGS_PREFIX, MQTT_STREAM
from local_servers.certs import make_server_certs
from local_servers.fleet import make_event
from local_servers.mosquitto import mqtt_connack
from local_servers.nats import NatsCluster, NatsNode, NatsServer
from tests.conftest import wait_until
from tests.integration.conftest import OBSERVER, SECURED_STATIONS

pytestmark = pytest.mark.timeout(90)

ZWOLLE = "zwolle-plastic-1"
ZWOLLE_EVENTS = topic("zwolle", ZWOLLE, TopicKind.EVENT)
EVENT_SUBJECTS = subject("sortcentre/v1/+/+/event")
# The hub's durable consumer on NATS's own MQTT stream: the stream a QoS 1 PUBACK waits for (docs/broker.md).
HUB_CONSUMER = "hub-ingest"


@pytest.fixture
def accounts(tmp_path: Path) -> BrokerAccounts:
    accounts = BrokerAccounts(tmp_path / "auth")
    accounts.add_hub(HUB_USER)
    accounts.add_observer(OBSERVER)
    for station, site in SECURED_STATIONS.items():
        accounts.add_station(station, site)
    return accounts


@pytest.fixture
def single(tmp_path: Path, accounts: BrokerAccounts) -> Iterator[NatsServer]:
    with NatsServer(tmp_path / "nats", accounts=accounts) as server:
        yield server


@pytest.fixture
def cluster(tmp_path: Path, accounts: BrokerAccounts) -> Iterator[NatsCluster]:
    with NatsCluster(tmp_path / "cluster", accounts=accounts) as servers:
        yield servers


def station(node: NatsNode, accounts: BrokerAccounts, user: str, client_id: str | None = None) -> paho.Client:
    """A plain paho client as a station uses it: persistent session, QoS 1, its account's user and password."""
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id or user, clean_session=False)
    client.username_pw_set(user, accounts.passwords[user])
    client.connect(node.host, node.mqtt_port, keepalive=10)
    client.loop_start()
    # Up to 30 s: right after a node left, nats-server 2.9.10 refuses MQTT logins for about 9 s and paho retries.
    assert wait_until(client.is_connected, 30), f"{user} did not connect to {node.server_name}"
    return client


def mqtt_login(node: NatsNode, accounts: BrokerAccounts) -> bool:
    """A clean-session login with the hub's account is accepted (NATS does not bind client ids to accounts)."""
    return mqtt_connack(node.host, node.mqtt_port, HUB_USER, accounts.passwords[HUB_USER], timeout=6) == 0


def publish_acked(client: paho.Client, count: int, first: int = 0, mqtt_topic: str = ZWOLLE_EVENTS) -> int:
    """Publish ``count`` events at QoS 1, each waited for until its PUBACK: how many were acknowledged.

    Up to 15 s each: right after a node left, NATS's store into $MQTT_msgs can time out while its leader moves;
    the server then closes the connection without PUBACK and paho resends the event after reconnecting."""
    acked = 0
    for number in range(first, first + count):
        info = client.publish(mqtt_topic, make_event(number + 1, station=ZWOLLE).to_json(), qos=1)
        info.wait_for_publish(15)
        acked += info.is_published()
    return acked


def close(client: paho.Client) -> None:
    client.disconnect()
    client.loop_stop()


async def _jetstream(urls: list[str], accounts: BrokerAccounts, call: str, **kwargs: object) -> object:
    connection = await nats.connect(
        servers=urls, user=HUB_USER, password=accounts.passwords[HUB_USER], connect_timeout=5, max_reconnect_attempts=5
    )
    try:
        js = connection.jetstream(timeout=5)
        if call == "add_stream":
            return await js.add_stream(StreamConfig(**kwargs))  # type: ignore[arg-type]
        if call == "add_consumer":
            stream = str(kwargs.pop("stream"))
            return await js.add_consumer(stream, ConsumerConfig(**kwargs))  # type: ignore[arg-type]
        if call == "messages":
            return (await js.stream_info(str(kwargs["stream"]))).state.messages
        if call == "event_ids":  # every stored event's id, read one by one (tests keep streams small)
            name = str(kwargs["stream"])
            state = (await js.stream_info(name)).state
            ids = []
            for seq in range(state.first_seq, state.last_seq + 1):
                try:
                    message = await js.get_msg(name, seq)
                except nats.js.errors.NotFoundError:  # removed (interest retention) or never there
                    continue
                ids.append(json.loads(message.data or b"{}").get("event_id"))
            return ids
        if call == "leader":  # the server name of the stream's leader
            return (await js.stream_info(str(kwargs["stream"]))).cluster.leader  # type: ignore[union-attr]
        if call == "pending":
            return (await js.consumer_info(str(kwargs["stream"]), HUB_CONSUMER)).num_pending
        raise ValueError(call)
    finally:
        await connection.close()


def jetstream(urls: list[str], accounts: BrokerAccounts, call: str, **kwargs: object) -> object:
    return asyncio.run(_jetstream(urls, accounts, call, **kwargs))


def events_stream(urls: list[str], accounts: BrokerAccounts, replicas: int = 1, **limits: object) -> None:
    """The stream a hub would read if it took the MQTT subjects as they are: sortcentre.v1.<site>.<station>.event."""
    jetstream(urls, accounts, "add_stream", name="EVENTS", subjects=[EVENT_SUBJECTS], num_replicas=replicas, **limits)


def hub_consumer(node: NatsNode, urls: list[str], accounts: BrokerAccounts) -> None:
    """A durable pull consumer on $MQTT_msgs for the events: it holds them (interest retention) until acked.

    NATS makes its MQTT streams at an account's first MQTT connection: a clean-session login makes them."""
    assert mqtt_login(node, accounts)
    jetstream(
        urls,
        accounts,
        "add_consumer",
        stream=MQTT_STREAM,
        durable_name=HUB_CONSUMER,
        filter_subject=MQTT_MSGS_PREFIX + EVENT_SUBJECTS,
        ack_policy=AckPolicy.EXPLICIT,
    )


def count(urls: list[str], accounts: BrokerAccounts, stream: str = "EVENTS") -> int:
    """Messages in the stream, -1 while JetStream cannot say (a leader election after a node stopped)."""
    try:
        return int(jetstream(urls, accounts, "messages", stream=stream))  # type: ignore[call-overload]
    except (nats.errors.Error, TimeoutError):
        return -1


def distinct_events(urls: list[str], accounts: BrokerAccounts, stream: str = "EVENTS") -> int:
    """Distinct event ids in the stream: a resend after a store that timed out may be stored twice (at least
    once; the hub counts each event id once), so completeness is a count of distinct ids."""
    try:
        return len(set(jetstream(urls, accounts, "event_ids", stream=stream)))  # type: ignore[call-overload]
    except (nats.errors.Error, TimeoutError):
        return -1


def pending(urls: list[str], accounts: BrokerAccounts) -> int:
    """Messages the hub's consumer has not yet been given, -1 while JetStream cannot say."""
    try:
        return int(jetstream(urls, accounts, "pending", stream=MQTT_STREAM))  # type: ignore[call-overload]
    except (nats.errors.Error, TimeoutError):
        return -1


def test_station_events_over_mqtt_land_in_a_stream_on_one_node(single: NatsServer, accounts: BrokerAccounts) -> None:
    urls = [single.url]
    events_stream(urls, accounts)
    zwolle = station(single, accounts, ZWOLLE)
    assert publish_acked(zwolle, 20) == 20
    close(zwolle)
    assert wait_until(lambda: count(urls, accounts) == 20, 10), count(urls, accounts)


def test_station_events_land_in_an_r3_stream_from_every_node(cluster: NatsCluster, accounts: BrokerAccounts) -> None:
    events_stream(cluster.urls, accounts, replicas=3)
    for number, node in enumerate(cluster):
        zwolle = station(node, accounts, ZWOLLE)
        assert publish_acked(zwolle, 10, first=number * 10) == 10
        close(zwolle)
    assert wait_until(lambda: count(cluster.urls, accounts) == 30, 15), count(cluster.urls, accounts)


def test_the_stations_own_mqtt_client_publishes_into_the_stream(cluster: NatsCluster, accounts: BrokerAccounts) -> None:
    """core/transport's MqttClient, as the station's publisher uses it (persistent session, QoS 1, the account
    of docs/broker.md): every publish is acknowledged and stored, nothing NATS-specific in its settings."""
    events_stream(cluster.urls, accounts, replicas=3)
    node = cluster.nodes[1]
    settings = MqttSettings(host=node.host, port=node.mqtt_port, username=ZWOLLE, password=accounts.passwords[ZWOLLE])
    client = MqttClient(settings, ZWOLLE, clean_session=False)
    acknowledged: list[int] = []
    client.add_published_listener(acknowledged.append)
    client.start()
    try:
        assert client.wait_connected(10)
        mids = [client.publish(ZWOLLE_EVENTS, make_event(n, station=ZWOLLE).to_json()) for n in range(1, 101)]
        assert None not in mids
        assert wait_until(lambda: len(acknowledged) == 100, 15), len(acknowledged)
    finally:
        client.stop()
    assert wait_until(lambda: count(cluster.urls, accounts) == 100, 15), count(cluster.urls, accounts)


def test_a_station_publishes_over_tls(tmp_path: Path, accounts: BrokerAccounts) -> None:
    """The MQTT port with TLS (a private CA, as a site would have): the station's MqttClient with ``tls`` and
    ``ca_file`` publishes into the stream; a plain-text CONNECT gets no CONNACK."""
    certs = make_server_certs(tmp_path / "certs")
    with NatsServer(tmp_path / "nats", accounts=accounts, tls=certs) as node:
        urls = [node.url]
        events_stream(urls, accounts)
        assert isinstance(mqtt_connack(node.host, node.mqtt_port, timeout=2), str)  # no CONNACK in plain text
        settings = MqttSettings(
            host=node.host,
            port=node.mqtt_port,
            username=ZWOLLE,
            password=accounts.passwords[ZWOLLE],
            tls=True,
            ca_file=str(certs.ca_file),
        )
        client = MqttClient(settings, ZWOLLE, clean_session=False)
        acknowledged: list[int] = []
        client.add_published_listener(acknowledged.append)
        client.start()
        try:
            assert client.wait_connected(10), client.problem
            for n in range(1, 11):
                client.publish(ZWOLLE_EVENTS, make_event(n, station=ZWOLLE).to_json())
            assert wait_until(lambda: len(acknowledged) == 10, 10), len(acknowledged)
        finally:
            client.stop()
        assert wait_until(lambda: count(urls, accounts) == 10, 10), count(urls, accounts)


def test_a_station_account_is_held_to_its_own_topics(single: NatsServer, accounts: BrokerAccounts) -> None:
    urls = [single.url]
    events_stream(urls, accounts)
    zwolle = station(single, accounts, ZWOLLE)
    # Another site, another station of another site, an invented site: acknowledged (MQTT 3.1.1 has no
    # negative PUBACK) and dropped, as Mosquitto does.
    for forbidden in (
        topic("dalfsen", "dalfsen-plastic-1", TopicKind.EVENT),
        topic("ommen", "ommen-textile-1", TopicKind.EVENT),
        topic("nowhere", ZWOLLE, TopicKind.EVENT),
    ):
        assert publish_acked(zwolle, 1, mqtt_topic=forbidden) == 1
    assert publish_acked(zwolle, 1, first=1) == 1  # its own topic
    assert wait_until(lambda: count(urls, accounts) >= 1, 10)
    time.sleep(0.5)  # give a wrongly allowed message every chance to arrive
    assert count(urls, accounts) == 1
    close(zwolle)


def test_a_station_account_cannot_read_the_stream(single: NatsServer, accounts: BrokerAccounts) -> None:
    """Stations may connect over MQTT only: the NATS protocol, and with it the JetStream API, is refused."""

    async def connect_as_station() -> None:
        await nats.connect(
            single.url, user=ZWOLLE, password=accounts.passwords[ZWOLLE], allow_reconnect=False, connect_timeout=3
        )

    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        asyncio.run(connect_as_station())
    # Over MQTT it receives nothing but its own config (QoS 1), even subscribed to everything and to the delivery
    # subjects of NATS's MQTT layer ($MQTT.sub.>, which its account may use for its own QoS 1 subscriptions).
    received: list[str] = []
    zwolle = station(single, accounts, ZWOLLE)
    zwolle.on_message = lambda _client, _userdata, message: received.append(message.topic)
    own_config = topic("zwolle", ZWOLLE, TopicKind.CONFIG)
    zwolle.subscribe([(own_config, 1), ("sortcentre/v1/#", 0), ("$MQTT/sub/#", 0), ("$MQTT/#", 0)])
    dalfsen = station(single, accounts, "dalfsen-plastic-1")
    hub = station(single, accounts, HUB_USER)
    time.sleep(0.5)  # the subscriptions are in place
    dalfsen.publish(topic("dalfsen", "dalfsen-plastic-1", TopicKind.EVENT), b"{}", qos=1).wait_for_publish(5)
    hub.publish(topic("dalfsen", "dalfsen-plastic-1", TopicKind.CONFIG), b"{}", qos=1).wait_for_publish(5)
    hub.publish(own_config, b"{}", qos=1).wait_for_publish(5)
    assert wait_until(lambda: received != [], 10)
    time.sleep(0.5)  # give a wrongly allowed message every chance to arrive
    assert received == [own_config]
    for client in (zwolle, dalfsen, hub):
        close(client)


def test_a_station_cannot_take_another_stations_client_id(single: NatsServer, accounts: BrokerAccounts) -> None:
    """The auth callout refuses Dalfsen's account under Zwolle's client id (CONNACK 5, not authorised), from a raw
    socket and from paho retrying; Zwolle is never pushed off and its events still reach the stream."""
    events_stream([single.url], accounts)
    zwolle = station(single, accounts, ZWOLLE)
    pushed_off: list[object] = []
    zwolle.on_disconnect = lambda _client, _userdata, _flags, reason, _props: pushed_off.append(reason)
    dalfsen, password = "dalfsen-plastic-1", accounts.passwords["dalfsen-plastic-1"]
    assert mqtt_connack(single.host, single.mqtt_port, dalfsen, password, timeout=6, client_id=ZWOLLE) == 5
    assert mqtt_connack(single.host, single.mqtt_port, dalfsen, password, timeout=6, client_id=dalfsen) == 0
    thief = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=ZWOLLE, clean_session=False)
    thief.username_pw_set(dalfsen, password)
    thief.connect(single.host, single.mqtt_port, keepalive=10)
    thief.loop_start()
    try:
        time.sleep(2.0)  # paho tries again and again meanwhile
        assert not thief.is_connected()
        assert pushed_off == [], "Dalfsen's account took Zwolle's client id and pushed Zwolle off"
        assert publish_acked(zwolle, 5) == 5
        assert wait_until(lambda: count([single.url], accounts) == 5, 10)
    finally:
        close(thief)
        close(zwolle)
    assert "asked for MQTT client id 'zwolle-plastic-1'" in single.auth_service.log_path.read_text()  # type: ignore[union-attr]


def test_an_r3_stream_keeps_its_messages_when_a_node_stops_and_returns(
    cluster: NatsCluster, accounts: BrokerAccounts
) -> None:
    events_stream(cluster.urls, accounts, replicas=3)
    first, second, third = cluster.nodes
    zwolle = station(first, accounts, ZWOLLE)
    assert publish_acked(zwolle, 50) == 50
    close(zwolle)
    assert wait_until(lambda: count(cluster.urls, accounts) == 50, 15)
    first.stop()
    # While the MQTT streams elect leaders on the remaining nodes, 2.9.10 refuses MQTT logins for seconds.
    assert wait_until(lambda: mqtt_login(second, accounts), 30), "no MQTT login with two of three nodes"
    zwolle = station(second, accounts, ZWOLLE)
    assert publish_acked(zwolle, 50, first=50) == 50  # two of three nodes: the stream still takes events
    close(zwolle)
    first.start()
    first.wait_healthy()
    # The restarted node answers for the stream with all 100, what it kept and what it missed.
    assert wait_until(lambda: distinct_events([first.url], accounts) == 100, 20), distinct_events([first.url], accounts)
    third.stop()
    assert wait_until(lambda: distinct_events([first.url, second.url], accounts) == 100, 20)


def test_puback_does_not_wait_for_a_stream_of_our_own(single: NatsServer, accounts: BrokerAccounts) -> None:
    """A stream on the MQTT subjects receives the events as plain NATS messages, with nobody waiting for its
    answer: a stream that refuses them (here: full, discard new) does not stop the PUBACK. So a stream of our
    own is no basis for the station deleting an event from its journal."""
    urls = [single.url]
    events_stream(urls, accounts, max_msgs=1, discard=DiscardPolicy.NEW)
    zwolle = station(single, accounts, ZWOLLE)
    assert publish_acked(zwolle, 5) == 5
    close(zwolle)
    time.sleep(0.3)
    assert count(urls, accounts) == 1


def test_puback_waits_for_mqtt_msgs_to_store_with_a_quorum(cluster: NatsCluster, accounts: BrokerAccounts) -> None:
    """The PUBACK comes after NATS's own $MQTT_msgs stream (R3 here) stored the message: with two of three nodes
    down there is no quorum to store it, and no PUBACK; back to three, the client's resend is stored and
    acknowledged."""
    hub_consumer(cluster.nodes[0], cluster.urls, accounts)
    first, second, third = cluster.nodes
    zwolle = station(first, accounts, ZWOLLE)
    assert publish_acked(zwolle, 1) == 1
    second.stop()
    third.stop()
    info = zwolle.publish(ZWOLLE_EVENTS, make_event(2, station=ZWOLLE).to_json(), qos=1)
    info.wait_for_publish(6)  # the server's own store request times out after about 4 s
    assert not info.is_published(), "PUBACK without a quorum to store the message"
    second.start()
    third.start()
    for node in cluster:
        node.wait_healthy()
    # paho resends the unacknowledged publish when it is connected again (its persistent session).
    assert wait_until(info.is_published, 30), "no PUBACK after the quorum returned"
    close(zwolle)
    assert wait_until(lambda: pending(cluster.urls, accounts) >= 2, 15), pending(cluster.urls, accounts)


def test_mqtt_msgs_keeps_nothing_without_a_consumer(single: NatsServer, accounts: BrokerAccounts) -> None:
    """$MQTT_msgs has interest retention: events acknowledged while no hub consumer exists are gone, which is why
    the hub's consumer must exist before the stations publish (docs/broker.md)."""
    urls = [single.url]
    zwolle = station(single, accounts, ZWOLLE)
    assert publish_acked(zwolle, 5) == 5
    close(zwolle)
    assert count(urls, accounts, stream=MQTT_STREAM) == 0
    hub_consumer(single, urls, accounts)
    zwolle = station(single, accounts, ZWOLLE)
    assert publish_acked(zwolle, 3, first=5) == 3
    close(zwolle)
    assert wait_until(lambda: pending(urls, accounts) == 3, 10), pending(urls, accounts)


@pytest.mark.parametrize("rounds", [3])
def test_every_acknowledged_event_survives_kill_9_of_its_node(
    cluster: NatsCluster, accounts: BrokerAccounts, rounds: int
) -> None:
    """Publish, take each PUBACK, at once SIGKILL the node the station is connected to (even rounds) or the node
    that leads $MQTT_msgs (odd rounds), restart it: $MQTT_msgs (held by the hub's durable consumer) keeps every
    acknowledged event, round after round."""
    hub_consumer(cluster.nodes[0], cluster.urls, accounts)
    by_name = {node.server_name: node for node in cluster}
    acked = 0
    per_round = 40
    for number in range(rounds):
        node = cluster.nodes[number % len(cluster.nodes)]
        zwolle = station(node, accounts, ZWOLLE)
        leader = by_name[str(jetstream(cluster.urls, accounts, "leader", stream=MQTT_STREAM))]
        victim = node if number % 2 == 0 else leader
        acked += publish_acked(zwolle, per_round, first=number * per_round)
        victim.kill()  # right after the last PUBACK: nothing more is flushed
        zwolle.loop_stop()
        victim.start()
        victim.wait_healthy(js_enabled_only=True)  # its consumer replica may report "not current" for long
        # nats-server 2.9.10 refuses MQTT logins on a restarted node for about 9 s (docs/broker.md).
        assert wait_until(lambda v=victim: mqtt_login(v, accounts), 30), f"{victim.server_name} takes no MQTT login"
        assert wait_until(lambda acked=acked: pending(cluster.urls, accounts) >= acked, 20), (
            pending(cluster.urls, accounts),
            acked,
        )
    assert acked == rounds * per_round
    # Every acknowledged event is there (a resend after a store that timed out may add a copy: at least once).
    assert distinct_events(cluster.urls, accounts, stream=MQTT_STREAM) == acked


def test_a_station_added_to_the_registry_logs_in_at_once_and_a_retired_one_is_refused(
    tmp_path: Path, single: NatsServer
) -> None:
    """`sortcentre stations add|retire` with `fleet.nats_callout_folder`: the callout reads its user file again at
    the next login, so no node or callout restarts (checked from a raw socket)."""
    registry = StationRegistry(tmp_path / "stations.sqlite", nats_callout_folder=single.callout.folder)
    station_id = "staphorst-plastic-9"
    _, password, _ = registry.add(station_id, "staphorst", "plastic")

    def login() -> int | str:
        return mqtt_connack(single.host, single.mqtt_port, station_id, password, timeout=6, client_id=station_id)

    assert login() == 0
    registry.retire(station_id)
    assert login() == 5
