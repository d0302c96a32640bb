"""Where batches are processed: worker processes (the default) or threads in the hub process.

Why processes: validating JSON and building line protocol is pure Python, and one interpreter runs one
thread at a time. With the MQTT session in the hub process and the batches in ``workers`` processes, the
work spreads over the cores. The MQTT session stays single: a plain subscription in one persistent
session is the only kind that Mosquitto 2.0 restores after a restart (docs/broker.md), so splitting the
load behind the session, rather than over shared subscriptions, keeps "nothing lost" on a broker restart.

A worker that dies (killed, out of memory) is started again and given its batch again: nothing was
acknowledged for it, and writing a batch twice overwrites the same points.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any, Protocol

from hub.ingest.batch import BatchResult, BatchWriter, RawMessage
from hub.storage.influx_v1 import InfluxSettings, InfluxV1
from sortcentre import logs
from sortcentre.infra.children import die_with_parent

logger = logging.getLogger(__name__)

OnResult = Callable[[int, BatchResult], None]


@dataclass(frozen=True, slots=True)
class WriterOptions:
    influx: InfluxSettings
    retry_initial_s: float
    retry_max_s: float

    def writer(self, store: InfluxV1, stop_wait: Callable[[float], bool]) -> BatchWriter:
        return BatchWriter(
            store, retry_initial_s=self.retry_initial_s, retry_max_s=self.retry_max_s, stop_wait=stop_wait
        )


class Workers(Protocol):
    def start(self) -> None: ...

    def submit(self, batch_id: int, messages: list[RawMessage]) -> bool:
        """Hand a batch to a free worker, waiting for one; False if stopping first."""
        ...

    def stop(self, timeout: float) -> None:
        """Workers still retrying a failed write give up: their batches come back incomplete."""
        ...


class ThreadWorkers:
    """Batches processed by threads of the hub process: for tests and small sites (``ingest.workers = 0``)."""

    def __init__(self, options: WriterOptions, on_result: OnResult, count: int = 1) -> None:
        self._options = options
        self._on_result = on_result
        self._stop = threading.Event()
        self._jobs: queue.Queue[tuple[int, list[RawMessage]]] = queue.Queue(maxsize=count)
        self._store = InfluxV1(options.influx)
        self._writer = options.writer(self._store, self._stop.wait)
        self._threads = [
            threading.Thread(target=self._run, name=f"ingest-batch-{i}", daemon=True) for i in range(count)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, batch_id: int, messages: list[RawMessage]) -> bool:
        while not self._stop.is_set():
            try:
                self._jobs.put((batch_id, messages), timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch_id, messages = self._jobs.get(timeout=0.1)
            except queue.Empty:
                continue
            self._on_result(batch_id, self._writer.process(messages))

    def stop(self, timeout: float) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._store.close()


def _worker_main(conn: Connection, options: WriterOptions, stop: Any, log_level: str, name: str) -> None:
    """A worker process: batches in, results out, until the pipe closes or says None."""
    die_with_parent()  # a hub killed with SIGKILL leaves no worker writing behind it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the hub stops us itself
    logs.setup(log_level, name)
    store = InfluxV1(options.influx)
    writer = options.writer(store, stop.wait)
    try:
        while True:
            try:
                job = conn.recv()
            except EOFError:
                return
            if job is None:
                return
            batch_id, messages = job
            conn.send((batch_id, writer.process(messages)))
    finally:
        store.close()


@dataclass
class _Worker:
    index: int
    process: SpawnProcess
    conn: Connection
    pending: tuple[int, list[RawMessage]] | None = None


class ProcessWorkers:
    """``count`` worker processes, each given one batch at a time."""

    def __init__(self, options: WriterOptions, on_result: OnResult, count: int = 2) -> None:
        # spawn, not fork: the hub process runs paho and uvicorn threads, and forking a threaded process
        # copies locks in whatever state they were.
        self._ctx = multiprocessing.get_context("spawn")
        self._options = options
        self._on_result = on_result
        self._count = count
        self._stop = self._ctx.Event()
        self._free: queue.Queue[int] = queue.Queue()
        self._workers: list[_Worker] = []
        self._readers: list[threading.Thread] = []
        self._stopping = False
        self.restarts = 0

    def _spawn(self, index: int) -> _Worker:
        parent, child = self._ctx.Pipe()
        name = f"hub-ingest-{index}"
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, self._options, self._stop, logs.current_level(), name),
            name=name,
            daemon=True,
        )
        process.start()
        child.close()  # the parent keeps one end only, so a dead worker shows as EOF
        return _Worker(index, process, parent)

    def start(self) -> None:
        for index in range(self._count):
            self._workers.append(self._spawn(index))
            self._free.put(index)
            reader = threading.Thread(target=self._read, args=(index,), name=f"ingest-results-{index}", daemon=True)
            self._readers.append(reader)
        for reader in self._readers:
            reader.start()

    def submit(self, batch_id: int, messages: list[RawMessage]) -> bool:
        while not self._stop.is_set():
            try:
                index = self._free.get(timeout=0.1)
            except queue.Empty:
                continue
            worker = self._workers[index]
            worker.pending = (batch_id, messages)
            # If it died while idle, its reader restarts it and sends the batch again.
            with contextlib.suppress(OSError):
                worker.conn.send(worker.pending)
            return True
        return False

    def _read(self, index: int) -> None:
        while True:
            worker = self._workers[index]
            try:
                batch_id, result = worker.conn.recv()
            except (EOFError, OSError):
                if self._stopping:
                    return
                self._restart(worker)
                continue
            worker.pending = None
            self._free.put(index)
            self._on_result(batch_id, result)

    def _restart(self, dead: _Worker) -> None:
        dead.process.join(1)
        logger.error("ingest worker %d ended (exit code %s); starting it again", dead.index, dead.process.exitcode)
        self.restarts += 1
        worker = self._spawn(dead.index)
        worker.pending = dead.pending
        self._workers[dead.index] = worker
        if worker.pending is not None:
            worker.conn.send(worker.pending)
        else:
            self._free.put(dead.index)

    def stop(self, timeout: float) -> None:
        self._stop.set()
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
