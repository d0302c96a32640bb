"""A stolen station's credentials against a broker with accounts (docs/broker.md): the attacks of issue 13,
findings 3 and 4, made with a raw paho client (not the project's MqttClient) and the station's own account.

Each test first shows the attack's connection or message is one the broker accepts from that account (it logs
in, the station's own topics work), then that it changes nothing of anyone else's: the hub's queue, another
station's status, another site's data, the dashboard's tiles."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from core.contract import DeviceHealth, Heartbeat, StationState, StationStatus, TopicKind, topic
from core.transport.mqtt import end_session
from hub.broker_accounts import HUB_LIVE_USER, HUB_USER, BrokerAccounts
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import make_event
from tests.conftest import wait_until
from tests.integration.conftest import OBSERVER, influx_query, secured_hub_settings, stored_count

Secured = tuple[MosquittoServer, BrokerAccounts]
ZWOLLE, DALFSEN, OMMEN = "zwolle-plastic-1", "dalfsen-plastic-1", "ommen-textile-1"


class Raw:
    """A bare paho client with one account: it logs in with whatever client id it is given."""

    def __init__(self, broker: MosquittoServer, accounts: BrokerAccounts, user: str, client_id: str) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311)
        self.client.username_pw_set(user, accounts.passwords[user])
        self.connected = threading.Event()
        self.connects = 0
        self.drops = 0  # disconnects this client did not ask for
        self.received: list[paho.MQTTMessage] = []
        self._leaving = False
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = lambda _c, _u, message: self.received.append(message)
        self.broker = broker

    def _on_connect(self, _c: Any, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if not reason.is_failure:
            self.connects += 1
            self.connected.set()

    def _on_disconnect(self, _c: Any, _u: Any, _flags: Any, _reason: Any, _props: Any) -> None:
        self.connected.clear()
        if not self._leaving:
            self.drops += 1

    def start(self) -> Raw:
        self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        assert self.connected.wait(10), "the account could not log in"
        return self

    def publish(self, where: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(where, payload, qos=1, retain=retain).wait_for_publish(10)

    def stop(self) -> None:
        self._leaving = True
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def raw(broker: MosquittoServer, accounts: BrokerAccounts, user: str, client_id: str | None = None) -> Iterator[Raw]:
    connection = Raw(broker, accounts, user, client_id or f"{user}-{uuid.uuid4().hex[:6]}").start()
    try:
        yield connection
    finally:
        connection.stop()


def secured_hub(broker: MosquittoServer, accounts: BrokerAccounts, influx: InfluxServer) -> Hub:
    hub = Hub(secured_hub_settings(broker, accounts, influx))
    hub.start()
    assert hub.wait_subscribed(10)
    return hub


def status(site: str, station: str, state: StationState) -> bytes:
    return StationStatus(
        site=site, station=station, state=state, since=datetime.now(UTC), software_version="0.6.0"
    ).to_json()


def heartbeat(site: str, station: str) -> bytes:
    return Heartbeat(
        site=site,
        station=station,
        boot_id=uuid.uuid4(),
        station_time=datetime.now(UTC),
        uptime_s=60.0,
        scale=DeviceHealth.OK,
        camera=DeviceHealth.OK,
        model_version=None,
        journal_depth=0,
        oldest_unsent_age_s=None,
        clock_synced=True,
        events_made=0,
        events_sent=0,
        warnings=[],
        software_version="0.6.0",
    ).to_json()


def test_a_station_cannot_take_over_the_hub_session(secured: Secured, influx: InfluxServer) -> None:
    """Finding 3: with 50 acknowledged events queued for the hub's persistent session while the hub is down, a
    station logging in with the hub's client ids (clean session: 'drop what you kept for it') must not take
    that session over. When the hub comes back all 50 are stored."""
    broker, accounts = secured
    hub = secured_hub(broker, accounts, influx)  # registers the hub's persistent session and subscription
    settings = hub.settings
    hub.stop()
    with raw(broker, accounts, ZWOLLE) as station:
        for seq in range(1, 51):
            station.publish(topic("zwolle", ZWOLLE, TopicKind.EVENT), make_event(seq, station=ZWOLLE).to_json())
    # The ids the hub's ingest session has ever had: the configured one (the broker's before ids were bound
    # to accounts) and the account's name (the one the broker gives it now); and the live client's.
    for stolen in (f"{settings.client_id}-ingest", HUB_USER, HUB_LIVE_USER, f"{settings.client_id}-live"):
        # paho's default for MQTT 3.1.1 is a clean session: "drop what you kept for this id". The login itself
        # succeeds (raw() checks): the attack is not refused for a bad password.
        with raw(broker, accounts, ZWOLLE, stolen):
            time.sleep(0.3)
    hub = Hub(settings)
    hub.start()
    try:
        assert wait_until(lambda: stored_count(hub) >= 50, 20), f"stored {stored_count(hub)} of 50"
        time.sleep(0.5)
        assert stored_count(hub) == 50
    finally:
        hub.stop()


def test_a_station_cannot_fire_another_stations_last_will(secured: Secured) -> None:
    """Finding 3: a station logging in with another station's client id must not push it off the broker, so
    that station's last will ('offline', retained) must not fire: its retained status stays 'online'."""
    broker, accounts = secured
    zwolle_status = topic("zwolle", ZWOLLE, TopicKind.STATUS)
    seen: list[bytes] = []
    with raw(broker, accounts, OBSERVER) as observer:
        observer.client.on_message = lambda _c, _u, message: seen.append(message.payload)
        observer.client.subscribe(zwolle_status, qos=1)
        victim = Raw(broker, accounts, ZWOLLE, f"station-{ZWOLLE}")
        victim.client.will_set(zwolle_status, status("zwolle", ZWOLLE, StationState.OFFLINE), qos=1, retain=True)
        victim.start()
        victim.publish(zwolle_status, status("zwolle", ZWOLLE, StationState.ONLINE), retain=True)
        assert wait_until(lambda: len(seen) == 1, 10)
        # The station's client id as the stations make it, and as the broker now names it (its user name).
        for stolen in (f"station-{ZWOLLE}", ZWOLLE):
            with raw(broker, accounts, DALFSEN, stolen):
                time.sleep(0.5)
        time.sleep(0.5)
        assert victim.drops == 0 and victim.connects == 1, "the station was pushed off the broker"
        victim.stop()
    assert [StationStatus.model_validate_json(p).state for p in seen] == [StationState.ONLINE]
    with raw(broker, accounts, OBSERVER) as fresh:  # what a hub starting now would read
        fresh.client.subscribe(zwolle_status, qos=1)
        assert wait_until(lambda: len(fresh.received) == 1, 10)
        assert StationStatus.model_validate_json(fresh.received[0].payload).state == StationState.ONLINE


def test_a_station_publishes_only_under_its_own_site_and_id(secured: Secured, influx: InfluxServer) -> None:
    """Finding 4: the ACL names the station's site, not only its id. A Zwolle station's event under Dalfsen's
    topic (payload matching, so the hub would take it), under another station's topic, and heartbeats with
    invented sites are dropped by the broker: the hub stores and shows only what is the station's own."""
    broker, accounts = secured
    hub = secured_hub(broker, accounts, influx)
    try:
        with raw(broker, accounts, ZWOLLE) as station:
            station.publish(
                topic("dalfsen", ZWOLLE, TopicKind.EVENT),
                make_event(1, station=ZWOLLE, site="dalfsen").to_json(),
            )
            station.publish(
                topic("ommen", OMMEN, TopicKind.EVENT),
                make_event(1, station=OMMEN, site="ommen", stream="textile", category="creme").to_json(),
            )
            for n in range(30):
                station.publish(topic(f"invented-{n}", ZWOLLE, TopicKind.HEARTBEAT), heartbeat(f"invented-{n}", ZWOLLE))
            station.publish(topic("dalfsen", DALFSEN, TopicKind.HEARTBEAT), heartbeat("dalfsen", DALFSEN))
            # Its own topics, last: once these arrive, anything the broker let through has arrived before them.
            station.publish(topic("zwolle", ZWOLLE, TopicKind.EVENT), make_event(2, station=ZWOLLE).to_json())
            station.publish(topic("zwolle", ZWOLLE, TopicKind.HEARTBEAT), heartbeat("zwolle", ZWOLLE))
        assert wait_until(lambda: stored_count(hub) >= 1 and len(hub.live.as_dicts()) >= 1, 10)
        time.sleep(1.0)  # give a wrongly allowed message every chance to arrive
        assert stored_count(hub) == 1, "the broker let a station publish under another site or station"
        sites = influx_query(hub, 'SHOW TAG VALUES FROM "sorting_event" WITH KEY = "site"')
        assert [row[1] for row in sites] == ["zwolle"]
        assert [(v["site"], v["station"]) for v in hub.live.as_dicts()] == [("zwolle", ZWOLLE)]
    finally:
        hub.stop()


def test_a_station_reads_only_its_own_config(secured: Secured) -> None:
    """A station subscribing to everything, or to another station's config or status, gets only its own
    config: not other stations' configs, statuses or events, and not a config under another site."""
    broker, accounts = secured
    with raw(broker, accounts, HUB_USER) as hub:  # no hub runs here: the hub's account is free to use
        for site, station in (("zwolle", ZWOLLE), ("ommen", OMMEN), ("dalfsen", ZWOLLE)):
            hub.publish(topic(site, station, TopicKind.CONFIG), f"config of {site}/{station}".encode(), retain=True)
    with raw(broker, accounts, OMMEN) as ommen:
        ommen.publish(topic("ommen", OMMEN, TopicKind.STATUS), status("ommen", OMMEN, StationState.ONLINE), True)
    with raw(broker, accounts, ZWOLLE) as station:
        for wanted in ("#", "sortcentre/v1/#", "sortcentre/v1/+/+/config", topic("ommen", OMMEN, TopicKind.CONFIG)):
            station.client.subscribe(wanted, qos=1)
        station.client.subscribe(topic("zwolle", ZWOLLE, TopicKind.CONFIG), qos=1)
        with raw(broker, accounts, OMMEN) as ommen:  # and what is published while it listens
            ommen.publish(
                topic("ommen", OMMEN, TopicKind.EVENT),
                make_event(1, station=OMMEN, site="ommen", stream="textile", category="creme").to_json(),
            )
        assert wait_until(lambda: len(station.received) >= 1, 10)
        time.sleep(1.0)
        got = {(m.topic, m.payload) for m in station.received}
    assert got == {(topic("zwolle", ZWOLLE, TopicKind.CONFIG), b"config of zwolle/zwolle-plastic-1")}


def test_ending_the_hubs_session_ends_the_hub_accounts_session(secured: Secured, influx: InfluxServer) -> None:
    """end_session() with the hub's [mqtt] settings (as forget_sessions does) still ends the ingest session:
    the id it asks for is replaced by the account's, the one the hub's session has."""
    broker, accounts = secured
    hub = secured_hub(broker, accounts, influx)
    settings = hub.settings
    hub.stop()
    with raw(broker, accounts, ZWOLLE) as station:
        for seq in range(1, 6):
            station.publish(topic("zwolle", ZWOLLE, TopicKind.EVENT), make_event(seq, station=ZWOLLE).to_json())
    end_session(settings.mqtt, f"{settings.client_id}-ingest")
    hub = secured_hub(broker, accounts, influx)
    try:
        with raw(broker, accounts, ZWOLLE) as station:  # the next event arrives: the 5 before it were dropped
            station.publish(topic("zwolle", ZWOLLE, TopicKind.EVENT), make_event(6, station=ZWOLLE).to_json())
        assert wait_until(lambda: stored_count(hub) >= 1, 10)
        time.sleep(0.5)
        assert stored_count(hub) == 1
    finally:
        hub.stop()
