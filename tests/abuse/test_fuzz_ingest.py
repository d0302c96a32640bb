"""The whole corpus (SORTCENTRE_ABUSE_PAYLOADS hostile messages, valid events among them) against a running hub."""

from __future__ import annotations

from collections import Counter

from local_servers import MosquittoServer
from tests.abuse.conftest import ACK_WITHIN_S, AbuseHub, Valid, publish_and_time
from tests.abuse.corpus import Message, generate, payload_count
from tests.abuse.rawmqtt import RawClient
from tests.conftest import wait_until


def reason_bounds(messages: list[Message]) -> dict[str, tuple[int, int]]:
    """Per reason: how many messages must get it (their only reason) and how many may (one of theirs)."""
    must: Counter[str] = Counter()
    may: Counter[str] = Counter()
    for message in messages:
        if not (message.delivered and message.reasons):
            continue
        if len(message.reasons) == 1:
            must.update(message.reasons)
        may.update(message.reasons)
    return {reason: (must[reason], may[reason]) for reason in may}


def test_fuzz_corpus_against_a_running_hub(broker: MosquittoServer, abuse_hub: AbuseHub) -> None:
    abuse_hub.start()
    messages = generate(payload_count())
    valid_ids = [m.event_id for m in messages if m.valid]
    refused_total = sum(1 for m in messages if m.delivered and m.reasons)
    bounds = reason_bounds(messages)

    publisher = RawClient(broker.host, broker.port)
    assert publisher.publish_all((m.topic, m.payload) for m in messages) == len(messages)
    publisher.disconnect()

    def settled() -> bool:
        return abuse_hub.stored_count() >= len(valid_ids) and sum(abuse_hub.dead_letter_counts().values()) >= (
            refused_total
        )

    done = wait_until(settled, 60, 0.5)
    counts, stored = abuse_hub.dead_letter_counts(), abuse_hub.stored_count()
    assert done, (
        f"after 60 s: {stored} of {len(valid_ids)} valid events stored, {sum(counts.values())} of {refused_total} "
        f"refusals counted {counts}; hub log:\n{abuse_hub.log_tail()}"
    )
    # Valid events: each stored, once, and nothing else stored.
    ids = abuse_hub.stored_ids()
    assert len(ids) == len(set(ids)) == len(valid_ids), f"{len(ids)} points, {len(set(ids))} ids, {len(valid_ids)} sent"
    assert set(ids) == set(valid_ids)
    # Refused messages: each counted once, by one of its reasons, and /metrics says the same as the dead letters.
    assert sum(counts.values()) == refused_total, counts
    outside = {reason: n for reason, n in counts.items() if reason not in bounds}
    assert not outside, f"reasons no message of the corpus should get: {outside}"
    for reason, (least, most) in bounds.items():
        assert least <= counts.get(reason, 0) <= most, f"{reason}: {counts.get(reason, 0)} not in [{least}, {most}]"
    metrics = abuse_hub.rejected_metrics()
    assert metrics == counts, f"/metrics {metrics} but dead letters {counts}"
    latest = abuse_hub.dead_letters(limit=1000)
    assert len(latest) == min(1000, refused_total)
    assert all(letter["reason"] in bounds for letter in latest)
    # And the hub is well: healthy, nothing queued, the next valid event stored at once.
    assert abuse_hub.healthy()
    assert abuse_hub.queue_depth() == 0
    took = publish_and_time(abuse_hub, Valid())
    assert took <= ACK_WITHIN_S, f"a valid event after the corpus took {took:.2f} s"
