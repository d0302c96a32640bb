"""The vision entry point: markings decide plastics, thresholds gate, broken models leave the station working."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from config.vision import VisionConfig
from edge.vision import ocr
from edge.vision.answer import NoSuggestion, Prediction, Source
from edge.vision.dataset import iter_samples
from edge.vision.suggester import Suggester

EVAL = Path(__file__).resolve().parents[3] / "data" / "vision_eval"
PLASTIC = ["pet", "hdpe", "pvc", "ldpe", "pp", "ps", "residual"]


def _frame(label: str) -> np.ndarray:
    sample = next(s for s in iter_samples(EVAL, "plastic") if s.meta.label == label)
    frame = cv2.imread(str(sample.image))
    assert frame is not None
    return frame


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester(VisionConfig(), PLASTIC)


def test_a_readable_marking_decides(suggester: Suggester) -> None:
    answer = suggester.suggest(_frame("pp"), "plastic")
    assert isinstance(answer, Prediction)
    assert (answer.label, answer.source) == ("pp", Source.MARKING)
    assert answer.confidence >= 0.97 and answer.top[0].label == "pp"
    assert "PP" in answer.evidence.upper()


def test_a_polymer_that_is_no_category_here_gives_no_suggestion(suggester: Suggester) -> None:
    answer = suggester.suggest(_frame("abs"), "plastic")
    assert isinstance(answer, NoSuggestion) and "not a category" in answer.reason


def test_below_the_stream_threshold_nothing_is_shown() -> None:
    strict = Suggester(VisionConfig(thresholds={"plastic": 0.999}), PLASTIC)
    answer = strict.suggest(_frame("pet"), "plastic")
    assert isinstance(answer, NoSuggestion) and "below the plastic threshold" in answer.reason
    assert answer.top and answer.top[0].label == "pet"  # kept for the log


def test_an_empty_frame_gives_no_suggestion(suggester: Suggester) -> None:
    answer = suggester.suggest(np.full((480, 640, 3), 200, np.uint8), "plastic")
    assert isinstance(answer, NoSuggestion)


def test_a_corrupt_classifier_is_reported_and_the_rest_works(tmp_path: Path) -> None:
    broken = tmp_path / "plastic-classifier.onnx"
    broken.write_bytes(b"not a model")
    suggester = Suggester(VisionConfig(classifier=broken), PLASTIC)
    assert any("classifier unavailable" in p and str(broken) in p for p in suggester.problems)
    answer = suggester.suggest(_frame("hdpe"), "plastic")
    assert isinstance(answer, Prediction) and answer.label == "hdpe"  # the marking reader still works


def test_missing_ocr_models_leave_no_suggestions_but_no_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "default_model_dir", lambda: tmp_path)
    suggester = Suggester(VisionConfig(), PLASTIC)
    assert any("marking reader unavailable" in p for p in suggester.problems)
    answer = suggester.suggest(_frame("pp"), "plastic")
    assert isinstance(answer, NoSuggestion)


def test_a_stream_without_a_marking_reader_reads_no_text(monkeypatch: pytest.MonkeyPatch) -> None:
    suggester = Suggester(VisionConfig(), ["cd", "dvd"])
    calls: list[object] = []
    assert suggester._ocr is not None
    monkeypatch.setattr(suggester._ocr, "read", lambda *args, **kwargs: calls.append(args) or [])

    answer = suggester.suggest(_frame("pp"), "cd")

    assert isinstance(answer, NoSuggestion) and "no marking reader" in answer.reason
    assert calls == []  # no OCR pass (nor its relief retry) whose text nothing would use


def test_reconfigured_thresholds_and_categories_apply_to_the_next_item() -> None:
    """Remote config (edge/stations/remote_config.py): the models stay loaded, the gates change."""
    changing = Suggester(VisionConfig(), PLASTIC)
    assert isinstance(changing.suggest(_frame("pet"), "plastic"), Prediction)
    changing.reconfigure(VisionConfig(thresholds={"plastic": 0.999}), PLASTIC)
    answer = changing.suggest(_frame("pet"), "plastic")
    assert isinstance(answer, NoSuggestion) and "below the plastic threshold" in answer.reason
    changing.reconfigure(VisionConfig(), [c for c in PLASTIC if c != "pet"])
    answer = changing.suggest(_frame("pet"), "plastic")
    assert isinstance(answer, NoSuggestion) and "not a category" in answer.reason


def test_the_trained_triangle_finder_is_the_station_files_choice(suggester: Suggester) -> None:
    """Off by default (it changed nothing on the held-apart set, docs/vision.md); ``triangle_finder`` loads it."""
    assert isinstance(suggester._ocr, ocr.MarkingOcr)
    assert suggester._ocr.describe()["triangle_finder"] is False
    with_finder = Suggester(VisionConfig(triangle_finder=True), PLASTIC)
    assert isinstance(with_finder._ocr, ocr.MarkingOcr)
    assert with_finder._ocr.describe()["triangle_finder"] is True
