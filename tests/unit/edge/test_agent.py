"""The station state machine with scripted hardware and a recording MQTT client (no broker here: delivery
through the real Mosquitto is tested in tests/integration)."""

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edge.stations.agent import Phase, StationAgent
from edge.stations.config import StationConfig, load_station_config
from edge.stations.journal import Journal
from edge.stations.scales import Reading, ScaleError
from sortcentre.wire import Heartbeat, StationStatus, Suggestion
from tests.conftest import wait_until
from tests.fakes import FakeButtons, FakeMqtt, ScriptedScale

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "station.toml"


class FixedVision:
    """A vision link that always knows its answer at once."""

    def __init__(self, answer: Callable[[], Suggestion | None]) -> None:
        self._answer = answer
        self.ready = True
        self.begun = 0
        self.problems: list[str] = []
        self.learned: list[tuple[str, Suggestion | None, bool | None]] = []

    def begin(self) -> None:
        self.begun += 1

    def poll(self) -> tuple[bool, Suggestion | None]:
        return (True, self._answer()) if self.ready else (False, None)

    def cancel(self) -> None:
        pass

    def learn(self, category: str, suggestion: Suggestion | None, accepted: bool | None) -> None:
        self.learned.append((category, suggestion, accepted))

    def close(self) -> None:
        pass


class Rig:
    def __init__(self, tmp_path: Path, suggestion: Suggestion | None = None) -> None:
        base = load_station_config(EXAMPLE)
        self.config = StationConfig.model_validate(
            base.model_dump()
            | {
                "scale": base.scale.model_dump() | {"poll_interval_s": 0.02, "stable_time_s": 0.1},
                "journal": {"path": tmp_path / "journal.sqlite"},
                "heartbeat_s": 0.2,
            }
        )
        self.scale = ScriptedScale()
        self.scale_fails = False
        self.buttons = FakeButtons()
        self.mqtt = FakeMqtt()
        self.journal = Journal(self.config.journal.path)
        self.suggestion = suggestion
        self.agent = StationAgent(
            self.config,
            self._open,
            self.buttons,
            self.journal,
            self.mqtt,  # type: ignore[arg-type]
            vision=FixedVision(lambda: self.suggestion),
        )
        self.thread = threading.Thread(target=self.agent.run, daemon=True)

    def _open(self) -> ScriptedScale:
        if self.scale_fails:
            raise ScaleError("port gone")
        return self.scale

    def place(self, kg: float) -> None:
        self.scale.reading = Reading(kg, True)

    def events(self) -> list[dict[str, object]]:
        return [json.loads(p) for p in self.mqtt.payloads("/event")]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    rig.thread.start()
    yield rig
    rig.agent.stop()
    rig.thread.join(5)


def test_place_press_remove_records_one_event(rig: Rig) -> None:
    rig.place(0.25)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    rig.buttons.press("2")
    assert wait_until(lambda: len(rig.events()) == 1, 3)
    event = rig.events()[0]
    assert (event["category"], event["weight_kg"], event["suggestion"], event["accepted"]) == ("pet", 0.25, None, None)
    assert event["seq"] == 1 and event["type"] == "sorted"
    assert rig.agent.phase is Phase.DONE
    rig.buttons.press("1")  # a second press on the same item is ignored
    rig.place(0.0)
    assert wait_until(lambda: rig.agent.phase is Phase.IDLE, 3)
    assert len(rig.events()) == 1


def test_presses_without_an_item_and_unknown_keys_are_ignored(rig: Rig) -> None:
    rig.buttons.press("1")
    rig.place(0.3)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    rig.buttons.press("7")  # not a category key
    rig.buttons.press("C")  # confirm without a suggestion
    rig.place(0.0)  # taken off without a press
    assert wait_until(lambda: rig.agent.phase is Phase.IDLE, 3)
    assert rig.journal.counters()["made"] == 0


def test_undo_takes_back_the_last_event_once(rig: Rig) -> None:
    rig.place(0.4)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    rig.buttons.press("1")
    assert wait_until(lambda: len(rig.events()) == 1, 3)
    rig.buttons.press("U")
    assert wait_until(lambda: len(rig.events()) == 2, 3)
    rig.buttons.press("U")
    original, undo = rig.events()
    assert undo["type"] == "undo" and undo["undoes"] == original["event_id"]
    assert (undo["category"], undo["weight_kg"], undo["seq"]) == ("pp", 0.4, 2)
    import time

    time.sleep(0.2)
    assert len(rig.events()) == 2


def test_suggestion_lights_its_key_and_confirm_accepts_it(tmp_path: Path) -> None:
    rig = Rig(tmp_path, Suggestion(label="pet", confidence=0.9, model_version="m1"))
    rig.thread.start()
    try:
        rig.place(0.1)
        assert wait_until(lambda: rig.buttons.lit == {"2"}, 3)
        rig.buttons.press("C")
        assert wait_until(lambda: len(rig.events()) == 1, 3)
        event = rig.events()[0]
        assert (event["category"], event["accepted"]) == ("pet", True)
        assert rig.buttons.lit == set()
        rig.place(0.0)
        assert wait_until(lambda: rig.agent.phase is Phase.IDLE, 3)
        rig.place(0.2)
        assert wait_until(lambda: rig.buttons.lit == {"2"}, 3)
        rig.buttons.press("9")  # corrected
        assert wait_until(lambda: len(rig.events()) == 2, 3)
        assert (rig.events()[1]["category"], rig.events()[1]["accepted"]) == ("residual", False)
    finally:
        rig.agent.stop()
        rig.thread.join(5)


def test_a_late_suggestion_lights_its_key_when_it_arrives_and_presses_are_learned(tmp_path: Path) -> None:
    rig = Rig(tmp_path, Suggestion(label="pet", confidence=0.9, model_version="m1"))
    vision = rig.agent._vision
    assert isinstance(vision, FixedVision)
    vision.ready = False  # still thinking when the weight is stable
    rig.thread.start()
    try:
        rig.place(0.1)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        assert vision.begun == 1 and rig.buttons.lit == set()
        vision.ready = True
        assert wait_until(lambda: rig.buttons.lit == {"2"}, 3)
        rig.buttons.press("9")
        assert wait_until(lambda: len(vision.learned) == 1, 3)
        category, suggestion, accepted = vision.learned[0]
        assert (category, suggestion is not None and suggestion.label, accepted) == ("residual", "pet", False)
    finally:
        rig.agent.stop()
        rig.thread.join(5)


def test_status_heartbeat_and_scale_fault(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.scale_fails = True
    rig.thread.start()
    try:

        def last_heartbeat() -> Heartbeat:
            return Heartbeat.model_validate_json(rig.mqtt.payloads("/heartbeat")[-1])

        assert wait_until(lambda: len(rig.mqtt.payloads("/heartbeat")) > 0, 3)
        assert StationStatus.model_validate_json(rig.mqtt.payloads("/status")[0]).state.value == "online"
        assert wait_until(lambda: last_heartbeat().scale.value == "fault", 3)
        rig.scale_fails = False
        assert wait_until(lambda: last_heartbeat().scale.value == "ok", 5)
        assert rig.scale.zeroed == 1  # zero on start, once the scale is there
    finally:
        rig.agent.stop()
        rig.thread.join(5)
    assert StationStatus.model_validate_json(rig.mqtt.payloads("/status")[-1]).state.value == "stopped"


def test_long_presses_tare_and_zero_only_with_an_empty_plate(rig: Rig) -> None:
    tares = []
    rig.scale.tare = lambda: tares.append(1) or True  # type: ignore[method-assign]
    rig.buttons.press("C:long")
    assert wait_until(lambda: tares == [1], 3)
    zeroed = rig.scale.zeroed
    rig.buttons.press("U:long")
    assert wait_until(lambda: rig.scale.zeroed == zeroed + 1, 3)
    rig.place(0.5)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    rig.buttons.press("U:long")  # with an item being sorted: refused
    rig.buttons.press("1")
    assert wait_until(lambda: len(rig.events()) == 1, 3)
    assert rig.scale.zeroed == zeroed + 1


def test_unpressed_items_can_be_recorded_as_unsorted(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.agent.config = rig.config.model_copy(update={"unpressed": "unsorted"})
    rig.thread.start()
    try:
        rig.place(0.7)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        rig.place(0.0)
        assert wait_until(lambda: len(rig.events()) == 1, 3)
        assert (rig.events()[0]["category"], rig.events()[0]["weight_kg"]) == ("unsorted", 0.7)
    finally:
        rig.agent.stop()
        rig.thread.join(5)


def test_a_full_journal_refuses_items_visibly(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.agent.config = rig.config.model_copy(
        update={"journal": rig.config.journal.model_copy(update={"max_bytes": 1024**2})}
    )
    # Fill the journal past its limit, as a day-long outage would.
    for _ in range(3000):
        rig.journal.append(lambda seq: (f"id-{seq}", b"x" * 400))
    rig.mqtt.connected.clear()  # the broker is away: nothing drains
    rig.thread.start()
    try:
        assert wait_until(lambda: "journal_full" in rig.agent.snapshot()["warnings"], 3)
        rig.place(0.3)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        rig.buttons.press("1")
        import time

        time.sleep(0.3)
        assert rig.journal.counters()["made"] == 3000  # refused, and nothing silently dropped
        heartbeat = Heartbeat.model_validate_json(rig.mqtt.payloads("/heartbeat")[-1])
        assert "journal_full" in heartbeat.warnings
    finally:
        rig.agent.stop()
        rig.thread.join(5)


def test_snapshot_for_the_sorters_screen(rig: Rig) -> None:
    from edge.stations.kiosk.snapshot import KioskSnapshot  # the shape the kiosk page renders

    rig.place(0.25)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    rig.buttons.press("2")
    assert wait_until(lambda: rig.agent.snapshot()["phase"] == "done", 3)
    snap = rig.agent.snapshot()
    assert set(snap) == set(KioskSnapshot.__annotations__)
    assert snap["station"]["id"] == "zwolle-plastic-1" and snap["weight_kg"] == 0.25
    assert [c["key"] for c in snap["categories"]] == ["1", "2", "9"]
    assert snap["last_event"]["category"] == "pet" and snap["last_event"]["undone"] is False
    assert snap["connected"] is True and snap["scale"] == "ok" and snap["camera"] == "absent"


def test_a_failed_camera_shows_in_status_and_never_blocks_weighing(tmp_path: Path) -> None:
    from edge.stations.camera import Camera

    rig = Rig(tmp_path)
    camera = Camera(str(tmp_path / "no-such-camera"), fault_after_s=0.3, retry_min_s=0.1, retry_max_s=0.2)
    rig.agent._camera = camera
    rig.thread.start()
    try:
        assert wait_until(lambda: rig.agent.snapshot()["camera"] == "fault", 5)

        def heartbeat_camera() -> str | None:
            sent = rig.mqtt.payloads("/heartbeat")
            return Heartbeat.model_validate_json(sent[-1]).camera.value if sent else None

        assert wait_until(lambda: heartbeat_camera() == "fault", 3)
        assert "camera_fault" in rig.agent.warnings()
        rig.place(0.4)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        rig.buttons.press("1")
        assert wait_until(lambda: len(rig.events()) == 1, 3)
        assert rig.events()[0]["suggestion"] is None
    finally:
        rig.agent.stop()
        rig.thread.join(5)
