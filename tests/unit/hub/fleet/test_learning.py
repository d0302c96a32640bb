"""The learning loop: training in the background one run at a time, rollouts only of offered models, and the
canary check sending the decided version to the right stations (with the counts given, not read from InfluxDB:
tests/integration/test_canary_counts.py reads them from a real one)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.learning import LearningSettings
from firmware_mocks.captures import STREAM, write_dataset
from firmware_mocks.models import bundle_versions, train_model
from hub.fleet.canary import Counts, State, VersionCounts
from hub.fleet.learning import LearningLoop, RolloutRefusedError, model_path
from hub.fleet.rollouts import RolloutError

SITE = "zuid"


class Sent:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.fail = False

    def __call__(self, version: str, stations: Sequence[str]) -> None:
        if self.fail:
            raise ConnectionError("broker away")
        self.calls.append((version, tuple(stations)))


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("captures")
    write_dataset(root / SITE, 12, seed=0)
    return root


def settings(tmp_path: Path, captures: Path) -> LearningSettings:
    return LearningSettings(
        dataset_folder=captures,
        models_folder=tmp_path / "trained",
        rollouts_file=tmp_path / "rollouts.sqlite",
        canary_items=100,
    )


def test_training_runs_in_the_background_one_at_a_time(tmp_path: Path, captures: Path) -> None:
    loop = LearningLoop(settings(tmp_path, captures), None)
    assert loop.status().state == "idle"
    assert loop.start_training(SITE, STREAM)
    assert not loop.start_training(SITE, STREAM)  # the API answers 409
    loop.wait_for_training(120)
    status = loop.status()
    assert status.state == "done", status.error
    assert status.result is not None and status.result["offerable"] is True
    version = str(status.result["version"])
    assert model_path(loop.settings, SITE, STREAM, version).is_file()
    # A missing dataset fails quickly and says where it looked.
    assert loop.start_training("noord", STREAM)
    loop.wait_for_training(60)
    failed = loop.status()
    assert failed.state == "failed" and failed.error is not None and "no captures of noord/plastic" in failed.error


def test_a_rollout_goes_to_the_canary_then_on_or_back(tmp_path: Path, captures: Path) -> None:
    sent = Sent()
    counts: dict[tuple[str, str], VersionCounts] = {}

    def count(site: str, stream: str, versions: Sequence[str], start: datetime, end: datetime) -> Counts:
        assert (site, stream) == (SITE, STREAM) and start < end
        return {k: v for k, v in counts.items() if k[1] in versions}

    loop = LearningLoop(settings(tmp_path, captures), None, publish=sent, count_events=count)
    first = loop.train(SITE, STREAM)
    rollout = loop.start_rollout(SITE, STREAM, first.version, ["st-1"], ["st-2"])
    assert sent.calls == [(first.version, ("st-1",))]
    assert rollout.previous_version is None and rollout.items_needed == 100
    with pytest.raises(RolloutError, match="open already"):
        loop.start_rollout(SITE, STREAM, first.version, ["st-2"], [])

    assert loop.check_once() == []  # no items yet: wait
    assert loop.rollouts.open()[0].reason.startswith("waiting: 0 of 100 items")
    counts[("st-1", first.version)] = VersionCounts(shown=100, accepted=90)
    sent.fail = True
    assert loop.check_once() == []  # decided, but it could not be sent: still open, tried again next time
    assert loop.rollouts.open()
    sent.fail = False
    (decided,) = loop.check_once()
    assert decided.state is State.ROLLED_ON and sent.calls[-1] == (first.version, ("st-2",))
    assert loop.rollouts.current_version(SITE, STREAM) == first.version
    assert loop.current_model_of(SITE, STREAM) == first.model_path

    # The next model is compared with the first on the held-out split, and its canary does worse: rolled back.
    second = loop.train(SITE, STREAM, seed=1)
    assert second.current_version == first.version and second.offerable, second.reason
    loop.start_rollout(SITE, STREAM, second.version, ["st-2"], ["st-1"])
    counts[("st-2", second.version)] = VersionCounts(shown=100, accepted=60)
    counts[("st-1", first.version)] = VersionCounts(shown=300, accepted=270)
    (back,) = loop.check_once()
    assert back.state is State.ROLLED_BACK and "roll back" in back.reason
    assert sent.calls[-1] == (first.version, ("st-2",))
    assert loop.rollouts.current_version(SITE, STREAM) == first.version
    assert [r.state for r in loop.rollouts.recent()] == [State.ROLLED_BACK, State.ROLLED_ON]


def test_only_offered_models_of_this_hub_are_rolled_out(tmp_path: Path, captures: Path) -> None:
    loop = LearningLoop(settings(tmp_path, captures), None)
    with pytest.raises(RolloutRefusedError, match="no model publisher"):
        loop.start_rollout(SITE, STREAM, "plastic-classifier@x", ["st-1"], [])
    sent = Sent()
    loop.publish = sent
    with pytest.raises(RolloutRefusedError, match="no model plastic-classifier@x was trained"):
        loop.start_rollout(SITE, STREAM, "plastic-classifier@x", ["st-1"], [])
    trained = loop.train(SITE, STREAM)
    card = trained.model_path.with_name("plastic-classifier.card.json")
    card.write_text(card.read_text().replace('"offerable": 1.0', '"offerable": 0.0'))
    with pytest.raises(RolloutRefusedError):  # the card no longer matches or says not offered: either refuses
        loop.start_rollout(SITE, STREAM, trained.version, ["st-1"], [])
    assert sent.calls == [] and loop.rollouts.recent() == []


def test_a_failed_publication_to_the_canary_keeps_no_rollout(tmp_path: Path, captures: Path) -> None:
    sent = Sent()
    loop = LearningLoop(settings(tmp_path, captures), None, publish=sent)
    trained = loop.train(SITE, STREAM)
    sent.fail = True
    with pytest.raises(ConnectionError):
        loop.start_rollout(SITE, STREAM, trained.version, ["st-1"], [])
    assert loop.rollouts.recent() == []


def test_the_check_runs_in_a_thread_and_stops(tmp_path: Path, captures: Path) -> None:
    checked = threading.Event()

    def count(site: str, stream: str, versions: Sequence[str], start: datetime, end: datetime) -> Counts:
        checked.set()
        return {}

    loop = LearningLoop(
        settings(tmp_path, captures).model_copy(update={"check_interval_s": 0.01}),
        None,
        publish=Sent(),
        count_events=count,
    )
    loop.rollouts.start(
        site=SITE,
        stream=STREAM,
        new_version="plastic-classifier@b",
        previous_version="plastic-classifier@a",
        canary=["st-1"],
        others=[],
        items_needed=10,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    loop.start()
    assert checked.wait(10)
    loop.stop()


def test_a_model_sent_without_a_rollout_is_the_current_one(tmp_path: Path, captures: Path) -> None:
    """Published with `sortcentre models publish` (no rollout): the stations' reported version is compared with
    and rolled back to, its file taken from the model store."""
    bundle = bundle_versions(train_model(tmp_path / "v1"), ["v1"], tmp_path / "bundles")["plastic-classifier@v1"]
    loop = LearningLoop(
        settings(tmp_path, captures),
        None,
        running_version=lambda site, stream: "plastic-classifier@v1" if site == SITE else None,
        stored_bundle=lambda version: bundle if version == "plastic-classifier@v1" else None,
    )
    assert loop.current_version_of(SITE, STREAM) == "plastic-classifier@v1"
    assert loop.current_model_of(SITE, STREAM) == bundle
    assert loop.current_version_of("noord", STREAM) is None and loop.current_model_of("noord", STREAM) is None
    trained = loop.train(SITE, STREAM)
    assert trained.current_version == "plastic-classifier@v1" and trained.current is not None
    loop.publish = Sent()
    rollout = loop.start_rollout(SITE, STREAM, trained.version, ["st-1"], ["st-2"])
    assert rollout.previous_version == "plastic-classifier@v1"
