"""The suggester with the station's side lights: the ambient frame first, as without lights; the lit views only when
it gives no marking; any disagreement between the views gives no suggestion."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from config.vision import VisionConfig
from edge.vision.answer import NoSuggestion, Prediction
from edge.vision.lighting import LitFrame
from edge.vision.second_look import PLASTIC_LOOKS, SecondLook
from edge.vision.suggester import LIGHTS_READER_VERSION, MARKING_READER_VERSION, Suggester

PLASTIC = ["pet", "hdpe", "pvc", "ldpe", "pp", "ps", "other"]
AMBIENT, FUSED = 10, 128  # grey levels: the fused relief of flat frames is mid-grey


class Line:
    def __init__(self, text: str) -> None:
        self.text = text


class TextByGrey:
    """An OCR stand-in: what it reads in a frame is chosen by the frame's grey level."""

    def __init__(self, texts: dict[int, list[str]]) -> None:
        self.texts = texts
        self.read_levels: list[int] = []

    def read(
        self,
        frame: npt.NDArray[np.uint8],
        enough: Callable[[list[str]], bool] | None = None,
        looks: Sequence[SecondLook] = PLASTIC_LOOKS,
    ) -> list[Line]:
        level = int(frame[0, 0, 0])
        self.read_levels.append(level)
        return [Line(text) for text in self.texts.get(level, [])]


def flat(level: int) -> npt.NDArray[np.uint8]:
    return np.full((48, 64, 3), level, np.uint8)


def suggester_reading(texts: dict[int, list[str]]) -> tuple[Suggester, TextByGrey]:
    suggester = Suggester(VisionConfig(read_markings=False), PLASTIC)
    ocr = TextByGrey(texts)
    suggester._ocr = ocr  # the stand-in for PP-OCR; the rest of the suggester is the real one
    return suggester, ocr


LIT = [LitFrame(flat(level), azimuth) for level, azimuth in ((20, 0.0), (30, 120.0), (40, 240.0))]


def test_the_lights_are_not_asked_when_the_ambient_frame_reads() -> None:
    suggester, ocr = suggester_reading({AMBIENT: ["5", "PP"]})
    asked: list[bool] = []
    answer = suggester.suggest(flat(AMBIENT), "plastic", lambda: asked.append(True) or LIT)
    assert isinstance(answer, Prediction) and answer.label == "pp"
    assert answer.model_version == MARKING_READER_VERSION
    assert asked == [] and ocr.read_levels == [AMBIENT]


def test_views_that_agree_answer_with_the_lights_version() -> None:
    suggester, ocr = suggester_reading({FUSED: ["♴", "PP"], 20: ["PP"], 40: ["5 PP"]})
    answer = suggester.suggest(flat(AMBIENT), "plastic", lambda: LIT)
    assert isinstance(answer, Prediction) and answer.label == "pp"
    assert answer.model_version == LIGHTS_READER_VERSION
    assert ocr.read_levels == [AMBIENT, FUSED, 20, 30, 40]  # every view is read: a conflict must be seen


def test_a_view_reading_another_polymer_gives_no_suggestion() -> None:
    suggester, _ocr = suggester_reading({FUSED: ["PP"], 20: ["PP"], 30: ["PVC"]})
    answer = suggester.suggest(flat(AMBIENT), "plastic", lambda: LIT)
    assert isinstance(answer, NoSuggestion)
    assert answer.reason == "no marking under the lights (pp x2, pvc x1)"


def test_lights_that_failed_leave_the_single_frames_answer() -> None:
    suggester, ocr = suggester_reading({})
    answer = suggester.suggest(flat(AMBIENT), "plastic", lambda: None)
    assert isinstance(answer, NoSuggestion) and answer.reason == "no readable marking"
    assert ocr.read_levels == [AMBIENT]
