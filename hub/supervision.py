"""The hub's threads report here: what they did not expect is counted and logged, and a thread that dies
makes the hub unhealthy and ends the process, so that systemd restarts it (docs/storage.md, "Supervision").

Why end the process rather than restart the thread: a hub whose collector or rollup refresher died still
answers HTTP and holds its MQTT session, but acknowledges nothing: it looks alive while ingest is stopped.
Unacknowledged messages wait at the broker, so a restart of the whole process loses nothing, and it is the
one recovery that is the same for every thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from hub.ingest.metrics import IngestMetrics

logger = logging.getLogger(__name__)

FailureListener = Callable[[str], None]


class Supervisor:
    """Thread-safe. ``failed`` is permanent: a hub that lost a thread stays unhealthy until restarted."""

    def __init__(self, metrics: IngestMetrics | None = None) -> None:
        self._metrics = metrics
        self._lock = threading.Lock()
        self._failures: list[str] = []
        self._stopping = False
        self.listeners: list[FailureListener] = []  # told once, on the first failure (e.g. stop the web server)

    # -- reporting ---------------------------------------------------------------------------------------
    def unexpected(self, thread: str) -> None:
        """Count an unexpected error a thread survived (the caller logs it with logger.exception)."""
        if self._metrics is not None:
            self._metrics.unexpected_errors.labels(thread).inc()

    def failed(self, thread: str, reason: str) -> None:
        """A thread the hub cannot do without has ended: the hub is unhealthy and should exit."""
        with self._lock:
            if self._stopping:
                return  # threads end while the hub stops: that is no failure
            first = not self._failures
            self._failures.append(f"{thread}: {reason}")
        if self._metrics is not None:
            self._metrics.thread_failures.labels(thread).inc()
        logger.critical("hub thread %s died (%s): the hub is unhealthy and stops, to be restarted", thread, reason)
        if not first:
            return
        for listener in list(self.listeners):
            try:
                listener(reason)
            except Exception:  # one listener must not keep the others from hearing of the failure
                logger.exception("supervision listener failed")

    def stopping(self) -> None:
        """The hub stops on purpose: threads that end from now on are not failures."""
        with self._lock:
            self._stopping = True

    # -- asking ------------------------------------------------------------------------------------------
    @property
    def healthy(self) -> bool:
        with self._lock:
            return not self._failures

    def failures(self) -> list[str]:
        with self._lock:
            return list(self._failures)

    # -- helpers for threads -----------------------------------------------------------------------------
    def thread(self, target: Callable[[], None], name: str) -> threading.Thread:
        """A daemon thread whose end by an exception, or return before the hub stops, is a failure."""

        def run() -> None:
            try:
                target()
            except BaseException as exc:
                logger.exception("hub thread %s ended with an exception", name)
                self.failed(name, f"{type(exc).__name__}: {exc}")
                return  # logged and reported: not again through threading.excepthook
            self.failed(name, "ended before the hub stopped")

        return threading.Thread(target=run, name=name, daemon=True)

    def excepthook(self, args: threading.ExceptHookArgs) -> None:
        """For ``threading.excepthook``: the last resort for threads that are not ours (paho's, uvicorn's)."""
        name = args.thread.name if args.thread is not None else "unknown"
        if args.exc_type is SystemExit:
            return
        if args.exc_value is not None:
            logger.critical("uncaught exception in thread %s", name, exc_info=args.exc_value)
        self.failed(name, f"{args.exc_type.__name__}: {args.exc_value}")


class Guard:
    """``with guard:`` around one unit of a loop's work: an unexpected exception is counted and logged with its
    traceback, and the loop goes on with the next unit. Only where going on is safe (the unit left no state
    half changed that a later unit relies on)."""

    def __init__(self, supervisor: Supervisor | None, thread: str, what: str) -> None:
        self._supervisor = supervisor
        self._thread = thread
        self._what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc_type is None or not issubclass(exc_type, Exception):
            return False
        logger.exception("%s: unexpected error in %s; going on", self._thread, self._what)
        if self._supervisor is not None:
            self._supervisor.unexpected(self._thread)
        return True
