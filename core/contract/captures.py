"""Capture upload contract: what a station sends to the hub over HTTP, and what the hub accepts (docs/fleet.md).

A capture is one sorted item's frame, cropped to the scale plate, with the label the sorter confirmed. With the
site's consent a station uploads its captures to the hub, which stores them in the labelled-image layout that
``sortcentre vision train`` reads. Captures go over HTTP, not MQTT: a JPEG is far above what a broker message
should carry (``MAX_PAYLOAD_BYTES``), and a PUT by id makes the upload idempotent and resumable.

    PUT /api/captures/{capture_id}          Authorization: Bearer <the station's upload token>
    Content-Type: application/json          body: CaptureUpload (metadata + the JPEG in base64)

One JSON body, not multipart: the whole body is bounded (``max_body_bytes``) and parsed in memory by one model,
and nothing is spooled to a temporary file outside the dataset folder while a multipart parser reads it.

Everything here is bounded before it becomes a file name: the capture id is a canonical UUID (lower-case,
hyphenated, nothing else, so ``../x``, ``a/b`` or ``%2e%2e`` can never be one), site, station, stream and label are
slugs, and the feature vector has a bounded length and finite, bounded values.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from core.contract.payloads import Slug, Text, UtcTime

# Canonical UUID text only (any version: stations use UUIDv7, time-ordered). One spelling per id, so that two
# spellings of one UUID (upper case, braces, no hyphens) can never become two files.
CAPTURE_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_CAPTURE_ID = re.compile(CAPTURE_ID_PATTERN.removeprefix("^").removesuffix("$"))

# A plate crop at JPEG quality 90 is 30-200 KB; 2 MiB leaves room for a large plate and refuses anything else.
MAX_IMAGE_BYTES = 2 * 1024**2
# The metadata with a full feature vector (1,280 floats of the backbone, about 25 KB as JSON) and room to spare.
MAX_META_BYTES = 64 * 1024
# The backbone gives 1,280 features; a bound well above that, well below what would fill MAX_META_BYTES.
MAX_FEATURES = 2048
# Backbone features are pooled activations of order 1-10; anything this large is garbage.
MAX_FEATURE_ABS = 1e6
# The JSON around the image and the metadata: keys, quotes, braces.
BODY_OVERHEAD_BYTES = 256

CAPTURES_PATH = "/api/captures"
COUNTS_PATH = f"{CAPTURES_PATH}/counts"
UPLOAD_CONTENT_TYPE = "application/json"

# The first bytes of every JPEG file (SOI and the first marker's 0xFF).
JPEG_MAGIC = b"\xff\xd8\xff"


def is_capture_id(value: str) -> bool:
    return _CAPTURE_ID.fullmatch(value) is not None


def capture_path(capture_id: str) -> str:
    """The upload URL path of one capture; refuses anything that is not a capture id."""
    if not is_capture_id(capture_id):
        raise ValueError(f"{capture_id!r} is not a capture id (a canonical UUID)")
    return f"{CAPTURES_PATH}/{capture_id}"


def max_body_bytes(max_image_bytes: int = MAX_IMAGE_BYTES, max_meta_bytes: int = MAX_META_BYTES) -> int:
    """The largest upload body: the image in base64 (4 characters per 3 bytes), the metadata and the JSON around."""
    return 4 * math.ceil(max_image_bytes / 3) + max_meta_bytes + BODY_OVERHEAD_BYTES


CaptureId = Annotated[str, Field(pattern=CAPTURE_ID_PATTERN, description="canonical UUID, lower-case")]
# Strict: a number, never a string or a boolean that lax parsing would turn into one.
Feature = Annotated[float, Field(strict=True, ge=-MAX_FEATURE_ABS, le=MAX_FEATURE_ABS, allow_inf_nan=False)]


class CaptureMetadata(BaseModel):
    """One capture's sidecar as the hub accepts it; its fields are those of ``edge.vision.dataset.CaptureMeta``, so
    the hub writes it as the sample's sidecar and ``sortcentre vision train`` reads it back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capture_id: CaptureId
    site: Slug = Field(description="the station's site; must be the uploading station's own")
    station: Slug = Field(description="the station that captured it; must be the uploading station")
    stream: Slug = Field(description="what the station sorts (plastic, textile, ...)")
    label: Slug = Field(description="the category the sorter confirmed")
    suggested: Slug | None = Field(None, description="the suggestion's label, computed whether shown or not")
    shown: bool = Field(False, description="whether the suggestion was shown to the sorter (false: blind or none)")
    accepted: bool | None = Field(None, description="the sorter pressed the suggested category (none: no suggestion)")
    model_version: Text | None = Field(None, description="the model that made the suggestion")
    captured_at: UtcTime = Field(description="when the sorter confirmed the item (station clock)")
    features: tuple[Feature, ...] | None = Field(
        None, max_length=MAX_FEATURES, description="the classifier backbone's feature vector, when one was computed"
    )

    @model_validator(mode="after")
    def _shown_needs_a_suggestion(self) -> Self:
        if self.shown and self.suggested is None:
            raise ValueError("shown is true but there is no suggestion")
        return self


def _base64(value: object) -> object:
    """Strict base64 (the standard alphabet, padded): a lenient decoder would skip stray characters silently."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("the image must be base64 text")
    if len(value) > 4 * math.ceil(MAX_IMAGE_BYTES / 3):
        raise ValueError(f"the image is over {MAX_IMAGE_BYTES} bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the image is not valid base64") from None


JpegBytes = Annotated[
    bytes,
    BeforeValidator(_base64),
    PlainSerializer(lambda data: base64.b64encode(data).decode("ascii"), return_type=str, when_used="json"),
    Field(min_length=len(JPEG_MAGIC), max_length=MAX_IMAGE_BYTES),
]


class CaptureUpload(BaseModel):
    """The body of ``PUT /api/captures/{capture_id}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meta: CaptureMetadata
    image: JpegBytes = Field(description="the JPEG file, base64 (standard alphabet, padded)")


class CaptureCount(BaseModel):
    """One row of ``GET /api/captures/counts``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str
    stream: str
    label: str
    count: int


class CaptureCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    counts: list[CaptureCount] = Field(description="captures the hub holds, per site, stream and label")
    total: int
