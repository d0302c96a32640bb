"""After a share of the corpus, the hub is stopped (SIGTERM) or killed (SIGKILL) and started again: it comes
back with nothing stuck, stores every valid event once, and no refused message keeps coming back."""

from __future__ import annotations

import threading

import pytest

from local_servers import MosquittoServer
from tests.abuse.conftest import ACK_WITHIN_S, AbuseHub, Valid, publish_and_time
from tests.abuse.corpus import Message, generate
from tests.abuse.rawmqtt import RawClient
from tests.conftest import wait_until

HOSTILE = 2000  # of every category (generate() makes each at least once, then draws by weight)


def publish(broker: MosquittoServer, messages: list[Message]) -> None:
    client = RawClient(broker.host, broker.port)
    assert client.publish_all((m.topic, m.payload) for m in messages) == len(messages)
    client.disconnect()


def quiet(hub: AbuseHub) -> bool:
    """Nothing queued and no dead letter added for a second."""
    before = hub.dead_letter_counts()
    return wait_until(lambda: False, 1.0, 0.5) or (hub.queue_depth() == 0 and hub.dead_letter_counts() == before)


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_restart_recovers(how: str, broker: MosquittoServer, abuse_hub: AbuseHub) -> None:
    messages = generate(HOSTILE, seed=31)
    valid_ids = {m.event_id for m in messages if m.valid}
    refused = sum(1 for m in messages if m.delivered and m.reasons)
    abuse_hub.start()
    if how == "sigterm":
        publish(broker, messages)
        settled = wait_until(
            lambda: (
                abuse_hub.stored_count() == len(valid_ids) and sum(abuse_hub.dead_letter_counts().values()) == refused
            ),
            30,
            0.25,
        )
        assert settled, (
            f"before the restart: {abuse_hub.stored_count()} of {len(valid_ids)} stored, "
            f"dead letters {abuse_hub.dead_letter_counts()} of {refused}; log:\n{abuse_hub.log_tail()}"
        )
        assert abuse_hub.stop() == 0, "the hub did not end cleanly on SIGTERM"
        abuse_hub.start()
    else:
        stream = threading.Thread(target=publish, args=(broker, messages), daemon=True)
        stream.start()
        assert wait_until(lambda: abuse_hub.stored_count() >= len(valid_ids) // 3, 30, 0.05), (
            f"{abuse_hub.stored_count()} of {len(valid_ids)} stored before the kill; log:\n{abuse_hub.log_tail()}"
        )
        abuse_hub.kill()
        abuse_hub.start()
        stream.join(60)
        assert wait_until(lambda: abuse_hub.stored_count() == len(valid_ids), 30, 0.25), (
            f"after the kill: {abuse_hub.stored_count()} of {len(valid_ids)} stored; log:\n{abuse_hub.log_tail()}"
        )
        assert wait_until(lambda: quiet(abuse_hub), 30, 0), "the hub never settled after the kill"
        # At most what was not yet acknowledged comes again: never more than the corpus refused in all.
        assert sum(abuse_hub.dead_letter_counts().values()) <= refused
        assert abuse_hub.stop() == 0, "the hub did not end cleanly on SIGTERM"
        abuse_hub.start()

    # The restarted hub: healthy, nothing queued, nothing of the corpus again, the next event at once.
    assert abuse_hub.healthy()
    took = publish_and_time(abuse_hub, Valid())
    assert took <= ACK_WITHIN_S, f"after the restart a valid event took {took:.2f} s; log:\n{abuse_hub.log_tail()}"
    assert wait_until(lambda: abuse_hub.events_acked() >= 1, ACK_WITHIN_S, 0.05), "stored but not acknowledged"
    assert abuse_hub.queue_depth() == 0
    assert abuse_hub.dead_letter_counts() == {}, "refused messages came back after a clean restart"
    ids = abuse_hub.stored_ids()
    assert len(ids) == len(set(ids)) == len(valid_ids) + 1
    assert valid_ids < set(ids)
