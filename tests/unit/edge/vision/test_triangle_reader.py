"""The triangle digit recogniser (the shipped ONNX file and its card), the lexicon decoding and the vote."""

from __future__ import annotations

import random

import numpy as np
import pytest

from edge.vision.model_files import file_sha256, read_card
from edge.vision.resin_triangle import upright_views
from edge.vision.triangle_reader import (
    CLASSES,
    DIGIT_ALONE,
    DIGIT_WITH_CODE,
    DIGIT_WITH_OCR,
    OCR_SUPPORT,
    DigitReading,
    TriangleDigitReader,
    best_digit,
    default_model_path,
    lexicon_read,
    vote,
)
from scripts.render_triangle_training import render_frame


@pytest.fixture(scope="module")
def reader() -> TriangleDigitReader:
    return TriangleDigitReader()


def test_the_shipped_model_matches_its_card(reader: TriangleDigitReader) -> None:
    card = read_card(default_model_path())

    assert card.sha256 == file_sha256(default_model_path())
    assert tuple(card.classes) == CLASSES
    assert reader.card.sha256 == card.sha256


def test_reads_the_digit_of_rendered_triangles(reader: TriangleDigitReader) -> None:
    rng, np_rng = random.Random(3), np.random.default_rng(3)
    right = answered = 0
    for digit in (2, 3, 4, 5, 6, 7) * 2:
        item = render_frame(rng, np_rng, digit=digit)
        views = upright_views(item.frame, item.box)
        if not views:
            continue
        reading = reader.read([view.digit()[0] for view in views])
        if reading.digit:
            answered += 1
            right += reading.digit == digit
    assert answered >= 6
    assert right >= answered - 1


def test_a_blank_or_noise_crop_is_no_resin_digit(reader: TriangleDigitReader) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)
    blank = np.full((40, 40, 3), 128, np.uint8)

    for crop in (noise, blank):
        reading = reader.read([crop])
        assert reading.digit == 0 or reading.confidence < DIGIT_ALONE


def test_a_second_view_reading_another_digit_voids_the_reading() -> None:
    probs = np.zeros((2, len(CLASSES)), np.float32)
    probs[0, 3] = 0.9  # view 0: a 3
    probs[1, 5] = 0.8  # view 1: a 5

    assert best_digit(probs).digit == 0


def _spelling(text: str, charset: list[str], sure: float = 0.95) -> np.ndarray:
    """CTC output that spells ``text`` with one blank between the characters."""
    steps = []
    for ch in text:
        steps += [charset.index(ch), 0]
    probs = np.full((len(steps), len(charset)), (1 - sure) / (len(charset) - 1), np.float32)
    probs[np.arange(len(steps)), steps] = sure
    return probs


CHARSET = ["", *"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-", " "]


def test_lexicon_reads_a_resin_code() -> None:
    code, share = lexicon_read(_spelling("PVC", CHARSET), CHARSET)

    assert code == "PVC"
    assert share > 0.9


def test_lexicon_does_not_force_other_text_into_a_code() -> None:
    code, share = lexicon_read(_spelling("LOT", CHARSET), CHARSET)

    assert code is None or share < 0.5


def test_digit_and_abbreviation_that_disagree_give_nothing() -> None:
    sure = DigitReading(3, 0.999, 0)

    assert vote(sure, None, "PP", 0.99) == (None, False)
    assert vote(sure, 5, None, 0.0) == (None, False)


def test_digit_and_abbreviation_that_agree_answer() -> None:
    assert vote(DigitReading(5, DIGIT_WITH_CODE, 0), None, "PP", 0.99) == (5, True)
    assert vote(DigitReading(3, DIGIT_WITH_CODE, 0), None, "V", 0.99) == (3, True)
    assert vote(DigitReading(6, DIGIT_WITH_OCR, 0), 6, None, 0.0) == (6, False)


def test_a_digit_read_by_one_reader_only_must_be_very_sure() -> None:
    assert vote(DigitReading(4, min(0.999, DIGIT_ALONE), 0), None, None, 0.0) == (
        (4, False) if DIGIT_ALONE <= 0.999 else (None, False)
    )
    assert vote(DigitReading(4, DIGIT_WITH_OCR, 0), None, None, 0.0) == (None, False)
    # The OCR's digit alone needs the recogniser's support (or the code).
    assert vote(DigitReading(0, 0.0, 0), 4, None, 0.0, support=0.01) == (None, False)
    assert vote(DigitReading(0, 0.0, 0), 4, None, 0.0, support=OCR_SUPPORT) == (4, False)
    assert vote(DigitReading(0, 0.0, 0), 4, "LDPE", 0.99) == (4, True)
