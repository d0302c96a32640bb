import json
import time
from pathlib import Path

from edge.stations.journal import Journal
from edge.stations.publisher import Publisher
from tests.conftest import wait_until
from tests.fakes import FakeMqtt


def fill(journal: Journal, n: int) -> None:
    for _ in range(n):
        journal.append(lambda seq: (f"id-{seq}", json.dumps({"seq": seq}).encode()))


def test_window_bounds_unacknowledged_and_order_is_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    mqtt = FakeMqtt(auto_ack=False)
    publisher = Publisher(journal, mqtt, "t/event", window=10)
    fill(journal, 35)
    publisher.start()
    assert wait_until(lambda: len(mqtt.published) == 10, 5)
    time.sleep(0.3)
    assert len(mqtt.published) == 10  # the broker has not acknowledged: no more go out
    for _ in range(4):
        mqtt.ack_all()
        publisher.wake()
        time.sleep(0.2)
    assert wait_until(lambda: journal.depth() == 0, 5)
    seqs = [json.loads(p)["seq"] for p in mqtt.payloads("event")]
    assert seqs == list(range(1, 36))
    assert journal.counters()["sent"] == 35
    publisher.stop()


def test_nothing_is_handed_over_while_disconnected(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    mqtt = FakeMqtt()
    mqtt.connected.clear()
    publisher = Publisher(journal, mqtt, "t/event", window=5)
    publisher.start()
    fill(journal, 20)
    publisher.wake()
    time.sleep(0.3)
    assert mqtt.published == [] and journal.depth() == 20
    mqtt.connected.set()
    publisher.wake()
    assert wait_until(lambda: journal.depth() == 0, 5)
    publisher.stop()
