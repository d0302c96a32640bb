"""Accepting one capture upload: who sends it, whether it is theirs to send, whether it is a JPEG, then the store.

Each refusal has its HTTP status and a reason that is counted (``sortcentre_captures_refused{reason}``) and
logged as a warning; the web layer (hub/api/captures.py) only turns them into answers. The order matters: the
token first (an anonymous caller learns nothing else), then the rate, the id (before any byte of the body is
read), the body, its owner, the image, and only then the disk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError

from config.captures import CaptureUploadSettings
from core.contract.captures import JPEG_MAGIC, CaptureUpload, is_capture_id, max_body_bytes
from hub.captures.store import CaptureArchive, CaptureConflictError, Stored
from hub.captures.tokens import TokenCheck, Uploader
from hub.keys.ratelimit import TokenBucket

logger = logging.getLogger(__name__)

# A plate crop is a few hundred pixels a side; a JPEG that claims more than this is refused before it is decoded
# in full (a small file can claim a gigapixel and make a decoder allocate gigabytes).
MAX_IMAGE_SIDE = 8192
# Decoded at 1/8 scale in grey: checks that the whole entropy-coded stream decodes, in 1/192 of the memory.
_REDUCED = 8


class Refusal(StrEnum):
    NO_TOKEN = "no_token"  # noqa: S105 -- a reason's name, not a secret
    UNKNOWN_TOKEN = "unknown_token"  # noqa: S105
    RATE_LIMITED = "rate_limited"
    BAD_ID = "bad_id"
    TOO_LARGE = "too_large"
    BAD_BODY = "bad_body"
    ID_MISMATCH = "id_mismatch"
    WRONG_STATION = "wrong_station"
    WRONG_SITE = "wrong_site"
    NOT_JPEG = "not_jpeg"
    CONFLICT = "conflict"
    DISK_ERROR = "disk_error"


STATUS = {
    Refusal.NO_TOKEN: 401,
    Refusal.UNKNOWN_TOKEN: 401,
    Refusal.RATE_LIMITED: 429,
    Refusal.BAD_ID: 400,
    Refusal.TOO_LARGE: 413,
    Refusal.BAD_BODY: 400,
    Refusal.ID_MISMATCH: 400,
    Refusal.WRONG_STATION: 403,
    Refusal.WRONG_SITE: 403,
    Refusal.NOT_JPEG: 400,
    Refusal.CONFLICT: 409,
    Refusal.DISK_ERROR: 503,  # the station keeps the capture and tries again later
}


class CaptureRefusedError(Exception):
    def __init__(self, reason: Refusal, detail: str, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.status = STATUS[reason]
        self.detail = detail
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Accepted:
    capture_id: str
    stored: Stored


def no_tokens(_token: str) -> Uploader | None:
    """The token check of a hub without a station registry: nobody may upload."""
    return None


class CaptureUploads:
    def __init__(
        self,
        settings: CaptureUploadSettings,
        token_check: TokenCheck = no_tokens,
        registry: CollectorRegistry | None = None,
        *,
        archive: CaptureArchive | None = None,
    ) -> None:
        self.settings = settings
        self.token_check = token_check
        self.archive = archive or CaptureArchive(settings)
        self.max_body_bytes = max_body_bytes(settings.max_image_bytes, settings.max_meta_bytes)
        self._rate = TokenBucket(settings.uploads_per_minute, settings.burst)
        registry = registry or CollectorRegistry()
        self.refused = Counter(
            "sortcentre_captures_refused", "capture uploads refused, by reason", ["reason"], registry=registry
        )
        self.stored = Counter(
            "sortcentre_captures_stored", "capture uploads stored, or already stored", ["stored"], registry=registry
        )

    def refuse(
        self, reason: Refusal, detail: str, *, who: str, retry_after_s: int | None = None
    ) -> CaptureRefusedError:
        """Count and log one refusal; returns the error to raise."""
        self.refused.labels(reason.value).inc()
        logger.warning("capture upload from %s refused (%s): %s", who, reason.value, detail)
        return CaptureRefusedError(reason, detail, retry_after_s)

    def identify(self, authorization: str | None, capture_id: str, *, client: str) -> Uploader:
        """The checks that need no body: token, rate and id. Raises CaptureRefusedError."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise self.refuse(
                Refusal.NO_TOKEN, "an upload needs the station's token (Authorization: Bearer)", who=client
            )
        identity = self.token_check(token.strip())
        if identity is None:
            raise self.refuse(Refusal.UNKNOWN_TOKEN, "unknown or revoked upload token", who=client)
        who = f"station {identity.station} ({client})"
        wait = self._rate.take(identity.station)
        if wait is not None:
            raise self.refuse(
                Refusal.RATE_LIMITED, f"too many uploads; try again in {wait} s", who=who, retry_after_s=wait
            )
        if not is_capture_id(capture_id):
            raise self.refuse(Refusal.BAD_ID, "a capture id is a canonical lower-case UUID", who=who)
        return identity

    def too_large(self, identity: Uploader, *, client: str) -> CaptureRefusedError:
        who = f"station {identity.station} ({client})"
        return self.refuse(Refusal.TOO_LARGE, f"upload body over {self.max_body_bytes} bytes", who=who)

    def accept(self, identity: Uploader, capture_id: str, body: bytes, *, client: str) -> Accepted:
        """Validate and store one upload whose body is at most ``max_body_bytes``. Raises CaptureRefusedError;
        blocking (decoding, fsync): call it from a worker thread."""
        who = f"station {identity.station} ({client})"
        try:
            upload = CaptureUpload.model_validate_json(body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
            )
            raise self.refuse(Refusal.BAD_BODY, problems, who=who) from None
        meta = upload.meta
        if meta.capture_id != capture_id:
            raise self.refuse(Refusal.ID_MISMATCH, "the metadata's capture_id differs from the URL's", who=who)
        if meta.station != identity.station:
            raise self.refuse(Refusal.WRONG_STATION, f"this token uploads for station {identity.station} only", who=who)
        if meta.site != identity.site:
            raise self.refuse(Refusal.WRONG_SITE, f"this token uploads for site {identity.site} only", who=who)
        if len(upload.image) > self.settings.max_image_bytes:
            raise self.refuse(Refusal.TOO_LARGE, f"image over {self.settings.max_image_bytes} bytes", who=who)
        problem = self._jpeg_problem(upload.image)
        if problem is not None:
            raise self.refuse(Refusal.NOT_JPEG, problem, who=who)
        try:
            stored = self.archive.put(meta, upload.image)
        except CaptureConflictError as exc:
            raise self.refuse(Refusal.CONFLICT, str(exc), who=who) from None
        except OSError as exc:
            raise self.refuse(
                Refusal.DISK_ERROR, f"the hub could not store it: {exc.strerror or exc}", who=who
            ) from exc
        self.stored.labels(stored.value).inc()
        return Accepted(meta.capture_id, stored)

    def _jpeg_problem(self, image: bytes) -> str | None:
        if not image.startswith(JPEG_MAGIC):
            return "the image is not a JPEG file"
        if not self.settings.decode_images:
            return None
        # OpenCV and numpy load with the first upload, not with the hub: a hub whose sites keep consent off
        # never pays their memory (about 60 MB in each process).
        import cv2
        import numpy as np

        decoded = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8)
        if decoded is None or decoded.size == 0:
            return "the JPEG does not decode"
        height, width = decoded.shape[:2]
        if max(height, width) * _REDUCED > MAX_IMAGE_SIDE:
            return f"the image is over {MAX_IMAGE_SIDE} pixels a side"
        return None
