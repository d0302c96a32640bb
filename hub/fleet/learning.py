"""The hub's learning loop, as the API and the hub service use it: one training run at a time in the background,
rollouts started with the canary, and the periodic canary check that rolls on or back (docs/fleet.md).

The vision code (OpenCV, onnxruntime) is imported when a model is trained or checked, not when the hub starts.

Sending a model to stations is not done here: the hub gives a ``publish(version, stations)`` callable (the signed
manifest of the model store, hub/fleet/models.py). Without one, training works and rollouts cannot start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from config.learning import LearningSettings
from hub.fleet.canary import Action, Counts, Rollout, step
from hub.fleet.counts import version_counts
from hub.fleet.rollouts import RolloutError, RolloutStore
from hub.storage.influx_v1 import InfluxError, InfluxV1
from hub.supervision import Guard, Supervisor

if TYPE_CHECKING:
    from hub.fleet.training import TrainingResult

logger = logging.getLogger(__name__)

THREAD = "canary-check"


class Publish(Protocol):
    def __call__(self, version: str, stations: Sequence[str]) -> None:
        """Send model ``version`` (``NAME@VERSION``) to ``stations``; raise when it could not be published."""


CurrentModel = Callable[[str, str], Path | None]  # (site, stream) -> the model file the stations run now
# (site, stream) -> the model version the site's stations say they run (their heartbeats), for when no rollout says.
RunningVersion = Callable[[str, str], str | None]
# (site, stream, versions, start, end) -> counts per (station, version): hub/fleet/counts.py's query by default.
CountEvents = Callable[[str, str, Sequence[str], datetime, datetime], Counts]


def model_path(settings: LearningSettings, site: str, stream: str, version: str) -> Path:
    """Where training put ``version`` (``NAME@VERSION``): ``models_folder/<site>/<stream>/<VERSION>/<NAME>.onnx``."""
    name, _, card_version = version.partition("@")
    return settings.models_folder / site / stream / card_version / f"{name}.onnx"


@dataclass
class TrainingStatus:
    state: str = "idle"  # idle, running, done, failed
    site: str | None = None
    stream: str | None = None
    started: datetime | None = None
    finished: datetime | None = None
    error: str | None = None
    result: dict[str, object] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "site": self.site,
            "stream": self.stream,
            "started": None if self.started is None else self.started.isoformat(),
            "finished": None if self.finished is None else self.finished.isoformat(),
            "error": self.error,
            "result": self.result,
        }


class RolloutRefusedError(ValueError):
    """A rollout the hub will not start: the message says why."""


@dataclass
class LearningLoop:
    settings: LearningSettings
    store: InfluxV1 | None  # the events, for the canary's counts; None: the check does nothing
    publish: Publish | None = None
    supervisor: Supervisor | None = None
    current_model: CurrentModel | None = None  # default: the model of the last rollout that rolled on
    count_events: CountEvents | None = None  # default: from ``store``
    # A model sent without a rollout (`sortcentre models publish`, Hub.publish_model) is still the one to compare
    # with and to roll back to: the hub asks its registry what the stations run when no rollout says.
    running_version: RunningVersion | None = None
    stored_bundle: Callable[[str], Path | None] | None = None  # a version's bundle in the hub's model store
    rollouts: RolloutStore = field(init=False)
    _status: TrainingStatus = field(init=False, default_factory=TrainingStatus)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _training: threading.Thread | None = field(init=False, default=None)
    _stop: threading.Event = field(init=False, default_factory=threading.Event)
    _checker: threading.Thread | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.rollouts = RolloutStore(self.settings.rollouts_file)

    # -- training -----------------------------------------------------------------------------------------
    def status(self) -> TrainingStatus:
        with self._lock:
            return replace(self._status)

    def current_version_of(self, site: str, stream: str) -> str | None:
        """The version the site's stations run now: as the rollouts know it, else as the stations report it."""
        version = self.rollouts.current_version(site, stream)
        if version is None and self.running_version is not None:
            version = self.running_version(site, stream)
        return version

    def current_model_of(self, site: str, stream: str) -> Path | None:
        if self.current_model is not None:
            return self.current_model(site, stream)
        version = self.current_version_of(site, stream)
        if version is None:
            return None
        path = model_path(self.settings, site, stream, version)
        if path.is_file():
            return path
        bundle = None if self.stored_bundle is None else self.stored_bundle(version)  # published, not trained here
        if bundle is None:
            logger.warning("the stations of %s run %s, but %s is missing: comparing with no model", site, version, path)
        return bundle

    def train(self, site: str, stream: str, *, seed: int = 0, dataset: Path | None = None) -> TrainingResult:
        """Train in this thread (the command line) on ``dataset`` (default: the site's folder of captures);
        raises TrainingError, ModelFileError or BundleError."""
        from edge.vision.classifier import TrainingError
        from hub.fleet.training import train_site_model

        dataset = dataset or self.settings.dataset_folder / site
        if not (dataset / stream).is_dir():  # said before the backbone is loaded, which takes a while
            raise TrainingError(f"no captures of {site}/{stream}: {dataset / stream} does not exist")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        version = f"{site}-{stamp}"
        folder = self.settings.models_folder / site / stream
        for n in range(2, 100):  # two runs in one second must not write over each other (or over the current)
            if not (folder / version).exists():
                break
            version = f"{site}-{stamp}-{n}"
        return train_site_model(
            dataset,
            stream,
            folder / version,
            current_model=self.current_model_of(site, stream),
            seed=seed,
            threshold=self.settings.threshold(stream),
            site=site,
            version=version,
        )

    def start_training(self, site: str, stream: str) -> bool:
        """Train in a background thread; False when a training run is going on already."""
        with self._lock:
            if self._status.state == "running":
                return False
            self._status = TrainingStatus(state="running", site=site, stream=stream, started=datetime.now(UTC))
            self._training = threading.Thread(target=self._train, args=(site, stream), name="training", daemon=True)
            self._training.start()
        return True

    def _train(self, site: str, stream: str) -> None:
        from edge.vision.classifier import TrainingError
        from edge.vision.model_bundle import BundleError
        from edge.vision.model_files import ModelFileError

        result: dict[str, object] | None = None
        error: str | None = None
        try:
            result = self.train(site, stream).as_dict()
        except (TrainingError, ModelFileError, BundleError, OSError) as exc:
            logger.warning("training %s/%s failed: %s", site, stream, exc)
            error = str(exc)
        except Exception as exc:  # a bug in training must not go unseen, nor leave the status "running" forever
            logger.exception("training %s/%s ended with an unexpected error", site, stream)
            if self.supervisor is not None:
                self.supervisor.unexpected("training")
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._status.state = "failed" if error else "done"
            self._status.error = error
            self._status.result = result
            self._status.finished = datetime.now(UTC)

    def wait_for_training(self, timeout: float | None = None) -> None:
        thread = self._training
        if thread is not None:
            thread.join(timeout)

    # -- rollouts -----------------------------------------------------------------------------------------
    def start_rollout(
        self, site: str, stream: str, version: str, canary: Sequence[str], others: Sequence[str]
    ) -> Rollout:
        """Start a rollout of a model trained here and offered (its card says so), and send it to the canary.
        Raises RolloutRefusedError, RolloutError, or what ``publish`` raises (the rollout is then not kept)."""
        from edge.vision.model_files import ModelFileError, read_card

        if self.publish is None:
            raise RolloutRefusedError("this hub has no model publisher: models cannot be sent to stations")
        path = model_path(self.settings, site, stream, version)
        if not path.is_file():
            raise RolloutRefusedError(f"no model {version} was trained at this hub for {site}/{stream}")
        try:
            card = read_card(path)
        except ModelFileError as exc:
            raise RolloutRefusedError(str(exc)) from None
        if card.metrics.get("offerable") != 1.0:
            raise RolloutRefusedError(f"{version} is not offered for rollout: {card.notes}")
        rollout = self.rollouts.start(
            site=site,
            stream=stream,
            new_version=version,
            previous_version=self.current_version_of(site, stream),
            canary=canary,
            others=others,
            items_needed=self.settings.canary_items,
        )
        try:
            self.publish(version, tuple(canary))
        except Exception:
            self.rollouts.discard(rollout.id)
            raise
        logger.info("rollout %d: %s sent to the canary %s of %s", rollout.id, version, list(canary), site)
        return rollout

    def check_once(self, now: datetime | None = None) -> list[Rollout]:
        """Step every open rollout; returns those decided now."""
        now = now or datetime.now(UTC)
        decided = []
        for rollout in self.rollouts.open():
            with Guard(self.supervisor, THREAD, f"rollout {rollout.id}"):
                if (changed := self._check(rollout, now)) is not None:
                    decided.append(changed)
        return decided

    def _count(self, site: str, stream: str, versions: Sequence[str], start: datetime, end: datetime) -> Counts:
        if self.count_events is not None:
            return self.count_events(site, stream, versions, start, end)
        if self.store is None:
            return {}
        return version_counts(self.store, site, stream, versions, start, end)

    def _check(self, rollout: Rollout, now: datetime) -> Rollout | None:
        versions = [rollout.new_version, *([rollout.previous_version] if rollout.previous_version else [])]
        since = rollout.started - timedelta(days=self.settings.previous_days)
        try:
            counts = self._count(rollout.site, rollout.stream, versions, since, now)
        except InfluxError as exc:
            logger.warning("rollout %d: cannot count its events (%s); checking again later", rollout.id, exc)
            return None
        moved = step(
            rollout,
            counts,
            now,
            acceptance_margin=self.settings.acceptance_margin,
            blind_margin=self.settings.blind_margin,
            min_blind=self.settings.min_blind,
        )
        if moved.publish is not None:
            if self.publish is None:
                logger.warning(
                    "rollout %d: decided (%s) but no publisher to send it", rollout.id, moved.decision.reason
                )
                return None
            version, stations = moved.publish
            try:
                self.publish(version, stations)
            except Exception as exc:  # the publisher's own errors (broker, disk); the next check tries again
                logger.warning(
                    "rollout %d: sending %s to %s failed (%s); trying again", rollout.id, version, stations, exc
                )
                return None
        self.rollouts.save(moved.rollout)
        if moved.decision.action is Action.WAIT:
            return None
        logger.info("rollout %d of %s: %s", rollout.id, rollout.new_version, moved.decision.reason)
        return moved.rollout

    # -- the periodic check -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the canary check (a supervised thread), if there is a publisher to act on its decisions."""
        if self.publish is None:
            logger.info("no model publisher: the canary check does not run")
            return
        run = self._run
        self._checker = (
            self.supervisor.thread(run, THREAD)
            if self.supervisor
            else threading.Thread(target=run, name=THREAD, daemon=True)
        )
        self._checker.start()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.check_interval_s):
            with Guard(self.supervisor, THREAD, "check"):
                self.check_once()

    def stop(self) -> None:
        self._stop.set()
        if self._checker is not None:
            self._checker.join(timeout=10)


__all__ = [
    "CurrentModel",
    "LearningLoop",
    "Publish",
    "RolloutError",
    "RolloutRefusedError",
    "RunningVersion",
    "TrainingStatus",
]
