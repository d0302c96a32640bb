"""Where batches are processed: worker processes (the default) or threads in the hub process.

Why processes: validating JSON and building line protocol is pure Python, and one interpreter runs one
thread at a time. With the MQTT session in the hub process and the batches in ``workers`` processes, the
work spreads over the cores. The MQTT session stays single: a plain subscription in one persistent
session is the only kind that Mosquitto 2.0 restores after a restart (docs/broker.md), so splitting the
load behind the session, rather than over shared subscriptions, keeps "nothing lost" on a broker restart.

Supervision: a worker that dies (killed, out of memory) is started again and given its batch again: nothing
was acknowledged for it, and writing a batch twice overwrites the same points. Kept rather than replaced by
"a worker death ends the hub", because a hub restart costs seconds of ingest and every unacknowledged message
again, where a worker restart costs one batch; the bookkeeping that makes it safe is small and tested
(tests/integration/test_ingest_isolation.py kills workers while idle and while busy, many times, and every
event is stored once and acknowledged). The invariant, kept under one lock: a worker index is on the free
queue exactly when no batch is pending for it (or a ``submit`` has just taken it and is about to send). A
restart therefore never puts the index on the free queue: an idle worker's index is there already, and
putting it there a second time (the old code did) let two batches go to one worker, and a later death lost
the first of them, so acknowledgements stalled for good.

What a message can do to a worker is bounded in ``BatchWriter.process`` (it refuses a message that raises
anything, instead of raising); a batch that still kills its worker ``MAX_DEATHS_PER_BATCH`` times in a row
(a crash below Python) is not sent a further time: the hub reports itself failed and exits, loudly, for
systemd to restart it (hub/supervision.py), instead of crash-looping in silence.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Protocol

from config.influx import InfluxSettings
from core import logs
from core.contract import StationTimeWindow
from core.processes import die_with_parent
from hub.ingest.batch import BatchResult, BatchWriter, RawMessage
from hub.ingest.metrics import IngestMetrics
from hub.storage.influx_v1 import InfluxV1
from hub.supervision import Supervisor

logger = logging.getLogger(__name__)

OnResult = Callable[[int, BatchResult], None]
Job = tuple[int, list[RawMessage], float]  # batch id, messages, when taken from the inbox (time.time())

# A batch that killed its worker this many times in a row is not sent again (module docstring).
MAX_DEATHS_PER_BATCH = 5


@dataclass(frozen=True, slots=True)
class WriterOptions:
    influx: InfluxSettings
    retry_initial_s: float
    retry_max_s: float
    window: StationTimeWindow | None = None

    def writer(self, store: InfluxV1, stop_wait: Callable[[float], bool]) -> BatchWriter:
        return BatchWriter(
            store,
            retry_initial_s=self.retry_initial_s,
            retry_max_s=self.retry_max_s,
            stop_wait=stop_wait,
            window=self.window,
        )


class Workers(Protocol):
    def start(self) -> None: ...

    def submit(self, batch_id: int, messages: list[RawMessage], received: float) -> bool:
        """Hand a batch to a free worker, waiting for one; False if stopping first."""
        ...

    def stop(self, timeout: float) -> None:
        """Workers still retrying a failed write give up: their batches come back incomplete."""
        ...


class ThreadWorkers:
    """Batches processed by threads of the hub process: for tests and small sites (``ingest.workers = 0``)."""

    def __init__(
        self, options: WriterOptions, on_result: OnResult, count: int = 1, supervisor: Supervisor | None = None
    ) -> None:
        self._options = options
        self._on_result = on_result
        self._stop = threading.Event()
        self._jobs: queue.Queue[Job] = queue.Queue(maxsize=count)
        self._store = InfluxV1(options.influx)
        self._writer = options.writer(self._store, self._stop.wait)
        self._supervisor = supervisor or Supervisor()
        self._threads = [self._supervisor.thread(self._run, f"ingest-batch-{i}") for i in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, batch_id: int, messages: list[RawMessage], received: float) -> bool:
        while not self._stop.is_set():
            try:
                self._jobs.put((batch_id, messages, received), timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch_id, messages, received = self._jobs.get(timeout=0.1)
            except queue.Empty:
                continue
            # process() refuses what a message makes fail; an error in on_result would stall acknowledgements,
            # so it is left to end this thread, which ends the hub (hub/supervision.py).
            self._on_result(batch_id, self._writer.process(messages, received))

    def stop(self, timeout: float) -> None:
        self._supervisor.stopping()
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._store.close()


def _worker_main(conn: Connection, options: WriterOptions, log_level: str, name: str) -> None:
    """A worker process: batches in, results out, until the pipe closes or says None.

    While it holds a batch, the hub sends it nothing but the None that says stop, so "something to read" is
    the stop signal while it waits between retries. (Not a multiprocessing.Event: a worker killed while
    waiting on one leaves its condition's count behind, and the hub's set() then blocks for good.)"""
    die_with_parent()  # a hub killed with SIGKILL leaves no worker writing behind it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the hub stops us itself
    logs.setup(log_level, name)
    store = InfluxV1(options.influx)
    writer = options.writer(store, conn.poll)
    try:
        while True:
            try:
                job = conn.recv()
            except EOFError:
                return
            if job is None:
                return
            batch_id, messages, received = job
            conn.send((batch_id, writer.process(messages, received)))
    finally:
        store.close()


@dataclass
class _Worker:
    index: int
    process: SpawnProcess
    conn: Connection
    pending: Job | None = None
    deaths: int = 0  # how often the pending batch killed its worker


class ProcessWorkers:
    """``count`` worker processes, each given one batch at a time."""

    def __init__(
        self,
        options: WriterOptions,
        on_result: OnResult,
        count: int = 2,
        supervisor: Supervisor | None = None,
        metrics: IngestMetrics | None = None,
    ) -> None:
        # spawn, not fork: the hub process runs paho and uvicorn threads, and forking a threaded process
        # copies locks in whatever state they were.
        self._ctx = multiprocessing.get_context("spawn")
        self._options = options
        self._on_result = on_result
        self._count = count
        self._supervisor = supervisor or Supervisor()
        self._metrics = metrics
        self._stop = threading.Event()
        self._free: queue.Queue[int] = queue.Queue()
        self._lock = threading.Lock()  # _workers[i] and its pending batch change together (module docstring)
        self._workers: list[_Worker] = []
        self._readers: list[threading.Thread] = []
        self._stopping = False
        self.restarts = 0

    def _spawn(self, index: int) -> _Worker:
        parent, child = self._ctx.Pipe()
        name = f"hub-ingest-{index}"
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, self._options, logs.current_level(), name),
            name=name,
            daemon=True,
        )
        process.start()
        child.close()  # the parent keeps one end only, so a dead worker shows as EOF
        return _Worker(index, process, parent)

    def pids(self) -> list[int | None]:
        """The workers' process ids (for tests that kill them)."""
        with self._lock:
            return [worker.process.pid for worker in self._workers]

    def start(self) -> None:
        for index in range(self._count):
            self._workers.append(self._spawn(index))
            self._free.put(index)
            self._readers.append(
                self._supervisor.thread(functools.partial(self._read, index), f"ingest-results-{index}")
            )
        for reader in self._readers:
            reader.start()

    def submit(self, batch_id: int, messages: list[RawMessage], received: float) -> bool:
        while not self._stop.is_set():
            try:
                index = self._free.get(timeout=0.1)
            except queue.Empty:
                continue
            with self._lock:  # the current worker of this index: a restart may have replaced it meanwhile
                worker = self._workers[index]
                worker.pending = (batch_id, messages, received)
                worker.deaths = 0
                # If it died, its reader restarts it and sends the batch again.
                with contextlib.suppress(OSError):
                    worker.conn.send(worker.pending)
            return True
        return False

    def _read(self, index: int) -> None:
        while True:
            with self._lock:
                worker = self._workers[index]
            try:
                batch_id, result = worker.conn.recv()
            except (EOFError, OSError):
                if self._stopping:
                    return
                self._restart(worker)
                continue
            with self._lock:
                worker.pending, worker.deaths = None, 0
            self._free.put(index)
            self._on_result(batch_id, result)

    def _restart(self, dead: _Worker) -> None:
        dead.process.join(1)
        with self._lock:
            if self._stopping:
                return
            pending = dead.pending
            deaths = dead.deaths + (pending is not None)
            logger.error(
                "ingest worker %d ended (exit code %s)%s; starting it again",
                dead.index,
                dead.process.exitcode,
                f" with batch {pending[0]} pending ({deaths} time(s))" if pending else " while idle",
            )
            self.restarts += 1
            if self._metrics is not None:
                self._metrics.worker_restarts.inc()
            dead.conn.close()
            worker = self._spawn(dead.index)
            worker.pending, worker.deaths = pending, deaths
            self._workers[dead.index] = worker
            # No free.put() when nothing was pending: the index is on the free queue already, or a submit()
            # holds it and sends to this new worker once it has the lock.
            if pending is None:
                return
            if deaths >= MAX_DEATHS_PER_BATCH:
                self._supervisor.failed(
                    f"ingest-results-{dead.index}", f"batch {pending[0]} killed its worker {deaths} times"
                )
                return
            with contextlib.suppress(OSError):  # died again at once: this reader sees EOF and restarts it again
                worker.conn.send(pending)

    def stop(self, timeout: float) -> None:
        self._supervisor.stopping()
        self._stop.set()
        with self._lock:
            self._stopping = True
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout)
            if worker.process.is_alive():
                worker.process.kill()
            worker.conn.close()
        for reader in self._readers:
            reader.join(1)
