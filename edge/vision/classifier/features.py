"""Backbone features cached per image, so retraining a head needs no pass over the images.

The cache is content-addressed: a feature vector is stored under the sha256 of the image file's bytes, in a folder
named after the backbone's sha256:

    CACHE/<backbone sha256[:16]>/<image sha256>.npy      1280 float32, about 5 KB

A capture that a sorter relabels (its files move to another label folder) keeps its features; an image that changes
gets a new key; a new backbone starts a new folder, so features of two backbones are never mixed. Entries are only
ever added; deleting the folder is always safe (the next training run recomputes what it needs).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from edge.vision.classifier.backbone import FEATURE_SIZE, Features

logger = logging.getLogger(__name__)

CACHE_DIR_NAME = ".features"


def image_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_cache_dir(dataset_dir: Path, backbone_sha256: str) -> Path:
    """``DATASET/.features/<backbone sha256[:16]>``: next to the captures, outside every stream/label folder."""
    return dataset_dir / CACHE_DIR_NAME / backbone_sha256[:16]


class FeatureCache:
    """Features by image sha256: in memory always, and on disk when ``folder`` is given."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: dict[str, Features] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Features | None:
        found = self._memory.get(key)
        if found is None and self.folder is not None:
            path = self.folder / f"{key}.npy"
            if path.is_file():
                # A truncated or foreign file is a miss, not an error: the features are simply computed again.
                try:
                    loaded = np.load(path, allow_pickle=False)
                except (OSError, ValueError) as exc:
                    logger.warning("ignoring unreadable cached features %s: %s", path, exc)
                    loaded = None
                if loaded is not None and loaded.shape == (FEATURE_SIZE,) and loaded.dtype == np.float32:
                    found = loaded
                    self._memory[key] = found
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: str, features: Features) -> None:
        vector = np.ascontiguousarray(features, dtype=np.float32).reshape(FEATURE_SIZE)
        self._memory[key] = vector
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader (or a crash) never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, vector, allow_pickle=False)
        Path(tmp).replace(self.folder / f"{key}.npy")
