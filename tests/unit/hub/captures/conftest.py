"""Captures as a station would upload them."""

from __future__ import annotations

import uuid
from typing import Any

import cv2
import numpy as np

from core.contract.captures import CaptureMetadata


def jpeg(seed: int = 0, size: tuple[int, int] = (48, 64)) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", pixels)
    assert ok
    return bytes(encoded.tobytes())


def capture_meta(**overrides: Any) -> CaptureMetadata:
    values: dict[str, Any] = {
        "capture_id": str(uuid.uuid4()),
        "site": "zwolle",
        "station": "zwolle-plastic-1",
        "stream": "plastic",
        "label": "pp",
        "suggested": "pp",
        "shown": True,
        "accepted": True,
        "model_version": "plastic-1",
        "captured_at": "2026-03-02T12:00:00.123456Z",
        "features": [0.25, -1.5, 3.0],
    }
    return CaptureMetadata.model_validate(values | overrides)
