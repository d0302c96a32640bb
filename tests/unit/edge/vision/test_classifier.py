"""The trainable classifier end to end on a rendered three-class data set: train, check the file, predict, evaluate.

The images are drawn with OpenCV (a red disc, a blue striped square, a green checked triangle on a scale mat of varying
light), so the test proves the pipeline works, not that the classifier knows plastics.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from edge.vision.answer import Candidate
from edge.vision.classifier import ImageClassifier, TrainingError, TrainResult, evaluate, train
from edge.vision.classifier.backbone import DEFAULT_BACKBONE, FEATURE_SIZE
from edge.vision.classifier.calibration import expected_calibration_error, fit_temperature
from edge.vision.classifier.features import CACHE_DIR_NAME
from edge.vision.classifier.head import fit_head, softmax, stratified_split
from edge.vision.classifier.preprocess import preprocess
from edge.vision.dataset import iter_samples
from edge.vision.model_files import ModelFileError, Preprocessing, card_path, file_sha256, load_model
from firmware_mocks.captures import CLASSES, STREAM, write_dataset

PER_CLASS = 20


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("captures"), PER_CLASS, seed=0)


@pytest.fixture(scope="module")
def eval_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Captures the classifier never saw: another seed."""
    return write_dataset(tmp_path_factory.mktemp("eval"), 6, seed=1)


@pytest.fixture(scope="module")
def trained(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    return train(dataset, tmp_path_factory.mktemp("out"), stream=STREAM, seed=0)


@pytest.fixture(scope="module")
def classifier(trained: TrainResult) -> ImageClassifier:
    return ImageClassifier(trained.model_path)


@pytest.fixture(scope="module")
def predictions(
    classifier: ImageClassifier, eval_set: Path
) -> list[tuple[str, list[Candidate], npt.NDArray[np.float32]]]:
    """(truth, candidates, features) for every unseen capture."""
    out = []
    for sample in iter_samples(eval_set, STREAM):
        candidates, features = classifier.predict_with_features(cv2.imread(str(sample.image)))
        out.append((sample.meta.label, candidates, features))
    return out


def test_training_learns_the_rendered_classes(trained: TrainResult) -> None:
    assert trained.model_path.name == f"{STREAM}-classifier.onnx"
    assert trained.card.classes == CLASSES
    assert trained.images == 3 * PER_CLASS
    assert trained.left_out == {}
    assert trained.unreadable == 0
    for label in CLASSES:
        counts = trained.counts[label]
        assert counts.train + counts.val + counts.test == PER_CLASS
        assert counts.test == 4  # 20% held out per class
        assert counts.val >= 1
    assert trained.test_accuracy >= 0.9  # chance is 1/3
    assert trained.card.metrics["test_accuracy"] == trained.test_accuracy
    assert 0.0 <= trained.ece_after <= 1.0
    assert trained.card.metrics["ece_before_calibration"] == trained.ece_before
    assert trained.card.training is not None
    assert trained.card.training.seed == 0
    assert trained.card.training.settings["temperature"] == trained.temperature


def test_evaluate_on_unseen_captures(trained: TrainResult, eval_set: Path) -> None:
    metrics = evaluate(trained.model_path, eval_set, threshold=0.0)
    assert metrics.total == 3 * 6
    assert metrics.coverage == 1.0
    assert metrics.accuracy >= 0.85
    assert set(metrics.labels) <= set(CLASSES)


def test_evaluate_abstains_below_threshold(trained: TrainResult, eval_set: Path) -> None:
    metrics = evaluate(trained.model_path, eval_set, threshold=1.01)
    assert metrics.total == 3 * 6
    assert metrics.suggested == 0
    assert metrics.accuracy == 0.0


def test_trained_file_loads_and_matches_its_card(trained: TrainResult) -> None:
    session, card = load_model(trained.model_path)
    assert card == trained.card
    assert card.sha256 == file_sha256(trained.model_path)
    assert card.kind == "classifier"
    assert card.preprocessing == Preprocessing()
    assert [o.name for o in session.get_outputs()] == ["probabilities", "features"]
    assert card_path(trained.model_path).is_file()


def test_onnx_file_agrees_with_numpy_head(
    trained: TrainResult, predictions: list[tuple[str, list[Candidate], npt.NDArray[np.float32]]]
) -> None:
    for _, candidates, features in predictions:
        assert features.shape == (FEATURE_SIZE,)
        expected = trained.head.probabilities(features[None], trained.temperature)[0]
        assert candidates[0].label == CLASSES[int(expected.argmax())]
        by_label = {c.label: c.confidence for c in candidates}
        np.testing.assert_allclose([by_label[c] for c in CLASSES], expected, atol=1e-4)


def test_predict_gives_every_class_sorted_summing_to_one(
    predictions: list[tuple[str, list[Candidate], npt.NDArray[np.float32]]],
) -> None:
    right = 0
    for truth, candidates, _ in predictions:
        assert sorted(c.label for c in candidates) == list(CLASSES)
        confidences = [c.confidence for c in candidates]
        assert confidences == sorted(confidences, reverse=True)
        assert sum(confidences) == pytest.approx(1.0, abs=1e-5)
        right += candidates[0].label == truth
    assert right >= 15


def test_predict_matches_predict_with_features(
    classifier: ImageClassifier, trained: TrainResult, eval_set: Path
) -> None:
    sample = next(iter_samples(eval_set, STREAM))
    frame = cv2.imread(str(sample.image))
    assert classifier.predict(frame) == classifier.predict_with_features(frame)[0]
    assert classifier.model_version == f"{STREAM}-classifier@{trained.card.version}"
    assert classifier.classes == CLASSES


def test_retraining_reads_cached_features_and_gives_the_same_head(
    trained: TrainResult, dataset: Path, tmp_path: Path
) -> None:
    cached = list((dataset / CACHE_DIR_NAME).glob("*/*.npy"))
    assert len(cached) == 3 * PER_CLASS
    again = train(dataset, tmp_path, stream=STREAM, seed=0)
    assert again.cache_hits == 3 * PER_CLASS  # no image went through the backbone
    np.testing.assert_array_equal(again.head.weights, trained.head.weights)
    assert again.temperature == trained.temperature
    assert again.test_accuracy == trained.test_accuracy


def test_class_with_too_few_images_is_left_out(trained: TrainResult, dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "captures"
    shutil.copytree(dataset, root)
    write_dataset(root, 2, seed=5, classes=("zwart",))
    result = train(root, tmp_path / "out", stream=STREAM, seed=0)
    assert result.left_out == {"zwart": 2}
    assert result.card.classes == CLASSES
    assert "zwart" in result.card.notes


def test_one_class_is_not_enough(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "captures", 3, seed=2, classes=("rood",))
    with pytest.raises(TrainingError, match="needs two"):
        train(root, tmp_path / "out", stream=STREAM, disk_cache=False)


def test_no_captures_of_the_stream(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="no captures"):
        train(dataset, tmp_path, stream="textile")


def test_corrupt_classifier_file_is_refused(trained: TrainResult, tmp_path: Path) -> None:
    copy = tmp_path / trained.model_path.name
    shutil.copy(trained.model_path, copy)
    shutil.copy(card_path(trained.model_path), card_path(copy))
    data = bytearray(copy.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 16] = bytes(b ^ 0xFF for b in data[len(data) // 2 : len(data) // 2 + 16])
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"plastic-classifier\.onnx does not match its card"):
        ImageClassifier(copy)


def test_classifier_without_card_is_refused(trained: TrainResult, tmp_path: Path) -> None:
    copy = tmp_path / trained.model_path.name
    shutil.copy(trained.model_path, copy)
    with pytest.raises(ModelFileError, match="has no card"):
        ImageClassifier(copy)


def test_backbone_is_not_a_classifier() -> None:
    with pytest.raises(ModelFileError, match="not a classifier"):
        ImageClassifier(DEFAULT_BACKBONE)


def test_preprocess_crops_the_centre_to_rgb_in_minus_one_to_one() -> None:
    frame = np.zeros((300, 500, 3), np.uint8)
    frame[:, :, 0] = 255  # pure blue in BGR
    frame[:, :60] = 0  # a black band at the left edge falls outside the centre square
    tensor = preprocess(frame, Preprocessing())
    assert tensor.shape == (3, 224, 224)
    assert tensor.dtype == np.float32
    np.testing.assert_allclose(tensor[2], 1.0)  # blue is the last channel in RGB
    np.testing.assert_allclose(tensor[0], -1.0)
    np.testing.assert_allclose(tensor[1], -1.0)


def test_head_is_deterministic_and_folds_into_one_matrix() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (3, 20))
    labels = np.repeat(np.arange(3), 30)
    features = centres[labels] + rng.normal(0, 0.8, (90, 20))
    head = fit_head(features, labels, ("a", "b", "c"))
    again = fit_head(features, labels, ("a", "b", "c"))
    np.testing.assert_array_equal(head.weights, again.weights)
    assert np.mean(head.logits(features).argmax(1) == labels) > 0.9
    weights, bias = head.folded(temperature=2.0)
    np.testing.assert_allclose(features @ weights + bias, head.logits(features) / 2.0, rtol=1e-4, atol=1e-4)


def test_temperature_is_recovered_from_sampled_labels() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 4))
    true_temperature = 2.0
    probabilities = softmax(logits / true_temperature)
    labels = np.array([rng.choice(4, p=p) for p in probabilities])
    assert fit_temperature(logits, labels) == pytest.approx(true_temperature, rel=0.1)
    assert expected_calibration_error(probabilities, labels) < expected_calibration_error(softmax(logits), labels)


def test_expected_calibration_error_of_an_overconfident_model() -> None:
    probabilities = np.array([[0.9, 0.1]] * 10)
    labels = np.array([0] * 6 + [1] * 4)  # 90% sure, 60% right
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.3)


def test_stratified_split_is_disjoint_seeded_and_covers_every_class() -> None:
    labels = np.repeat(np.arange(3), [10, 5, 3])
    train_idx, val_idx, test_idx = stratified_split(labels, test=0.2, val=0.2, seed=0)
    assert sorted([*train_idx, *val_idx, *test_idx]) == list(range(len(labels)))
    for part in (train_idx, val_idx, test_idx):
        assert set(labels[part]) == {0, 1, 2}
    same = stratified_split(labels, test=0.2, val=0.2, seed=0)
    other = stratified_split(labels, test=0.2, val=0.2, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(same, (train_idx, val_idx, test_idx), strict=True))
    assert not np.array_equal(other[2], test_idx)


def test_a_slice_without_errors_does_not_sharpen() -> None:
    logits = np.array([[4.0, 0.0], [0.0, 3.0], [5.0, 1.0]])
    labels = np.array([0, 1, 0])
    assert fit_temperature(logits, labels) == pytest.approx(1.0, rel=1e-3)
    overconfident = logits * 10
    wrong = np.array([0, 1, 1])  # one confident error: the fit softens
    assert fit_temperature(overconfident, wrong) > 2.0


def test_the_suggester_hands_on_the_classifiers_features_for_the_capture(trained: TrainResult, eval_set: Path) -> None:
    from config.vision import VisionConfig
    from edge.vision.answer import NoSuggestion, Prediction
    from edge.vision.suggester import Suggester

    frame = cv2.imread(str(next(iter_samples(eval_set, STREAM)).image))
    config = VisionConfig(classifier=trained.model_path, read_markings=False, thresholds={STREAM: 0.0})
    answer = Suggester(config, CLASSES).suggest(frame, STREAM)
    assert isinstance(answer, Prediction)
    assert answer.features is not None and len(answer.features) == FEATURE_SIZE
    # Below the threshold nothing is shown, and the features of the same run are still kept.
    strict = config.model_copy(update={"thresholds": {STREAM: 1.0}})
    hidden = Suggester(strict, CLASSES).suggest(frame, STREAM)
    assert isinstance(hidden, NoSuggestion)
    assert hidden.features == answer.features
