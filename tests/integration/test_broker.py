"""The broker as the hub relies on it: per-station accounts with an ACL, and queued messages for the hub's
persistent session that survive a broker restart."""

from __future__ import annotations

import time
from pathlib import Path

from core.contract import TopicKind, topic
from core.transport.mqtt import InboundMessage, MqttClient
from core.transport.settings import MqttSettings
from hub.broker_accounts import BrokerAccounts
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import make_event
from tests.conftest import unique, wait_until
from tests.integration.conftest import hub_settings, secured_hub_settings, stored_count


def client(broker: MosquittoServer, user: str | None, password: str | None, name: str) -> MqttClient:
    settings = MqttSettings(host=broker.host, port=broker.port, username=user, password=password)
    connection = MqttClient(settings, name)
    connection.start()
    return connection


def test_a_station_cannot_publish_as_another(
    secured: tuple[MosquittoServer, BrokerAccounts], influx: InfluxServer
) -> None:
    broker, accounts = secured
    hub = Hub(secured_hub_settings(broker, accounts, influx))
    hub.start()
    zwolle = client(broker, "zwolle-plastic-1", accounts.passwords["zwolle-plastic-1"], "station-zwolle")
    assert zwolle.wait_connected(10) and hub.wait_subscribed(10)
    own = make_event(1, station="zwolle-plastic-1")
    spoofed = make_event(1, station="ommen-textile-1", site="ommen", stream="textile", category="creme")
    zwolle.publish(topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT), own.to_json())
    zwolle.publish(topic("ommen", "ommen-textile-1", TopicKind.EVENT), spoofed.to_json())
    assert wait_until(lambda: stored_count(hub) >= 1, 10)
    time.sleep(1.0)  # give a wrongly allowed message every chance to arrive
    assert stored_count(hub) == 1, "the broker let a station publish under another station's topic"
    assert hub.live.as_dicts() == [] or all(v["station"] != "ommen-textile-1" for v in hub.live.as_dicts())

    wrong_password = client(broker, "zwolle-plastic-1", "not-the-password", "station-intruder")
    anonymous = client(broker, None, None, "anonymous")
    time.sleep(1.5)
    assert not wrong_password.connected.is_set() and not anonymous.connected.is_set()
    for connection in (zwolle, wrong_password, anonymous):
        connection.stop()
    hub.stop()


def test_queued_messages_for_the_hub_survive_a_broker_restart(tmp_path: Path, influx: InfluxServer) -> None:
    with MosquittoServer(tmp_path / "broker") as broker:
        settings = hub_settings(broker, influx)
        hub = Hub(settings)
        hub.start()  # registers the hub's persistent session and shared subscription
        assert hub.wait_subscribed(10)
        hub.stop()  # the hub is away ...
        station = client(broker, None, None, "station-zwolle")
        assert station.wait_connected(10)
        acked: list[int] = []
        station.add_published_listener(acked.append)
        for seq in range(1, 301):  # ... while a station publishes; the broker acknowledges and queues
            station.publish(topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT), make_event(seq).to_json())
        assert wait_until(lambda: len(acked) == 300, 10)
        station.stop()
        broker.stop()  # a clean broker restart writes its persistence file
        broker.start()
        hub = Hub(settings)
        hub.start()
        assert wait_until(lambda: stored_count(hub) == 300, 30), f"stored {stored_count(hub)} of 300"
        hub.stop()


def test_every_message_arrives_whole_and_in_order_across_read_chunks(mosquitto: MosquittoServer) -> None:
    """The client reads the socket in 64 KiB chunks: messages of every size, many packed into one chunk and
    some spread over several, must come out exactly as sent."""
    import random
    import threading

    rng = random.Random(5)
    sizes = [rng.choice([1, 7, 300, 2_000, 9_000, 70_000, 200_000]) for _ in range(1_500)]
    sent = [bytes([i % 251]) * size for i, size in enumerate(sizes)]
    received: list[bytes] = []
    done = threading.Event()

    def on_message(message: InboundMessage) -> None:
        received.append(message.payload)
        if len(received) == len(sent):
            done.set()

    settings = MqttSettings(host=mosquitto.host, port=mosquitto.port)
    subscriber = MqttClient(settings, "chunked-reader")
    subscriber.subscribe("chunks/test", on_message)
    subscriber.start()
    publisher = MqttClient(settings, "chunked-writer")
    publisher.start()
    assert subscriber.wait_connected(10) and publisher.wait_connected(10)
    time.sleep(0.3)
    for payload in sent:
        while publisher.publish("chunks/test", payload, qos=1) is None:
            time.sleep(0.001)
    assert done.wait(60), f"received {len(received)} of {len(sent)}"
    assert received == sent
    publisher.stop()
    subscriber.stop()


def test_acknowledged_in_one_write_means_the_broker_forgets_them(mosquitto: MosquittoServer) -> None:
    """ack_in_order() sends a batch's PUBACKs as one packet: the broker must take every one of them, so a
    persistent session that reconnects gets back exactly the messages left unacknowledged, and nothing else."""
    import threading

    settings = MqttSettings(host=mosquitto.host, port=mosquitto.port)
    client_id = unique("batch-acker")
    received: list[InboundMessage] = []
    all_in = threading.Event()
    total, left_unacknowledged = 3_000, 250

    def on_message(message: InboundMessage) -> None:
        received.append(message)
        if len(received) == total:
            all_in.set()

    receiver = MqttClient(settings, client_id, clean_session=False, manual_ack=True, max_inflight=total)
    receiver.subscribe("acks/test", on_message)
    receiver.start()
    publisher = MqttClient(settings, unique("acks-publisher"))
    publisher.start()
    assert receiver.wait_connected(10) and publisher.wait_connected(10)
    time.sleep(0.3)
    for n in range(total):
        while publisher.publish("acks/test", str(n).encode(), qos=1) is None:
            time.sleep(0.001)
    assert all_in.wait(60), f"received {len(received)} of {total}"
    acknowledged = received[: total - left_unacknowledged]
    half = len(acknowledged) // 2
    receiver.ack_in_order([m.mid for m in acknowledged[:half]])
    receiver.ack_in_order([m.mid for m in acknowledged[half:]])
    time.sleep(0.5)
    receiver.stop()

    redelivered: list[bytes] = []
    again = MqttClient(settings, client_id, clean_session=False)
    again.subscribe("acks/test", lambda m: redelivered.append(m.payload))
    again.start()
    assert wait_until(lambda: len(redelivered) >= left_unacknowledged, 20)
    time.sleep(0.5)  # anything wrongly kept would arrive together with the rest
    again.stop()
    publisher.stop()
    assert sorted(redelivered) == sorted(m.payload for m in received[total - left_unacknowledged :])


def test_the_publish_reader_keeps_qos_retain_topic_and_payload(mosquitto: MosquittoServer) -> None:
    """The client reads PUBLISH packets itself (QoS 0 and 1): flags, packet ids, UTF-8 topics and empty
    payloads must come out as paho would give them."""
    settings = MqttSettings(host=mosquitto.host, port=mosquitto.port)
    base = f"reader/{unique('t')}"
    publisher = MqttClient(settings, unique("reader-publisher"))
    publisher.start()
    assert publisher.wait_connected(10)
    publisher.publish(f"{base}/retained/é", b"kept", qos=0, retain=True)
    publisher.publish(f"{base}/retained/empty", b"", qos=1, retain=True)  # nothing kept for an empty payload
    time.sleep(0.3)

    received: list[InboundMessage] = []
    subscriber = MqttClient(settings, unique("reader-subscriber"))
    subscriber.subscribe(f"{base}/#", received.append, qos=1)
    subscriber.start()
    assert subscriber.wait_connected(10)
    assert wait_until(lambda: len(received) == 1, 10)
    publisher.publish(f"{base}/live", b"\x00\xffbinary", qos=1)
    publisher.publish(f"{base}/live0", b"", qos=0)
    assert wait_until(lambda: len(received) == 3, 10)
    subscriber.stop()
    publisher.stop()
    retained, live, live0 = received
    assert (retained.topic, retained.payload, retained.qos, retained.retain) == (f"{base}/retained/é", b"kept", 0, True)
    assert (live.topic, live.payload, live.qos, live.retain) == (f"{base}/live", b"\x00\xffbinary", 1, False)
    assert live.mid > 0
    assert (live0.payload, live0.qos, live0.retain, live0.mid) == (b"", 0, False, 0)
