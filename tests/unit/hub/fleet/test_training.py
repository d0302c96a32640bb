"""Training at the hub on rendered captures: the comparison with the current model on the same held-out split decides
whether the new model may be offered for rollout."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from edge.vision.dataset import CaptureMeta, iter_samples, sample_paths
from edge.vision.model_bundle import pack_bundle
from edge.vision.model_files import read_card
from firmware_mocks.captures import STREAM, write_dataset
from hub.fleet.training import HeldOut, TrainingResult, compare, train_site_model

PER_CLASS = 15


def _shuffled_copy(source: Path, target: Path, seed: int) -> Path:
    """The same images under labels shuffled among them: what a site whose sorters pressed at random would upload."""
    samples = list(iter_samples(source, STREAM))
    labels = [s.meta.label for s in samples]
    np.random.default_rng(seed).shuffle(labels)
    for sample, label in zip(samples, labels, strict=True):
        image, meta = sample_paths(target, STREAM, label, sample.meta.capture_id)
        image.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample.image, image)
        meta.write_text(CaptureMeta(capture_id=sample.meta.capture_id, stream=STREAM, label=label).model_dump_json())
    return target


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("clean"), PER_CLASS, seed=0)


@pytest.fixture(scope="module")
def shuffled(clean: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _shuffled_copy(clean, tmp_path_factory.mktemp("shuffled"), seed=3)


@pytest.fixture(scope="module")
def first(clean: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train_site_model(
        clean, STREAM, tmp_path_factory.mktemp("first"), current_model=None, seed=0, threshold=0.9, site="zuid"
    )


def test_a_first_model_is_offerable_and_its_card_says_so(first: TrainingResult) -> None:
    assert first.offerable
    assert first.current is None and first.current_version is None
    assert first.reason.startswith("offered: first model for this stream")
    assert first.version.startswith("plastic-classifier@zuid-")
    assert first.new.items == first.held_out > 0
    assert first.new.precision is not None and first.new.precision >= 0.9
    card = read_card(first.model_path)  # still matches its file: the rewritten card kept the sha256
    assert card.metrics["offerable"] == 1.0
    assert card.metrics["heldout_threshold"] == 0.9
    assert card.metrics["heldout_precision_at_threshold"] == first.new.precision
    assert "Rollout check: offered" in card.notes


def test_a_model_trained_on_shuffled_labels_is_not_offered(
    first: TrainingResult, shuffled: Path, tmp_path: Path
) -> None:
    worse = train_site_model(shuffled, STREAM, tmp_path / "out", current_model=first.model_path, seed=0, threshold=0.5)
    assert not worse.offerable
    assert worse.reason.startswith("not offered")
    assert worse.current_version == first.version
    assert worse.current is not None and worse.current.items == worse.new.items  # the same held-out split
    assert read_card(worse.model_path).metrics["offerable"] == 0.0


def test_a_better_model_than_the_current_is_offered_and_the_figures_are_on_one_split(
    clean: Path, shuffled: Path, tmp_path: Path
) -> None:
    bad = train_site_model(shuffled, STREAM, tmp_path / "bad", current_model=None, seed=1, threshold=0.0)
    bundle = pack_bundle(bad.model_path, tmp_path / "store" / "bad.model.tar")  # as the model store keeps it
    good = train_site_model(clean, STREAM, tmp_path / "good", current_model=bundle, seed=0, threshold=0.0)
    assert good.offerable, good.reason
    assert good.current is not None and good.new.precision is not None and good.current.precision is not None
    assert good.new.precision > good.current.precision
    assert f"vs {bad.version} precision" in good.reason
    card = read_card(good.model_path)
    assert card.metrics["current_heldout_precision_at_threshold"] == good.current.precision
    assert card.metrics["current_heldout_coverage_at_threshold"] == good.current.coverage == 1.0


@pytest.mark.parametrize(
    ("new", "current", "offerable", "starts"),
    [
        (HeldOut(10, 8, 8), None, True, "offered: first model"),
        (HeldOut(10, 0, 0), None, False, "not offered: the new model suggests nothing"),
        (HeldOut(10, 8, 7), HeldOut(10, 9, 9), False, "not offered: held-out precision below"),
        (HeldOut(10, 5, 5), HeldOut(10, 9, 8), True, "offered: held-out precision at least"),  # less coverage is fine
        (HeldOut(10, 9, 9), HeldOut(10, 9, 9), True, "offered"),  # equal is not below
        (HeldOut(10, 4, 3), HeldOut(10, 0, 0), True, "offered"),  # the current one suggests nothing
    ],
)
def test_the_offer_rule(new: HeldOut, current: HeldOut | None, offerable: bool, starts: str) -> None:
    got, reason = compare(new, current, threshold=0.9, current_version="plastic-classifier@a")
    assert got is offerable
    assert reason.startswith(starts)
    if current is not None and new.precision is not None:
        assert "plastic-classifier@a" in reason and "coverage" in reason
