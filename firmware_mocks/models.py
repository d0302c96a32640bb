"""Small real models for the rollout's tests and benchmark: one classifier trained on rendered captures
(firmware_mocks/captures.py), copied under as many versions as asked, each packed as a bundle the hub serves.

Training takes a few seconds, so it is done once; another version is the same ONNX file with a card naming
another version, which is all a station's check and its events look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from edge.vision.classifier import train
from edge.vision.model_bundle import BUNDLE_SUFFIX, pack_bundle
from edge.vision.model_files import read_card, write_card
from firmware_mocks.captures import STREAM, write_dataset

PER_CLASS = 8


def train_model(folder: Path, *, per_class: int = PER_CLASS) -> Path:
    """Train ``folder/trained/plastic-classifier.onnx`` (+ card) on rendered captures; returns the model's path."""
    dataset = write_dataset(folder / "captures", per_class, seed=0)
    return train(dataset, folder / "trained", stream=STREAM, seed=0, disk_cache=False).model_path


def model_version(model: Path, version: str, folder: Path) -> Path:
    """A copy of ``model`` in ``folder`` whose card names ``version``: the events say ``NAME@version``."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / model.name
    shutil.copyfile(model, copy)
    write_card(copy, read_card(model).model_copy(update={"version": version}))
    return copy


def bundle_versions(model: Path, versions: list[str], folder: Path) -> dict[str, Path]:
    """One bundle per version, by the version a station reports (``NAME@version``)."""
    bundles = {}
    for version in versions:
        copy = model_version(model, version, folder / version)
        card = read_card(copy)
        bundles[f"{card.name}@{card.version}"] = pack_bundle(copy, folder / f"{version}{BUNDLE_SUFFIX}")
    return bundles


def unloadable_bundle(model: Path, version: str, folder: Path) -> Path:
    """A bundle whose card matches its file, but the file is no ONNX graph: onnxruntime refuses to load it."""
    folder = folder / version
    folder.mkdir(parents=True, exist_ok=True)
    broken = folder / model.name
    broken.write_bytes(b"not an onnx graph " * 64)
    write_card(broken, read_card(model).model_copy(update={"version": version}))
    return pack_bundle(broken, folder.parent / f"{version}{BUNDLE_SUFFIX}")
