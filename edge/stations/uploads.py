"""Uploading the station's captures to the hub, in the background, and deleting each only once the hub has it.

With the site's consent (``vision.capture.enabled``) and a hub to send to (``[hub] url`` and an upload token), a
thread of its own goes over the capture folder, oldest first, and PUTs each sample to the hub
(core/contract/captures.py: ``PUT /api/captures/{capture_id}``, idempotent by id). A sample is deleted here only
after the hub answered 2xx; until then it stays in the folder, under the station's own retention
(edge/vision/capture.py), so a hub that is away for weeks costs the station nothing but its oldest captures.

It never gets in the way of weighing: it runs on its own thread at a lower CPU priority, does a bounded number of
uploads per pass with a pause between them, and a hub that does not answer is retried with a jittered exponential
backoff (one warning per outage, not per try). A capture the hub refuses for good (400, 403, 409, 413) is left
for retention and not sent again until the station restarts; each such refusal is a warning with the hub's reason.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import httpx
from pydantic import ValidationError

from config.captures import HubLinkConfig
from config.station import Identity
from core.contract.captures import (
    MAX_IMAGE_BYTES,
    UPLOAD_CONTENT_TYPE,
    CaptureMetadata,
    CaptureUpload,
    capture_path,
    is_capture_id,
)
from edge.vision.capture import CaptureStore
from edge.vision.dataset import CaptureMeta

logger = logging.getLogger(__name__)

# Station captures made before ids were UUIDs (``20261127T094107123456Z-1a2b3c4d``) get a UUID derived from the
# station and the old id, the same one on every try, so their uploads stay idempotent.
LEGACY_ID_NAMESPACE = uuid.UUID("6f1c1d55-0c0e-4b6e-9a55-5f0c2a7d1e01")
# Niceness of the upload thread (Linux: per thread): the weighing loop and vision come first.
UPLOAD_NICENESS = 10
# Ids refused for good, remembered so they are not sent again; bounded, since retention removes them anyway.
MAX_REFUSED_REMEMBERED = 10_000
# Answers that say "this capture will never be taken": keep it for retention, do not send it again.
PERMANENT_REFUSALS = frozenset({400, 403, 404, 405, 409, 413, 422})


class Pass(Enum):
    IDLE = "idle"  # nothing (more) to upload
    MORE = "more"  # a full batch went: there may be more waiting
    AWAY = "away"  # the hub did not take it (down, 5xx, 401, 429): wait and try again


@dataclass(frozen=True, slots=True)
class UploadCounters:
    uploaded: int  # captures the hub confirmed (and that were deleted here)
    refused: int  # captures the hub refused for good (kept for retention)
    failures: int  # tries that failed because the hub was away or busy


class CaptureUploader:
    def __init__(
        self,
        store: CaptureStore,
        link: HubLinkConfig,
        token: str,
        identity: Identity,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        if link.url is None and client is None:
            raise ValueError("no hub url: nothing to upload to")
        self._store = store
        self._link = link
        self._identity = identity
        self._client = client or httpx.Client(base_url=link.url or "", timeout=link.timeout_s)
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": UPLOAD_CONTENT_TYPE}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: set[str] = set()
        self._away_since_failures = 0  # failures in the current outage; 0: the hub answers
        self._delay = link.retry_initial_s
        self._uploaded = 0
        self._refused_count = 0
        self._failures = 0
        self._lock = threading.Lock()

    @property
    def counters(self) -> UploadCounters:
        with self._lock:
            return UploadCounters(self._uploaded, self._refused_count, self._failures)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="capture-uploads", daemon=True)
        self._thread.start()
        logger.info("uploading captures to %s", self._link.url or self._client.base_url)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._link.timeout_s + 5)
        self._client.close()

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # not Linux, or not allowed: normal priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), UPLOAD_NICENESS)
        while not self._stop.is_set():
            try:
                outcome = self.run_once()
            except Exception:  # a bug here must not end uploads for good; weighing is not affected either way
                logger.exception("capture upload pass failed")
                outcome = Pass.AWAY
            if outcome is Pass.AWAY:
                wait = self._delay * random.uniform(0.5, 1.0)
                self._delay = min(self._delay * 2, self._link.retry_max_s)
            else:
                self._delay = self._link.retry_initial_s
                wait = self._link.upload_pause_s if outcome is Pass.MORE else self._link.upload_interval_s
            if self._stop.wait(wait):
                break

    def run_once(self) -> Pass:
        """One pass: up to ``upload_batch`` captures, oldest first. Never raises for the hub's or the disk's sake."""
        batch = self._link.upload_batch
        samples = [
            (image, meta)
            for image, meta in self._store.pending(batch + len(self._refused))
            if meta.stem not in self._refused
        ][:batch]
        for index, (image, meta) in enumerate(samples):
            if index and self._stop.wait(self._link.upload_pause_s):
                return Pass.IDLE
            if not self._upload(image, meta):
                return Pass.AWAY
        return Pass.MORE if len(samples) == batch else Pass.IDLE

    def _upload(self, image: Path, meta_path: Path) -> bool:
        """One capture; False when the hub is away (try again later), True otherwise."""
        body = self._body(image, meta_path)
        if body is None:
            return True
        capture_id, content = body
        try:
            response = self._client.put(capture_path(capture_id), content=content, headers=self._headers)
        except httpx.HTTPError as exc:
            return self._away(f"{type(exc).__name__}: {exc}")
        if response.is_success:
            self._store.discard(meta_path)
            with self._lock:
                self._uploaded += 1
            if self._away_since_failures:
                logger.info("hub takes captures again after %d failed tries", self._away_since_failures)
                self._away_since_failures = 0
            return True
        reason = _reason(response)
        if response.status_code in PERMANENT_REFUSALS:
            self._refuse(meta_path, f"hub answered {response.status_code}: {reason}")
            return True
        return self._away(f"hub answered {response.status_code}: {reason}")

    def _body(self, image: Path, meta_path: Path) -> tuple[str, bytes] | None:
        """The capture id and upload body of one sample; None (logged) when it cannot be sent."""
        try:
            stored = CaptureMeta.model_validate_json(meta_path.read_bytes())
            size = image.stat().st_size
            if size > MAX_IMAGE_BYTES:
                self._refuse(meta_path, f"image of {size} bytes is over {MAX_IMAGE_BYTES}")
                return None
            jpeg = image.read_bytes()
        except FileNotFoundError:
            return None  # retention took it meanwhile
        except (OSError, ValidationError) as exc:
            self._refuse(meta_path, f"unreadable: {exc}")
            return None
        capture_id = stored.capture_id
        if not is_capture_id(capture_id):
            capture_id = str(uuid.uuid5(LEGACY_ID_NAMESPACE, f"{self._identity.id}/{capture_id}"))
        try:
            meta = CaptureMetadata(
                capture_id=capture_id,
                site=stored.site or self._identity.site,
                station=stored.station or self._identity.id,
                stream=stored.stream,
                label=stored.label,
                suggested=stored.suggested,
                # Before blind checks every suggestion the station made was shown.
                shown=stored.shown if stored.shown is not None else stored.suggested is not None,
                accepted=stored.accepted,
                model_version=stored.model_version,
                captured_at=stored.captured_at or _mtime(image),
                features=stored.features,
            )
        except ValidationError as exc:
            self._refuse(meta_path, f"not uploadable: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
            return None
        return capture_id, CaptureUpload(meta=meta, image=jpeg).model_dump_json().encode()

    def _refuse(self, meta_path: Path, why: str) -> None:
        logger.warning("capture %s not uploaded (kept until retention removes it): %s", meta_path, why)
        with self._lock:
            self._refused_count += 1
        if len(self._refused) < MAX_REFUSED_REMEMBERED:
            self._refused.add(meta_path.stem)

    def _away(self, why: str) -> bool:
        with self._lock:
            self._failures += 1
        if not self._away_since_failures:
            logger.warning(
                "hub %s does not take captures (%s); they stay here and are retried with backoff",
                self._link.url or self._client.base_url,
                why,
            )
        self._away_since_failures += 1
        return False


def _reason(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    detail = data.get("detail") if isinstance(data, dict) else None
    return str(detail or response.reason_phrase)[:200]


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def start_uploads(store: CaptureStore | None, link: HubLinkConfig, identity: Identity) -> CaptureUploader | None:
    """The running uploader, or None (logged) when consent, a hub or a token is missing."""
    if store is None or link.url is None:
        return None
    try:
        token = link.token()
    except OSError as exc:
        logger.warning("capture uploads off: cannot read the upload token file %s: %s", link.upload_token_file, exc)
        return None
    if token is None:
        logger.warning("capture uploads off: [hub] url is set but no upload token (upload_token_file)")
        return None
    uploader = CaptureUploader(store, link, token, identity)
    uploader.start()
    return uploader
