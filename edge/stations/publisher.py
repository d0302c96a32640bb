"""Sends journaled events to the broker in order, at most ``window`` unacknowledged at a time.

The journal is the buffer, not the MQTT session: paho keeps its queue in memory and brokers drop queued
messages past their limits. An event leaves the journal only when its PUBACK arrived (MQTT 3.1.1 §4.3.2).
While the broker is unreachable nothing new is handed to paho, so a day-long outage costs disk, not memory;
paho retransmits what was in flight when the connection returns (with DUP set), and after a restart of the
station everything still in the journal is sent again. The hub stores a redelivered event on the same point.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading

from core.transport.protocol import MqttLike
from edge.stations.journal import Journal

logger = logging.getLogger(__name__)


class Publisher:
    def __init__(self, journal: Journal, mqtt: MqttLike, topic: str, window: int = 100) -> None:
        self._journal = journal
        self._mqtt = mqtt
        self._topic = topic
        self._window = window
        self._acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._inflight: dict[int, int] = {}  # MQTT message id -> journal seq
        self._last_handed_over = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)
        mqtt.add_published_listener(self._on_published)
        mqtt.add_connected_listener(self.wake)

    def start(self) -> None:
        self._thread.start()

    def stop(self, drain_s: float = 0.0) -> None:
        """Stop; with ``drain_s`` first wait that long for the journal to empty."""
        if drain_s > 0:
            self.wait_drained(drain_s)
        self._stop.set()
        self._wake.set()
        self._thread.join(5)

    def wake(self) -> None:
        """A new event was journaled (or the connection came back): look for work now."""
        self._wake.set()

    def wait_drained(self, timeout: float) -> bool:
        deadline = threading.Event()
        waited = 0.0
        while waited < timeout:
            if self._journal.depth() == 0:
                return True
            deadline.wait(0.05)
            waited += 0.05
        return self._journal.depth() == 0

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def _on_published(self, mid: int) -> None:
        # paho's network thread: hand the ack to our thread, which owns the mid -> seq map.
        self._acks.put(mid)
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            self._take_acks()
            if self._mqtt.connected.is_set():
                self._fill_window()
            if self._reclaim():
                self._wake.set()  # more free space to give back: the next step at once, after any new work

    def _reclaim(self) -> bool:
        """Give the journal's free pages back to the disk, one bounded step; here, never on a press."""
        try:
            return self._journal.reclaim()
        except sqlite3.Error as exc:
            # Giving space back is housekeeping: the journal's fill level does not depend on it, so a failure
            # (disk I/O) is logged and the publisher goes on sending.
            logger.warning("journal space could not be given back: %s", exc)
            return False

    def _take_acks(self) -> None:
        acked = []
        while True:
            try:
                mid = self._acks.get_nowait()
            except queue.Empty:
                break
            seq = self._inflight.pop(mid, None)
            if seq is not None:
                acked.append(seq)
        if acked:
            self._journal.acknowledge(acked)

    def _fill_window(self) -> None:
        free = self._window - len(self._inflight)
        if free <= 0:
            return
        for pending in self._journal.pending(self._last_handed_over, free):
            mid = self._mqtt.publish(self._topic, pending.payload, qos=1)
            if mid is None:  # paho's queue is full; try again on the next wake
                return
            self._inflight[mid] = pending.seq
            self._last_handed_over = pending.seq
