"""Stored notices between hub instances (hub/live/peers.py, core/contract/stored_notices.py): what one hub stored
reaches another's live views as if it had stored it, and a notice that breaks the contract is refused whole."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from core.contract import ContractError, TopicKind, topic
from core.contract.stored_notices import MAX_NOTICE_BYTES, MAX_NOTICE_EVENTS, STORED_TOPIC
from core.transport.protocol import InboundMessage
from hub.ingest.batch import Stored
from hub.ingest.ingest import StoredBatch
from hub.live.activity import increments
from hub.live.peers import PeerHubs, batch_of, notice_of
from local_servers.fleet import make_event
from tests.fakes import FakeMqtt


def stored_batch(count: int, stations: tuple[tuple[str, str], ...] = (("zwolle", "zwolle-plastic-1"),)) -> StoredBatch:
    messages, stored = [], []
    for i in range(count):
        site, station = stations[i % len(stations)]
        event = make_event(i // len(stations) + 1, station=station, site=site, weight_kg=0.1 * (i % 7 + 1))
        messages.append(InboundMessage(topic(site, station, TopicKind.EVENT), event.to_json(), i + 1, 1, False))
        stored.append(Stored.of(i, event))
    return StoredBatch(messages, stored)


TWO = (("zwolle", "zwolle-plastic-1"), ("ommen", "ommen-textile-1"))


def test_another_hubs_notice_gives_the_same_increments_and_last_events() -> None:
    batch = stored_batch(50, TWO)
    again = batch_of(notice_of("hub-a", batch), own_hub="hub-b")
    assert again is not None
    assert increments(again) == increments(batch)
    assert sorted(e.event_id for e in again.latest_per_station()) == sorted(
        e.event_id for e in batch.latest_per_station()
    )


def test_a_hub_skips_its_own_notices() -> None:
    assert batch_of(notice_of("hub-a", stored_batch(3)), own_hub="hub-a") is None


def test_a_large_batch_goes_out_in_several_notices_and_comes_back_whole() -> None:
    mqtt = FakeMqtt()
    received: list[StoredBatch] = []
    sender = PeerHubs("hub-a", mqtt, [])
    batch = stored_batch(MAX_NOTICE_EVENTS * 2 + 10, TWO)
    sender.on_batch_stored(batch)
    notices = mqtt.payloads("_hubs/stored")
    assert len(notices) == 3 and all(len(n) <= MAX_NOTICE_BYTES for n in notices)
    their_mqtt = FakeMqtt()
    PeerHubs("hub-b", their_mqtt, [received.append]).attach()
    for payload in notices:
        their_mqtt.subscriptions[STORED_TOPIC](InboundMessage(STORED_TOPIC, payload, 0, 1, False))
    assert [i for b in received for i in increments(b)] == increments(batch)


@pytest.mark.parametrize(
    "change",
    [
        "station index out of range",
        "last event of another station",
        "unknown field",
        "a site that is not a slug",
        "too large",
    ],
)
def test_a_notice_that_breaks_the_contract_is_refused_whole(change: str) -> None:
    notice = json.loads(notice_of("hub-a", stored_batch(4, TWO)))
    if change == "station index out of range":
        notice["events"][0][0] = 5
    elif change == "last event of another station":
        notice["stations"][0]["station"] = "dalfsen-plastic-9"
    elif change == "unknown field":
        notice["extra"] = 1
    elif change == "a site that is not a slug":
        notice["stations"][0]["site"] = "+"
    payload = json.dumps(notice).encode()
    if change == "too large":
        payload = payload + b" " * MAX_NOTICE_BYTES
    with pytest.raises((ValidationError, ContractError, ValueError)):
        batch_of(payload, own_hub="hub-b")
    received: list[StoredBatch] = []
    their_mqtt = FakeMqtt()
    receiver = PeerHubs("hub-b", their_mqtt, [received.append])
    receiver.attach()
    their_mqtt.subscriptions[STORED_TOPIC](InboundMessage(STORED_TOPIC, payload, 0, 1, False))
    assert received == [] and receiver.refused == 1
