"""Remote config at the station, with scripted hardware and a recording MQTT client (through the real Mosquitto and
a station process: tests/integration/test_remote_config.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.contract import TopicKind, topic
from core.contract.fleet import RemoteConfig
from core.transport.protocol import InboundMessage
from edge.stations.agent_view import Phase
from edge.stations.remote_config import WARNING_REFUSED, stored_path
from tests.conftest import wait_until
from tests.unit.edge.stations.test_agent import Rig

SITE, STATION = "zwolle", "zwolle-plastic-1"  # docs/examples/station.toml
NEW_CATEGORIES = [
    {"id": "hdpe", "nl": "HDPE", "en": "HDPE", "key": "1"},
    {"id": "residual", "nl": "Rest", "en": "Residual", "key": "9"},
]


def message(version: str, settings: dict[str, Any]) -> bytes:
    config = RemoteConfig(
        site=SITE,
        station=STATION,
        version=version,
        issued_at=datetime.now(UTC).replace(microsecond=0),
        settings=settings,
    )
    return config.to_json()


def deliver(rig: Rig, payload: bytes) -> None:
    """As the broker does: on the station's config topic, retained."""
    where = topic(SITE, STATION, TopicKind.CONFIG)
    rig.mqtt.subscriptions[where](InboundMessage(where, payload, 1, 1, True))


def latest(rig: Rig) -> dict[str, Any]:
    """The latest heartbeat ({} before the first)."""
    sent = rig.mqtt.payloads("/heartbeat")
    return json.loads(sent[-1]) if sent else {}


def sort(rig: Rig, key: str) -> dict[str, Any]:
    """One item placed, ``key`` pressed, taken off; its event."""
    made = len(rig.events())
    rig.place(0.3)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    rig.buttons.press(key)
    assert wait_until(lambda: len(rig.events()) == made + 1, 3)
    rig.place(0.0)
    assert wait_until(lambda: rig.agent.phase is Phase.IDLE, 3)
    return rig.events()[-1]


def started(rig: Rig) -> Rig:
    rig.thread.start()
    return rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    running = started(Rig(tmp_path))
    yield running
    running.agent.stop()
    running.thread.join(5)


def test_a_config_that_arrives_mid_item_applies_from_the_next_item(rig: Rig) -> None:
    rig.place(0.3)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    deliver(
        rig, message("zwolle-plastic-1-1", {"categories": NEW_CATEGORIES, "vision": {"thresholds": {"plastic": 0.6}}})
    )
    rig.buttons.press("1")  # the item on the plate keeps the categories it started with
    assert wait_until(lambda: len(rig.events()) == 1, 3)
    assert rig.events()[0]["category"] == "pp"
    assert rig.agent.remote.applied is None
    rig.place(0.0)
    assert wait_until(lambda: rig.agent.remote.applied is not None, 3)
    assert wait_until(lambda: latest(rig).get("config_version") == "zwolle-plastic-1-1", 3)
    assert latest(rig).get("config_error") is None
    assert sort(rig, "1")["category"] == "hdpe"  # the next item: key 1 is HDPE now
    assert [tile.id for tile in rig.agent.view.tiles] == ["hdpe", "residual"]  # and the sorter's screen says so
    vision, categories = rig.vision.reconfigured[-1]
    assert vision.thresholds == {"plastic": 0.6} and categories == ("hdpe", "residual")
    stored = json.loads(stored_path(rig.config).read_bytes())
    assert stored["version"] == "zwolle-plastic-1-1"


def test_a_refused_config_keeps_the_previous_one_and_the_heartbeat_says_why(rig: Rig) -> None:
    deliver(rig, message("zwolle-plastic-1-1", {"categories": NEW_CATEGORIES}))
    assert wait_until(lambda: rig.agent.remote.applied is not None, 3)
    deliver(rig, message("zwolle-plastic-1-2", {"categories": NEW_CATEGORIES, "vision": {"treshold": 0.5}}))
    assert wait_until(lambda: latest(rig).get("config_error") is not None, 3)
    last = latest(rig)
    assert (
        "zwolle-plastic-1-2" in last["config_error"] and "settings.vision.treshold: unknown key" in last["config_error"]
    )
    assert last["config_version"] == "zwolle-plastic-1-1"
    assert WARNING_REFUSED in last["warnings"]
    assert sort(rig, "1")["category"] == "hdpe"
    # A bad value, named; still the same settings.
    deliver(rig, message("zwolle-plastic-1-3", {"vision": {"thresholds": {"plastic": 2}}}))
    assert wait_until(lambda: "settings.vision.thresholds.plastic" in (latest(rig).get("config_error") or ""), 3)
    assert sort(rig, "1")["category"] == "hdpe"
    # A good one clears the error.
    deliver(rig, message("zwolle-plastic-1-4", {}))
    assert wait_until(lambda: latest(rig).get("config_version") == "zwolle-plastic-1-4", 3)
    assert latest(rig).get("config_error") is None
    assert sort(rig, "1")["category"] == "pp"  # an empty config: the file's settings again


def test_a_message_the_contract_refuses_is_reported(rig: Rig) -> None:
    deliver(rig, b'{"schema_version": 2, "site": "zwolle"')
    assert wait_until(lambda: (latest(rig).get("config_error") or "").startswith("config message refused"), 3)


def test_the_retained_copy_after_a_reconnect_is_not_applied_again(rig: Rig) -> None:
    payload = message("zwolle-plastic-1-1", {"categories": NEW_CATEGORIES})
    deliver(rig, payload)
    assert wait_until(lambda: len(rig.vision.reconfigured) == 1, 3)
    deliver(rig, payload)
    sort(rig, "1")
    assert len(rig.vision.reconfigured) == 1


def test_the_last_applied_config_is_loaded_at_start(tmp_path: Path) -> None:
    first = started(Rig(tmp_path))
    deliver(first, message("zwolle-plastic-1-1", {"categories": NEW_CATEGORIES}))
    assert wait_until(lambda: first.agent.remote.applied is not None, 3)
    first.agent.stop()
    first.thread.join(5)
    first.journal.close()
    # A reboot without the broker: no message comes, the stored config applies before the first item.
    second = started(Rig(tmp_path))
    try:
        assert second.agent.remote.applied is not None
        assert second.agent.remote.applied.version == "zwolle-plastic-1-1"
        assert [tile.id for tile in second.agent.view.tiles] == ["hdpe", "residual"]
        assert sort(second, "1")["category"] == "hdpe"
        assert wait_until(lambda: latest(second).get("config_version") == "zwolle-plastic-1-1", 3)
    finally:
        second.agent.stop()
        second.thread.join(5)


def test_a_stored_config_that_no_longer_applies_is_ignored_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Stored when key 9 was free; the file has since moved residual to 3 and the undo key to 9.
    path = tmp_path / "journal.remote-config.json"
    path.write_bytes(message("zwolle-plastic-1-1", {"categories": NEW_CATEGORIES}))
    categories = [{"id": c, "nl": c, "en": c, "key": k} for c, k in (("pp", "1"), ("pet", "2"), ("residual", "3"))]
    buttons = {"driver": "serial-board", "port": "/dev/null", "confirm_key": "C", "undo_key": "9"}
    with caplog.at_level(logging.ERROR):
        rig = Rig(tmp_path, config={"categories": categories, "buttons": buttons})
    assert rig.agent.remote.applied is None
    assert "IGNORED" in caplog.text
    assert [c.id for c in rig.agent.config.categories] == ["pp", "pet", "residual"]
    fields = rig.agent.remote.heartbeat_fields()
    assert fields["config_version"] is None
    assert "settings.categories.1.key: '9' is this station's undo key" in fields["config_error"]


def test_a_config_a_part_cannot_take_is_reported_and_the_station_goes_on(rig: Rig) -> None:
    def broken(*_args: object) -> None:
        raise OSError("capture folder unreadable")

    rig.vision.reconfigure = broken  # type: ignore[method-assign]
    deliver(rig, message("zwolle-plastic-1-1", {"categories": NEW_CATEGORIES}))
    assert wait_until(lambda: "could not be applied" in (latest(rig).get("config_error") or ""), 3)
    assert latest(rig)["config_version"] is None
    assert sort(rig, "1")["category"] == "pp"
