"""The station's side of vision: run the suggester while the weight settles, keep frames for learning.

The weighing loop never waits on vision. When an item lands on the plate (the weight rises), a worker thread
takes the newest camera frame a moment later and asks the suggester; by the time the weight is stable (about
a second) the answer is usually there. If not, the station shows no suggestion yet and lights the key as soon
as the answer arrives, unless the sorter has already pressed one. After the press, the frame and the
confirmed label go to the capture store (when the site consented), on the same worker thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Protocol

from config.vision import VisionConfig
from core.contract import Suggestion
from edge.stations.camera import Camera, Frame
from edge.stations.lights import Lights
from edge.vision.answer import Answer, NoSuggestion, Prediction
from edge.vision.capture import CaptureStore
from edge.vision.lighting import LitFrame
from edge.vision.suggester import ClassifierLike, LitFrames, Suggester

logger = logging.getLogger(__name__)

# Waiting for a camera frame that is young enough, in steps (a stand-in or network camera may lag a little).
FRAME_WAIT_STEP_S = 0.05


class VisionLink(Protocol):
    problems: list[str]

    def begin(self) -> None:
        """An item arrived on the plate: start working on a suggestion."""

    def poll(self) -> tuple[bool, Suggestion | None]:
        """(done, suggestion): never blocks."""
        ...

    def cancel(self) -> None:
        """The item left before anything was recorded."""

    def learn(self, category: str, suggestion: Suggestion | None, accepted: bool | None) -> None:
        """The sorter confirmed ``category`` for the item."""

    def reconfigure(self, vision: VisionConfig, categories: Sequence[str]) -> None:
        """Between items (remote config): the next item uses these thresholds, rules, consent and categories."""

    def close(self) -> None: ...


class CameraVision:
    def __init__(
        self,
        suggester: Suggester,
        camera: Camera,
        stream: str,
        site: str,
        station: str,
        *,
        frame_delay_s: float,
        max_frame_age_s: float,
        capture: CaptureStore | None = None,
        lights: Lights | None = None,
    ) -> None:
        """``lights``: the station's side lights (``vision.lights``); each item then also gets one frame per light,
        taken on a thread of their own while the ambient frame is read, and read only when that frame gives no
        marking (edge/stations/lights.py)."""
        self._suggester = suggester
        self._camera = camera
        self._stream = stream
        self._site = site
        self._station = station
        self._frame_delay_s = frame_delay_s
        self._max_frame_age_s = max_frame_age_s
        self._capture = capture
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vision")
        self._lights = lights
        self._lights_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lights") if lights else None
        self._lit_job: Future[list[LitFrame] | None] | None = None
        self._job: Future[tuple[Frame | None, Answer]] | None = None
        # A classifier waiting to be swapped in (edge/stations/model_updates.py) until no item is on the plate.
        self._next_classifier: ClassifierLike | None = None
        self._lock = threading.Lock()
        self.problems = suggester.problems
        self.last_answer: Answer | None = None
        self.seconds: list[float] = []  # per suggestion, for the station's own figures (bounded below)

    def begin(self) -> None:
        with self._lock:
            if self._job is None:
                self._job = self._pool.submit(self._suggest)

    def use_classifier(self, classifier: ClassifierLike) -> None:
        """Swap ``classifier`` in between items: now when no item is on the plate, else once the sorter pressed or
        the item left. The swap runs on the vision thread, so it never lands inside a suggestion either."""
        with self._lock:
            self._next_classifier = classifier
            if self._job is None:
                self._swap_between_items()

    def _swap_between_items(self) -> None:
        """With the lock held and no item open: hand the waiting classifier to the vision thread."""
        classifier, self._next_classifier = self._next_classifier, None
        if classifier is not None:
            try:
                self._pool.submit(self._suggester.use_classifier, classifier)
            except RuntimeError:  # the pool is shut down: the station is stopping
                logger.info("vision closed: the new classifier is not swapped in")

    def _suggest(self) -> tuple[Frame | None, Answer]:
        time.sleep(self._frame_delay_s)  # the hand that put the item down is usually gone by then
        frame = self._ambient_frame()
        waited = 0.0
        while frame is None and waited < self._max_frame_age_s:
            time.sleep(FRAME_WAIT_STEP_S)
            waited += FRAME_WAIT_STEP_S
            frame = self._ambient_frame()
        if frame is None:
            return None, NoSuggestion("no camera frame")
        lit = self._start_lights()
        started = time.perf_counter()
        try:
            if lit is None:
                answer = self._suggester.suggest(frame, self._stream)
            else:
                answer = self._suggester.suggest(frame, self._stream, lit)
        except Exception as exc:  # a model bug must not stop the weighing; it is logged with its traceback
            logger.exception("suggestion failed")
            answer = NoSuggestion(f"suggester failed: {exc}")
        self.seconds = [*self.seconds[-999:], time.perf_counter() - started]
        return frame, answer

    def _ambient_frame(self) -> Frame | None:
        """Today's frame: the newest one. With lights, one read after the last light went dark, so no light of the
        previous item's sequence shows in it."""
        if self._lights is None:
            return self._camera.latest(self._max_frame_age_s)
        if self._lit_job is not None:
            self._lit_job.result()  # the previous item's sequence (it never raises: failures are reported)
        since = max(self._lights.dark_since, time.monotonic() - self._max_frame_age_s)
        return self._camera.latest_after(since)

    def _start_lights(self) -> LitFrames | None:
        """Start the frames under the lights on their own thread; what the suggester calls if it needs them."""
        if self._lights is None or self._lights_pool is None or not self._lights.usable:
            return None  # no lights, or they failed at start (reported): the single frame, as without lights
        job = self._lights_pool.submit(self._lights.capture, self._camera)
        self._lit_job = job

        def lit() -> list[LitFrame] | None:
            return job.result()  # capture() ends within the lights' settle times and a frame timeout each

        return lit

    def poll(self) -> tuple[bool, Suggestion | None]:
        job = self._job
        if job is None or not job.done():
            return job is None, None
        _frame, answer = job.result()
        if answer is not self.last_answer:
            self.last_answer = answer
            if isinstance(answer, Prediction):
                logger.info(
                    "suggestion %s (%.2f, %s): %s", answer.label, answer.confidence, answer.source, answer.evidence
                )
            else:
                logger.info("no suggestion: %s", answer.reason)
        return True, answer.to_wire() if isinstance(answer, Prediction) else None

    def cancel(self) -> None:
        with self._lock:
            self._job = None
            self._swap_between_items()

    def learn(self, category: str, suggestion: Suggestion | None, accepted: bool | None) -> None:
        with self._lock:
            job, self._job = self._job, None
            self._swap_between_items()
        if self._capture is None or job is None:
            return
        capture = self._capture

        def store() -> None:
            frame, answer = job.result()
            if frame is None:
                return
            capture.store(
                frame,
                stream=self._stream,
                label=category,
                suggested=suggestion.label if suggestion else None,
                accepted=accepted,
                model_version=suggestion.model_version if suggestion else None,
                shown=suggestion.shown if suggestion else None,
                site=self._site,
                station=self._station,
                captured_at=datetime.now(UTC),
                features=answer.features,
            )

        self._pool.submit(store)

    def reconfigure(self, vision: VisionConfig, categories: Sequence[str]) -> None:
        self._suggester.reconfigure(vision, categories)
        # Consent withdrawn: nothing more is kept from the next item on. Consent given: a store of our own, so
        # frames are kept from now on (one made at start, if any, is the one uploads work from).
        if not vision.capture.enabled:
            if self._capture is not None:
                logger.info("capture consent withdrawn by remote config: no more frames are kept")
            self._capture = None
        elif self._capture is None:
            logger.info("capture consent given by remote config: frames of sorted items are kept")
            self._capture = CaptureStore(vision.capture)

    @property
    def lights(self) -> Lights | None:
        return self._lights

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._lights_pool is not None:
            self._lights_pool.shutdown(wait=True, cancel_futures=True)
        if self._lights is not None:
            self._lights.close()
