"""The hub's dataset of uploaded captures, one folder per site, in the layout ``sortcentre vision train`` reads.

    FOLDER/<site>/<stream>/<label>/<capture id>.jpg     the plate crop
    FOLDER/<site>/<stream>/<label>/<capture id>.json    its metadata (core.contract.captures.CaptureMetadata)

``FOLDER/<site>`` is a dataset root of ``edge.vision.dataset``: ``sortcentre vision train FOLDER/<site> --stream
plastic`` trains on that site's captures. Every path part was checked by the contract (slugs and a canonical UUID)
before it gets here, and is checked again against the root below, so no upload can name a file outside FOLDER.

Writes are atomic and ordered as on the station (edge/vision/capture.py): the image first, then the sidecar, each
through a ``.tmp`` file, fsync and rename; readers list sidecars, so a half-stored capture is never read, and the
next start deletes what a crash left. Storing is idempotent by capture id: the same id with the same image and
metadata is answered as already stored and nothing is written; the same id with anything else is a conflict.

Retention is by the time the hub received a capture (the file's modification time), not the station's clock: a
station whose clock is wrong must not have its captures deleted at once, or kept forever.
"""

from __future__ import annotations

import heapq
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from config.captures import CaptureUploadSettings
from core.contract.captures import CaptureMetadata, is_capture_id
from core.contract.topics import SLUG_PATTERN

logger = logging.getLogger(__name__)

IMAGE_SUFFIX = ".jpg"
META_SUFFIX = ".json"
TMP_SUFFIX = ".tmp"
SECONDS_PER_DAY = 86_400

_SLUG = re.compile(SLUG_PATTERN.removeprefix("^").removesuffix("$"))


class Stored(StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"  # the same capture was stored before: nothing written


class CaptureConflictError(Exception):
    """A capture with this id is stored with another image or other metadata."""


@dataclass(order=True, slots=True)
class _Entry:
    received: float
    capture_id: str = field(compare=False)
    site: str = field(compare=False)
    stream: str = field(compare=False)
    label: str = field(compare=False)


class CaptureArchive:
    """Safe to call from several threads (the web server's thread pool)."""

    def __init__(self, settings: CaptureUploadSettings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.root = settings.folder
        self._clock = clock
        self._lock = threading.Lock()
        self._index: dict[str, _Entry] = {}
        self._heaps: dict[str, list[_Entry]] = {}  # per site, oldest received first
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self.pruned = 0
        self._load_index()

    def site_root(self, site: str) -> Path:
        """The dataset folder of one site (what ``sortcentre vision train`` is pointed at)."""
        return self._inside(self.root / site)

    def _paths(self, entry: _Entry) -> tuple[Path, Path]:
        folder = self._inside(self.root / entry.site / entry.stream / entry.label)
        return folder / f"{entry.capture_id}{IMAGE_SUFFIX}", folder / f"{entry.capture_id}{META_SUFFIX}"

    def _inside(self, path: Path) -> Path:
        # The contract already allows only slugs and UUIDs; this is the second lock on the same door.
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"{path} lies outside the capture folder {self.root}")
        return path

    def put(self, meta: CaptureMetadata, image: bytes) -> Stored:
        """Store one capture; raises CaptureConflictError, or OSError when the disk fails."""
        meta_bytes = meta.model_dump_json().encode()
        with self._lock:
            known = self._index.get(meta.capture_id)
            if known is not None:
                if self._same(known, meta_bytes, image):
                    return Stored.UNCHANGED
                raise CaptureConflictError(f"capture {meta.capture_id} is stored with other content")
            entry = _Entry(self._clock(), meta.capture_id, meta.site, meta.stream, meta.label)
            image_path, meta_path = self._paths(entry)
            image_path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(image_path, image)
            try:
                _write_atomic(meta_path, meta_bytes)
            except OSError:
                image_path.unlink(missing_ok=True)  # no sidecar: the image alone is not a sample
                raise
            self._add(entry)
        self.prune()
        return Stored.CREATED

    def _same(self, entry: _Entry, meta_bytes: bytes, image: bytes) -> bool:
        # Compared as written: both sides went through the same serializer, which rounds times to milliseconds.
        image_path, meta_path = self._paths(entry)
        try:
            return meta_path.read_bytes() == meta_bytes and image_path.read_bytes() == image
        except OSError as exc:
            logger.warning("capture %s could not be read back to compare: %s", entry.capture_id, exc)
            return False

    def _add(self, entry: _Entry) -> None:
        self._index[entry.capture_id] = entry
        heapq.heappush(self._heaps.setdefault(entry.site, []), entry)
        self._counts[entry.site, entry.stream, entry.label] += 1

    def prune(self) -> int:
        """Delete captures past the age or the per-site count; returns how many went."""
        settings = self.settings
        cutoff = self._clock() - settings.max_age_days * SECONDS_PER_DAY
        removed = 0
        with self._lock:
            for heap in self._heaps.values():
                while heap and (len(heap) > settings.max_items_per_site or heap[0].received < cutoff):
                    entry = heapq.heappop(heap)
                    del self._index[entry.capture_id]
                    key = (entry.site, entry.stream, entry.label)
                    self._counts[key] -= 1
                    if self._counts[key] <= 0:
                        del self._counts[key]
                    image_path, meta_path = self._paths(entry)
                    try:
                        meta_path.unlink(missing_ok=True)  # sidecar first: from then on no reader sees it
                        image_path.unlink(missing_ok=True)
                    except OSError as exc:
                        logger.warning("could not delete capture %s: %s", image_path, exc)
                    removed += 1
            self.pruned += removed
        if removed:
            logger.info("capture retention deleted %d captures", removed)
        return removed

    def counts(self, sites: frozenset[str] | None = None) -> dict[tuple[str, str, str], int]:
        """Captures held per (site, stream, label); ``sites``: only these (None: all)."""
        with self._lock:
            return {key: n for key, n in sorted(self._counts.items()) if sites is None or key[0] in sites}

    def __len__(self) -> int:
        with self._lock:
            return len(self._index)

    def _load_index(self) -> None:
        """Index what is stored; delete what a crash left (tmp files, images without a sidecar)."""
        if not self.root.is_dir():
            return
        found = 0
        for path in sorted(self.root.glob("*/*/*/*")):
            site, stream, label = path.parent.parent.parent.name, path.parent.parent.name, path.parent.name
            if not all(_slug(part) for part in (site, stream, label)):
                continue  # not ours (a feature cache, an operator's notes): leave it alone
            try:
                if path.name.endswith(TMP_SUFFIX) or (
                    path.suffix == IMAGE_SUFFIX and not path.with_suffix(META_SUFFIX).exists()
                ):
                    path.unlink()
                elif (
                    path.suffix == META_SUFFIX and is_capture_id(path.stem) and path.with_suffix(IMAGE_SUFFIX).exists()
                ):
                    self._add(_Entry(path.stat().st_mtime, path.stem, site, stream, label))
                    found += 1
            except OSError as exc:
                logger.warning("could not index capture file %s: %s", path, exc)
        logger.info("capture dataset %s: %d captures", self.root, found)


def _slug(name: str) -> bool:
    return _SLUG.fullmatch(name) is not None


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + TMP_SUFFIX)
    try:
        with tmp.open("wb") as file:
            file.write(data)
            file.flush()
            # Without fsync a power cut after the rename can leave an empty file under the final name.
            os.fsync(file.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
