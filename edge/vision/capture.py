"""Capture for learning: keep the scale-plate crop of each sorted item, with what the sorter chose, for retraining.

Only with the site's consent (``CaptureConfig.enabled``; off by default), and only the crop to the scale plate
(``plate_roi``), which keeps faces and bystanders out of what is stored. Samples land in the labelled-image layout of
:mod:`edge.vision.dataset`, so ``sortcentre vision train/eval`` read them with :func:`edge.vision.dataset.iter_samples`.

Writes are atomic per file (a ``.tmp`` file, fsync, rename) and ordered: the image first, the sidecar last. Readers list
sidecars, so a crash between the two leaves an image without a sidecar, which no reader sees and the next start
deletes. A file's modification time is set to its capture time, so the index built at start needs only ``stat``.

Retention (``max_items``, ``max_bytes``, ``max_age_days``) removes the oldest samples first, sidecar before image, after
every store; an in-memory heap makes that check O(1) when nothing is due. A sample the hub confirmed is removed with
``discard`` (edge/stations/uploads.py), which keeps the counts right while the hub is away and after.

A capture id is a UUIDv7 (time-ordered), the id the hub's upload contract takes (core/contract/captures.py).

Nothing here raises into the station: disk full, an unwritable folder or a bad frame is logged and counted
(``CaptureStore.counters``), and the item is skipped.
"""

from __future__ import annotations

import heapq
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from uuid6 import uuid7

from config.vision import CaptureConfig
from core.contract.topics import SLUG_PATTERN
from edge.vision.dataset import IMAGE_SUFFIX, META_SUFFIX, CaptureMeta, sample_paths

logger = logging.getLogger(__name__)

TMP_SUFFIX = ".tmp"
_SLUG = re.compile(SLUG_PATTERN)
# A full disk fails every store; one warning per this many errors keeps the log readable.
LOG_EVERY_N_ERRORS = 100
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class CaptureCounters:
    stored: int  # samples written since start
    errors: int  # stores or deletions that failed (logged)
    pruned: int  # samples deleted by retention since start
    items: int  # samples in the folder now
    bytes: int  # their size now


@dataclass(order=True, slots=True)
class _Entry:
    timestamp: float
    capture_id: str
    image: Path = field(compare=False)
    meta: Path = field(compare=False)
    size: int = field(compare=False)


class CaptureStore:
    """Writes captures and enforces retention; safe to call from several threads."""

    def __init__(self, config: CaptureConfig, *, clock: Callable[[], datetime] | None = None) -> None:
        self._config = config
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._heap: list[_Entry] = []
        self._discarded: set[str] = set()  # ids still in the heap whose files are gone (uploaded); skipped on pop
        self._bytes = 0
        self._stored = 0
        self._errors = 0
        self._pruned = 0
        if config.enabled and config.folder is not None:
            self._load_index(config.folder)

    @property
    def counters(self) -> CaptureCounters:
        with self._lock:
            items = len(self._heap) - len(self._discarded)
            return CaptureCounters(self._stored, self._errors, self._pruned, items, self._bytes)

    def store(
        self,
        frame_bgr: npt.NDArray[np.uint8],
        *,
        stream: str,
        label: str,
        suggested: str | None,
        accepted: bool | None,
        model_version: str | None,
        site: str | None,
        station: str | None,
        captured_at: datetime,
        shown: bool | None = None,
        features: Sequence[float] | None = None,
    ) -> Path | None:
        """Keep the plate crop of ``frame_bgr`` under ``stream/label``; returns the image path, or None if nothing was
        kept (consent off, or an error that was logged and counted)."""
        config = self._config
        if not config.enabled or config.folder is None or config.plate_roi is None:
            return None
        if not (_SLUG.match(stream) and _SLUG.match(label)):
            # These become folder names: never let one climb out of the capture folder.
            self._error("stream %r or label %r is not a slug; not captured", stream, label)
            return None
        crop = _crop(frame_bgr, config.plate_roi)
        if crop is None:
            self._error("plate_roi %s lies outside the %s frame; not captured", config.plate_roi, frame_bgr.shape)
            return None
        ok, encoded = cv2.imencode(IMAGE_SUFFIX, crop, [cv2.IMWRITE_JPEG_QUALITY, config.jpeg_quality])
        if not ok:
            self._error("could not encode a %s frame as JPEG; not captured", crop.shape)
            return None

        when = captured_at if captured_at.tzinfo else captured_at.astimezone()
        capture_id = str(uuid7())
        meta = CaptureMeta(
            capture_id=capture_id,
            stream=stream,
            label=label,
            suggested=suggested,
            shown=shown,
            accepted=accepted,
            model_version=model_version,
            site=site,
            station=station,
            captured_at=when,
            features=tuple(float(v) for v in features) if features is not None else None,
        )
        image_path, meta_path = sample_paths(config.folder, stream, label, capture_id)
        image_bytes = encoded.tobytes()
        meta_bytes = meta.model_dump_json().encode()
        timestamp = when.timestamp()
        try:
            image_path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(image_path, image_bytes, timestamp)
        except OSError as exc:
            self._error("could not write capture %s: %s", image_path, exc)
            return None
        try:
            _write_atomic(meta_path, meta_bytes, timestamp)
        except OSError as exc:
            image_path.unlink(missing_ok=True)  # no sidecar: the image alone is not a sample
            self._error("could not write capture sidecar %s: %s", meta_path, exc)
            return None

        with self._lock:
            heapq.heappush(
                self._heap, _Entry(timestamp, capture_id, image_path, meta_path, len(image_bytes) + len(meta_bytes))
            )
            self._bytes += len(image_bytes) + len(meta_bytes)
            self._stored += 1
        self.prune()
        return image_path

    def pending(self, limit: int) -> list[tuple[Path, Path]]:
        """(image, sidecar) of up to ``limit`` samples, oldest first: the next ones to upload."""
        with self._lock:
            live = (e for e in heapq.nsmallest(limit + len(self._discarded), self._heap))
            return [(e.image, e.meta) for e in live if e.capture_id not in self._discarded][:limit]

    def discard(self, meta: Path) -> None:
        """Delete one sample (sidecar first) that is no longer needed here: the hub confirmed it."""
        capture_id = meta.stem
        with self._lock:
            entry = next((e for e in self._heap if e.meta == meta and e.capture_id not in self._discarded), None)
            if entry is not None:
                self._discarded.add(capture_id)
                self._bytes -= entry.size
        try:
            meta.unlink(missing_ok=True)
            meta.with_suffix(IMAGE_SUFFIX).unlink(missing_ok=True)
        except OSError as exc:
            self._error("could not delete uploaded capture %s: %s", meta, exc)
        self.prune()  # forgets the entries of uploaded samples as they reach the front of the heap

    def prune(self) -> int:
        """Delete the oldest samples until count, bytes and age are within limits; returns how many went."""
        config = self._config
        cutoff = self._clock().timestamp() - config.max_age_days * SECONDS_PER_DAY
        removed = 0
        with self._lock:
            while self._heap and (
                len(self._heap) - len(self._discarded) > config.max_items
                or self._bytes > config.max_bytes
                or self._heap[0].timestamp < cutoff
                or self._heap[0].capture_id in self._discarded
            ):
                entry = heapq.heappop(self._heap)
                if entry.capture_id in self._discarded:  # uploaded and deleted already: only forget it
                    self._discarded.discard(entry.capture_id)
                    continue
                self._bytes -= entry.size
                removed += 1
                try:
                    # Sidecar first: from then on no reader sees the sample, even if the image stays behind.
                    entry.meta.unlink(missing_ok=True)
                    entry.image.unlink(missing_ok=True)
                except OSError as exc:
                    self._error_locked("could not delete capture %s: %s", entry.image, exc)
            self._pruned += removed
        return removed

    def _load_index(self, root: Path) -> None:
        """Index the samples already in the folder; delete what a crash left behind (tmp files, lone images)."""
        try:
            files = sorted(root.glob("*/*/*")) if root.is_dir() else []
        except OSError as exc:
            self._error("could not list capture folder %s: %s", root, exc)
            return
        present = set(files)
        for path in files:
            try:
                half_written = path.name.endswith(TMP_SUFFIX)
                lone_image = path.suffix == IMAGE_SUFFIX and path.with_suffix(META_SUFFIX) not in present
                if half_written or lone_image:
                    path.unlink()
                elif path.suffix == META_SUFFIX and path.with_suffix(IMAGE_SUFFIX) in present:
                    image = path.with_suffix(IMAGE_SUFFIX)
                    meta_stat = path.stat()
                    size = meta_stat.st_size + image.stat().st_size
                    self._heap.append(_Entry(meta_stat.st_mtime, path.stem, image, path, size))
                    self._bytes += size
            except OSError as exc:
                self._error("could not index capture file %s: %s", path, exc)
        heapq.heapify(self._heap)
        logger.info("capture folder %s: %d samples, %d bytes", root, len(self._heap), self._bytes)

    def _error(self, message: str, *args: object) -> None:
        with self._lock:
            self._error_locked(message, *args)

    def _error_locked(self, message: str, *args: object) -> None:
        self._errors += 1
        if self._errors % LOG_EVERY_N_ERRORS == 1:
            logger.warning(message + " (capture errors so far: %d)", *args, self._errors)


def _crop(frame: npt.NDArray[np.uint8], roi: tuple[int, int, int, int]) -> npt.NDArray[np.uint8] | None:
    x, y, w, h = roi
    if frame.ndim != 3 or y + h > frame.shape[0] or x + w > frame.shape[1]:
        return None
    return frame[y : y + h, x : x + w]


def _write_atomic(path: Path, data: bytes, timestamp: float) -> None:
    tmp = path.with_name(path.name + TMP_SUFFIX)
    try:
        with tmp.open("wb") as file:
            file.write(data)
            file.flush()
            # Without fsync a power cut after the rename can leave an empty file under the final name.
            os.fsync(file.fileno())
        os.utime(tmp, (timestamp, timestamp))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
