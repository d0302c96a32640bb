"""Each attack of issue 13, then one valid event: it is stored within 2 s, the poison is dead-lettered once,
the live view still works, and after a restart nothing comes back (the poison was acknowledged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tests.abuse.conftest import ACK_WITHIN_S, AbuseHub, Valid, mosquitto_pub, publish_and_time
from tests.abuse.corpus import (
    DUPLICATE_KEY,
    FAR_TIME,
    MAX_PAYLOAD_BYTES,
    RETAINED_EVENT,
    SITE,
    TOO_DEEP,
    TOO_LARGE,
    Corpus,
    dumps,
    topic,
)
from tests.conftest import wait_until

BOMB = b"[" * 1000 + b"]" * 1000


@dataclass(frozen=True)
class Attack:
    kind: str  # event, status or heartbeat topic
    payload: bytes
    reasons: frozenset[str]
    retained: bool = False  # sent retained before the hub starts (the broker hands it over on subscribe)
    may_be_refused_by_broker: bool = False


def event_with(**fields: object) -> bytes:
    pairs = Corpus(3, datetime.now(UTC)).event("poisoner-1", 1)
    return dumps([(k, fields.get(k, v)) for k, v in pairs]).encode()


def duplicated_event() -> bytes:
    pairs = Corpus(4, datetime.now(UTC)).event("poisoner-1", 1)
    return dumps([*pairs, ("seq", 2)]).encode()  # Python's json would keep seq 2, another parser seq 1


def oversized_event() -> bytes:
    text = dumps(Corpus(5, datetime.now(UTC)).event("poisoner-1", 1))
    return (text[:-1] + " " * (MAX_PAYLOAD_BYTES + 1 - len(text)) + "}").encode()  # valid JSON, 8 KiB + 1


ATTACKS = {
    "time_2300": Attack("event", event_with(station_time="2300-01-01T00:00:00.000Z"), FAR_TIME),
    "time_0001": Attack("event", event_with(station_time="0001-01-01T00:00:00.000Z"), FAR_TIME),
    "time_9999": Attack("event", event_with(station_time="9999-12-31T23:59:59.999Z"), FAR_TIME),
    "bomb_event": Attack("event", BOMB, frozenset({TOO_DEEP})),
    "bomb_status": Attack("status", BOMB, frozenset({TOO_DEEP})),
    "bomb_heartbeat": Attack("heartbeat", BOMB, frozenset({TOO_DEEP})),
    "retained_bomb_status": Attack("status", BOMB, frozenset({TOO_DEEP}), retained=True),
    "duplicate_key": Attack("event", duplicated_event(), frozenset({DUPLICATE_KEY})),
    "oversized": Attack("event", oversized_event(), frozenset({TOO_LARGE})),
    # A broker may refuse a retained event itself; if it reaches the hub, the hub must refuse it.
    "retained_event": Attack(
        "event", event_with(), frozenset({RETAINED_EVENT}), retained=True, may_be_refused_by_broker=True
    ),
}


def live_view_works(hub: AbuseHub, station: str) -> bool:
    """A valid status of a new station shows on GET /api/v1/stations (the live MQTT thread is alive)."""
    status = Corpus(6, datetime.now(UTC)).status(station)
    mosquitto_pub(hub.broker, topic(SITE, station, "status"), dumps(status).encode())

    def shown() -> bool:
        answer = hub.http.get("/api/v1/stations")
        return answer.status_code == 200 and any(view["station"] == station for view in answer.json())

    return wait_until(shown, ACK_WITHIN_S, 0.05)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_poison_then_valid(name: str, abuse_hub: AbuseHub) -> None:
    attack = ATTACKS[name]
    where = topic(SITE, "poisoner-1", attack.kind)
    if attack.retained:
        mosquitto_pub(abuse_hub.broker, where, attack.payload, retain=True)
        abuse_hub.start()
    else:
        abuse_hub.start()
        mosquitto_pub(abuse_hub.broker, where, attack.payload)
    valid = Valid()
    took = publish_and_time(abuse_hub, valid)
    assert took <= ACK_WITHIN_S, f"{name}: the valid event after it took {took:.2f} s; log:\n{abuse_hub.log_tail()}"
    assert wait_until(lambda: abuse_hub.events_acked() >= 1, ACK_WITHIN_S, 0.05), (
        f"{name}: the valid event was written but its batch never acknowledged; log:\n{abuse_hub.log_tail()}"
    )

    def poison_counted() -> bool:
        return bool(abuse_hub.dead_letter_counts()) or attack.may_be_refused_by_broker

    assert wait_until(poison_counted, ACK_WITHIN_S, 0.05), f"{name} was not dead-lettered"
    counts = abuse_hub.dead_letter_counts()
    allowed = (
        [{}, *({r: 1} for r in attack.reasons)] if attack.may_be_refused_by_broker else [{r: 1} for r in attack.reasons]
    )
    assert counts in allowed, f"{name}: dead letters {counts}, expected one of {sorted(attack.reasons)}"
    assert abuse_hub.rejected_metrics() == counts, f"{name}: /metrics disagrees with the dead letters {counts}"
    assert abuse_hub.stored_count() == 1, f"{name}: the poison was stored"
    assert live_view_works(abuse_hub, "probe-live-1"), f"{name}: the live view stopped; log:\n{abuse_hub.log_tail()}"

    # Acknowledged: a restarted hub gets nothing of it again (a retained one only once more, on subscribe).
    assert abuse_hub.stop() is not None, f"{name}: the hub did not stop on SIGTERM"
    abuse_hub.start()
    took = publish_and_time(abuse_hub, valid)
    assert took <= ACK_WITHIN_S, f"{name}: after a restart the valid event took {took:.2f} s"
    again = abuse_hub.dead_letter_counts()
    assert again in ([{}, counts] if attack.retained else [{}]), f"{name}: came back after a restart: {again}"
    assert abuse_hub.stored_count() == 2
    assert live_view_works(abuse_hub, "probe-live-2"), f"{name}: the live view stopped after a restart"
