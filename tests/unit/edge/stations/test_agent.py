"""The station state machine with scripted hardware and a recording MQTT client (no broker here: delivery
through the real Mosquitto is tested in tests/integration)."""

import ast
import dataclasses
import inspect
import json
import logging
import textwrap
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from config.station import StationConfig
from core.contract import Heartbeat, StationStatus, Suggestion
from edge.stations.agent import StationAgent
from edge.stations.agent_view import Phase
from edge.stations.buttons import Buttons
from edge.stations.camera import Camera
from edge.stations.journal import Journal
from edge.stations.scales import Reading, ScaleError
from firmware_mocks.in_process import FakeButtons, ScriptedScale
from tests.conftest import wait_until
from tests.fakes import FakeMqtt, FakeVision

EXAMPLE = Path(__file__).resolve().parents[4] / "docs" / "examples" / "station.toml"


class Rig:
    def __init__(
        self,
        tmp_path: Path,
        suggestion: Suggestion | None = None,
        scale: dict[str, object] | None = None,
        buttons: Buttons | None = None,
        camera: Camera | None = None,
        journal: dict[str, object] | None = None,
        config: dict[str, object] | None = None,
    ) -> None:
        base = StationConfig.load(EXAMPLE)
        self.config = StationConfig.model_validate(
            base.model_dump()
            | {
                "scale": base.scale.model_dump() | {"poll_interval_s": 0.02, "stable_time_s": 0.1} | (scale or {}),
                "journal": {"path": tmp_path / "journal.sqlite"} | (journal or {}),
                "heartbeat_s": 0.2,
                "vision": base.vision.model_dump() | {"blind_share": 0.0},  # every suggestion lit (no blind checks)
            }
            | (config or {})
        )
        self.scale = ScriptedScale()
        self.scale_fails = False
        self.buttons = FakeButtons()
        self.mqtt = FakeMqtt()
        self.journal = Journal(self.config.journal.path)
        self.suggestion = suggestion
        self.vision = FakeVision(lambda: self.suggestion)
        self.agent = StationAgent(
            self.config,
            self._open,
            buttons if buttons is not None else self.buttons,
            self.journal,
            self.mqtt,
            vision=self.vision,
            camera=camera,
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
    vision = rig.vision
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


def test_a_stopping_station_closes_its_connection_only_once_the_broker_has_its_goodbye(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.mqtt.auto_ack = False
    rig.thread.start()
    assert wait_until(lambda: len(rig.mqtt.payloads("/status")) == 1, 3)
    rig.agent.stop()

    def goodbye_sent() -> bool:
        return StationStatus.model_validate_json(rig.mqtt.payloads("/status")[-1]).state.value == "stopped"

    assert wait_until(goodbye_sent, 3)
    rig.thread.join(0.5)
    assert rig.thread.is_alive() and rig.mqtt.connected.is_set()  # waiting for the PUBACK, connection still open
    rig.mqtt.ack_all()
    rig.thread.join(3)
    assert not rig.thread.is_alive() and not rig.mqtt.connected.is_set()


def test_a_goodbye_the_broker_never_acknowledges_is_a_warning_and_the_station_still_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("edge.stations.agent.GOODBYE_ACK_S", 0.3)
    rig = Rig(tmp_path)
    rig.mqtt.auto_ack = False
    rig.thread.start()
    assert wait_until(lambda: len(rig.mqtt.payloads("/status")) == 1, 3)
    rig.agent.stop()
    rig.thread.join(5)
    assert not rig.thread.is_alive()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("did not acknowledge the goodbye" in w and "connected" in w for w in warnings), warnings


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
    rig = Rig(tmp_path, config={"unpressed": "unsorted"})
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


def test_a_full_journal_refuses_items_visibly_and_takes_them_again_once_drained(tmp_path: Path) -> None:
    rig = Rig(tmp_path, journal={"max_bytes": 1024**2})
    # Fill the journal past its limit, as a day-long outage would.
    for _ in range(300):
        rig.journal.append(lambda seq: (f"id-{seq}", b"x" * 4000))
    rig.mqtt.connected.clear()  # the broker is away: nothing drains
    rig.thread.start()
    try:
        assert wait_until(lambda: "journal_full" in rig.agent.screen_state()["warnings"], 3)
        rig.place(0.3)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        rig.buttons.press("1")
        # The sorter sees why: the screen names the refusal, and nothing is journaled or silently dropped.
        assert wait_until(lambda: rig.agent.screen_state()["refused"] == "journal_full", 3)
        assert rig.journal.counters()["made"] == 300
        assert wait_until(lambda: "journal_full" in last_heartbeat(rig).warnings, 3)
        full_on_disk = rig.journal.size_bytes()
        rig.place(0.0)
        assert wait_until(lambda: rig.agent.screen_state()["refused"] is None, 3)  # a new item, a clean screen

        # The broker is back: the backlog drains (every event acknowledged) and the station takes items again.
        rig.mqtt.connected.set()
        assert wait_until(lambda: rig.journal.depth() == 0, 10)
        assert wait_until(lambda: "journal_full" not in rig.agent.screen_state()["warnings"], 3)
        rig.place(0.3)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        rig.buttons.press("1")
        assert wait_until(lambda: rig.journal.counters()["made"] == 301, 3)
        assert rig.agent.screen_state()["refused"] is None
        assert wait_until(lambda: "journal_full" not in last_heartbeat(rig).warnings, 3)
        # ... and its files gave the space back (the publisher's thread vacuums after acknowledgements).
        assert wait_until(lambda: (tmp_path / "journal.sqlite").stat().st_size < 256 * 1024, 5)
        assert rig.journal.size_bytes() < full_on_disk / 2
    finally:
        rig.agent.stop()
        rig.thread.join(5)


def last_heartbeat(rig: Rig) -> Heartbeat:
    assert wait_until(lambda: rig.mqtt.payloads("/heartbeat"), 3), "no heartbeat"
    return Heartbeat.model_validate_json(rig.mqtt.payloads("/heartbeat")[-1])


def test_screen_state_for_the_sorters_screen(rig: Rig) -> None:
    from edge.stations.kiosk.screen_state import ScreenState  # the shape the kiosk page renders

    rig.place(0.25)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    rig.buttons.press("2")
    assert wait_until(lambda: rig.agent.screen_state()["phase"] == "done", 3)
    snap = rig.agent.screen_state()
    assert set(snap) == set(ScreenState.__annotations__)
    assert snap["station"]["id"] == "zwolle-plastic-1" and snap["weight_kg"] == 0.25
    assert [c["key"] for c in snap["categories"]] == ["1", "2", "9"]
    assert snap["last_event"]["category"] == "pet" and snap["last_event"]["undone"] is False
    assert snap["connected"] is True and snap["scale"] == "ok" and snap["camera"] == "absent"


def test_a_failed_camera_shows_in_status_and_never_blocks_weighing(tmp_path: Path) -> None:
    camera = Camera(str(tmp_path / "no-such-camera"), fault_after_s=0.3, retry_min_s=0.1, retry_max_s=0.2)
    rig = Rig(tmp_path, camera=camera)
    rig.thread.start()
    try:
        assert wait_until(lambda: rig.agent.screen_state()["camera"] == "fault", 5)

        def heartbeat_camera() -> str | None:
            sent = rig.mqtt.payloads("/heartbeat")
            return Heartbeat.model_validate_json(sent[-1]).camera.value if sent else None

        assert wait_until(lambda: heartbeat_camera() == "fault", 3)
        # Configured but not there: health "fault" on the wire, and the warning says it was not found.
        assert "camera_absent" in rig.agent.warnings() and "camera_absent" in last_heartbeat(rig).warnings
        rig.place(0.4)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        rig.buttons.press("1")
        assert wait_until(lambda: len(rig.events()) == 1, 3)
        assert rig.events()[0]["suggestion"] is None
    finally:
        rig.agent.stop()
        rig.thread.join(5)


def test_an_item_that_rounds_to_0_g_is_refused_with_a_message_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A minimum weight set below half a gram lets such an item through the weigher; the contract stores grams
    # and refuses a weight of 0 g. The station must say so, not die on the refused event.
    rig = Rig(tmp_path, scale={"min_weight_kg": 0.0001, "stable_band_kg": 0.0001})
    rig.thread.start()
    try:
        rig.place(0.0004)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        with caplog.at_level(logging.WARNING, logger="edge.stations"):
            rig.buttons.press("1")
            assert wait_until(lambda: rig.agent.screen_state()["refused"] == "too_light", 3)
        assert "too light" in caplog.text
        assert rig.thread.is_alive() and rig.journal.counters()["made"] == 0
        rig.place(0.0)
        assert wait_until(lambda: rig.agent.screen_state()["refused"] is None, 3)
        rig.place(0.25)
        assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
        rig.buttons.press("1")
        assert wait_until(lambda: len(rig.events()) == 1, 3)
        assert rig.events()[0]["weight_kg"] == 0.25
    finally:
        rig.agent.stop()
        rig.thread.join(5)


def test_an_event_heartbeat_or_status_the_contract_refuses_never_stops_the_station(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A clock the contract refuses (here a time without a timezone; a time before 1970 once the contract bounds
    # it): every payload the station builds is refused. The loop goes on, the item is refused visibly.
    for module in ("edge.stations.sorting_events", "edge.stations.health"):
        monkeypatch.setattr(f"{module}.now_utc_ms", lambda: datetime(1969, 12, 31, 23, 59))
    rig = Rig(tmp_path)
    with caplog.at_level(logging.WARNING, logger="edge.stations"):
        rig.thread.start()
        try:
            rig.place(0.3)
            assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
            rig.buttons.press("1")
            assert wait_until(lambda: rig.agent.screen_state()["refused"] == "invalid_event", 3)
            assert rig.thread.is_alive() and rig.journal.counters()["made"] == 0
            assert "the contract refuses" in caplog.text
            monkeypatch.undo()  # the clock is right again: the next item is recorded
            rig.place(0.0)
            assert wait_until(lambda: rig.agent.phase is Phase.IDLE, 3)
            rig.place(0.5)
            assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
            rig.buttons.press("1")
            assert wait_until(lambda: len(rig.events()) == 1, 3)
            assert wait_until(lambda: len(rig.mqtt.payloads("/heartbeat")) > 0, 3)
        finally:
            rig.agent.stop()
            rig.thread.join(5)
    assert not rig.thread.is_alive()


def test_a_missing_button_board_is_loud_in_the_log_the_heartbeat_and_the_kiosk(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient

    from edge.stations.buttons.serial_board import SerialButtonBoard
    from edge.stations.kiosk.server import create_kiosk_app

    port = tmp_path / "no-such-board"
    board = SerialButtonBoard(str(port))  # the real backend, on a port that does not exist
    rig = Rig(tmp_path, buttons=board)
    with caplog.at_level(logging.INFO):
        rig.thread.start()
        try:
            assert wait_until(lambda: "buttons_absent" in last_heartbeat(rig).warnings, 5)
            with TestClient(create_kiosk_app(rig.agent.screen_state)) as client:
                assert "buttons_absent" in client.get("/api/state").json()["warnings"]
            assert wait_until(lambda: len(rig.mqtt.payloads("/heartbeat")) >= 5, 5)  # a second of retries
        finally:
            rig.agent.stop()
            rig.thread.join(5)
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and str(port) in r.getMessage()]
    # Named with its port and the reason, once: not again at every retry (once a minute at most).
    assert len(warned) == 1, warned
    assert "buttons missing" in warned[0] and "No such file" in warned[0]


def test_a_missing_scale_is_named_in_the_warnings_and_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig(tmp_path)
    rig.scale_fails = True
    with caplog.at_level(logging.WARNING):
        rig.thread.start()
        try:
            assert wait_until(lambda: "scale_absent" in last_heartbeat(rig).warnings, 5)
            assert last_heartbeat(rig).scale.value == "fault"  # configured: "absent" means not fitted
            assert "scale_absent" in rig.agent.screen_state()["warnings"]
            rig.scale_fails = False
            assert wait_until(lambda: "scale_absent" not in last_heartbeat(rig).warnings, 5)
        finally:
            rig.agent.stop()
            rig.thread.join(5)
    assert f"scale missing: scale {rig.config.scale.port}: port gone" in caplog.text


def test_the_kiosk_reads_one_frozen_view_that_the_agent_swaps(rig: Rig) -> None:
    from edge.stations.agent_view import AgentView
    from edge.stations.kiosk.screen_state import screen_state_of

    view = rig.agent.view
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.phase = Phase.READY  # type: ignore[misc]
    # Every field is itself immutable: nothing a reader holds can change under it.
    for field in dataclasses.fields(AgentView):
        value = getattr(view, field.name)
        assert not isinstance(value, list | dict | set), field.name
    rig.place(0.25)
    assert wait_until(lambda: rig.agent.phase is Phase.READY, 3)
    assert rig.agent.view is not view and view.phase is Phase.IDLE  # a new object; the old one unchanged
    # Structurally: screen_state() reads the agent once (its published view) and builds from that alone, so no
    # field of the kiosk's JSON comes from another moment of the machine than the rest.
    tree = ast.parse(textwrap.dedent(inspect.getsource(StationAgent.screen_state)))
    reads = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and getattr(n.value, "id", "") == "self"]
    assert reads == ["_view"]
    params = list(inspect.signature(screen_state_of).parameters)
    source = inspect.getsource(screen_state_of)
    assert params == ["view"] and "self" not in source and "agent" not in source


def test_screen_states_taken_while_the_machine_runs_are_each_consistent(tmp_path: Path) -> None:
    rig = Rig(tmp_path, Suggestion(label="pet", confidence=0.9, model_version="m1"))
    rig.thread.start()
    seen: list[dict[str, object]] = []
    stop = threading.Event()

    def kiosk() -> None:
        while not stop.is_set():
            seen.append(rig.agent.screen_state())  # type: ignore[arg-type]

    reader = threading.Thread(target=kiosk, daemon=True)
    reader.start()
    try:
        for n in range(4):
            rig.place(0.1 + n / 10)
            assert wait_until(lambda: rig.buttons.lit == {"2"}, 3)
            rig.buttons.press("C")
            assert wait_until(lambda: rig.agent.phase is Phase.DONE, 3)
            rig.place(0.0)
            assert wait_until(lambda: rig.agent.phase is Phase.IDLE, 3)
    finally:
        stop.set()
        reader.join(5)
        rig.agent.stop()
        rig.thread.join(5)
    assert len(seen) > 100
    for snap in seen:
        lit = [c["id"] for c in snap["categories"] if c["lit"]]  # type: ignore[attr-defined]
        suggestion = snap["suggestion"]
        assert lit == ([suggestion["label"]] if suggestion else []), snap  # type: ignore[index]
        assert suggestion is None or snap["phase"] in ("ready", "done"), snap
