"""The triangle digit recogniser (the shipped ONNX file and its card), the lexicon decoding and the vote."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from edge.vision.markings.plastics import read_polymer
from edge.vision.model_files import file_sha256, load_model, read_card, write_card
from edge.vision.resin_triangle import WINDOW, UprightTriangle, upright_views
from edge.vision.triangle_reader import (
    ALONE_METRIC,
    CLASSES,
    CNN_MODEL_NAME,
    CROP_FEATURES,
    DIGIT_ALONE,
    DIGIT_CLAIM,
    DIGIT_WITH_CODE,
    DIGIT_WITH_OCR,
    FEATURES,
    OCR_SUPPORT,
    ONE_ALONE,
    ONE_WITH_OCR,
    STEADY_MIN,
    STEADY_SHIFT,
    DigitReading,
    TriangleDigitReader,
    best_digit,
    code_digit_of,
    default_model_path,
    digit_features,
    grey_crops,
    lexicon_read,
    product_of,
    shifted_views,
    view_crops,
    view_features,
    vote,
)
from scripts.render_triangle_training import render_frame
from scripts.train_triangle_reader import export


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
    claimed = right = sure = sure_right = 0
    for digit in (2, 3, 4, 5, 6, 7) * 2:
        item = render_frame(rng, np_rng, digit=digit)
        views = upright_views(item.frame, item.box)
        if not views:
            continue
        reading = reader.read(views)
        if reading.digit and reading.confidence >= DIGIT_CLAIM:
            claimed += 1
            right += reading.digit == digit
        if reading.digit and reading.confidence >= reader.alone and reading.others_none:
            sure += 1
            sure_right += reading.digit == digit
    assert claimed >= 6
    assert right >= claimed - 2  # a claim is checked by the OCR's digit and the abbreviation (the vote)
    assert sure_right == sure  # what may answer alone is right


def _window(image: np.ndarray) -> UprightTriangle:
    return UprightTriangle(image, np.eye(2, 3), base_y=220, base_left=100, base_right=220)


def test_a_blank_or_noise_view_is_no_resin_digit(reader: TriangleDigitReader) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (WINDOW, WINDOW, 3), dtype=np.uint8)
    blank = np.full((WINDOW, WINDOW, 3), 128, np.uint8)

    for image in (noise, blank):
        reading = reader.read([_window(image)] * 3)
        assert reading.digit == 0 or reading.confidence < reader.alone or not reading.others_none


def test_the_features_hold_the_digit_crop_and_the_whole_triangle() -> None:
    item = render_frame(random.Random(4), np.random.default_rng(4), digit=5)
    views = upright_views(item.frame, item.box)

    assert views
    features = view_features(views[0])
    assert features.shape == (FEATURES,)
    assert np.array_equal(features[: FEATURES // 2], digit_features(views[0].digit()[0]))
    # A negative of the view (sunk relief instead of raised under the same light) gives the same features: the
    # gradient histogram counts directions without their sign.
    negative = UprightTriangle(
        255 - views[0].window, views[0].to_frame, views[0].base_y, views[0].base_left, views[0].base_right
    )
    assert np.allclose(view_features(negative), features, atol=1e-4)


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


def test_the_polymer_under_a_seven_is_read_and_reported_with_it() -> None:
    # Code 7 is a category: a PC marked 7, read as a 7 without its PC, answered "other" on fresh held-apart seeds.
    for written in ("PC", "ABS", "PA", "PLA", "PMMA"):
        code, share = lexicon_read(_spelling(written, CHARSET), CHARSET)
        assert (code, share > 0.9) == (written, True)
        assert code_digit_of(code, share) == 7
        # A sure 7 confirmed by its code: the code is reported beside the symbol, and the parser reads the polymer.
        assert vote(DigitReading(7, 0.7, 0), None, code, share) == (7, True)
    assert lexicon_read(_spelling("PP", CHARSET), CHARSET)[0] == "PP"
    assert read_polymer(["\u2679", "PC"]).polymer == "pc"  # type: ignore[union-attr]


def test_a_seven_over_a_polymer_code_read_unsure_gives_nothing_rather_than_other() -> None:
    sure_seven = DigitReading(7, 0.999, 0, others_none=True)

    # Over an empty strip or an unsure O the 7 stands alone, as before: "other".
    assert vote(sure_seven, None, None, 0.0, alone=0.9) == (7, False)
    assert vote(sure_seven, None, "O", 0.3, alone=0.9) == (7, False)
    # Over a PC (or PA, ...) that did not read surely, the item may be polycarbonate: nothing, even with the OCR's 7.
    for code in ("PC", "PA", "ABS", "PLA", "PMMA"):
        assert vote(sure_seven, None, code, 0.3, alone=0.9) == (None, False)
        assert vote(sure_seven, 7, code, 0.3, alone=0.9) == (None, False)
    # Read surely, the code confirms the 7 and is reported: the parser reads the polymer.
    assert vote(sure_seven, None, "PC", 0.95, alone=0.9) == (7, True)
    # Another digit over an unsure PC is not this rule's business (a PC under a 5 is no 5's code; the vote decides).
    assert vote(DigitReading(5, 0.999, 0, others_none=True), None, "PC", 0.3, alone=0.9) == (5, False)


def test_lexicon_does_not_force_other_text_into_a_code() -> None:
    code, share = lexicon_read(_spelling("LOT", CHARSET), CHARSET)

    assert code is None or share < 0.5


def test_an_empty_strip_is_no_lone_letter_code_and_a_written_one_still_is() -> None:
    # An empty strip: the blank at every step, a faint O somewhere. Among the codes alone the O wins by far; against
    # "nothing written" it has no share (a lone O read off the empty strip under a digit-only triangle vetoed the
    # digit, or stood in for the real abbreviation).
    empty = np.full((12, len(CHARSET)), 0.002, np.float32)
    empty[:, 0] = 1 - 0.002 * (len(CHARSET) - 1)
    empty[5, CHARSET.index("O")] = 0.2
    empty[5, 0] -= 0.2 - 0.002
    code, share = lexicon_read(empty, CHARSET)
    assert code is None or share < 0.5

    for written in ("O", "V"):
        code, share = lexicon_read(_spelling(written, CHARSET), CHARSET)
        assert (code, share > 0.9) == (written, True)


def test_digit_and_abbreviation_that_disagree_give_nothing() -> None:
    sure = DigitReading(3, 0.999, 0)

    assert vote(sure, None, "PP", 0.99) == (None, False)
    assert vote(sure, 5, None, 0.0) == (None, False)


def test_digit_and_abbreviation_that_agree_answer() -> None:
    assert vote(DigitReading(5, DIGIT_WITH_CODE, 0), None, "PP", 0.99) == (5, True)
    assert vote(DigitReading(3, DIGIT_WITH_CODE, 0), None, "V", 0.99) == (3, True)
    assert vote(DigitReading(6, DIGIT_WITH_OCR, 0), 6, None, 0.0) == (6, False)


def test_two_readers_agreeing_need_less_than_one_alone() -> None:
    # The recogniser at 0.75 with the OCR reading the same digit answers; alone (alone=0.9) it would not.
    assert DIGIT_WITH_OCR < 0.75
    assert vote(DigitReading(5, 0.75, 0, others_none=True), 5, None, 0.0, alone=0.9) == (5, False)
    assert vote(DigitReading(5, 0.75, 0, others_none=True), None, None, 0.0, alone=0.9) == (None, False)
    # Under DIGIT_WITH_OCR the agreement is not enough.
    assert vote(DigitReading(5, DIGIT_WITH_OCR - 0.05, 0), 5, None, 0.0) == (None, False)
    # A 1 still needs ONE_WITH_OCR: a 7 lying a third of a turn round is a confident 1 to the OCR.
    assert vote(DigitReading(1, 0.75, 0), 1, None, 0.0) == (None, False)
    assert vote(DigitReading(1, ONE_WITH_OCR, 0), 1, None, 0.0) == (1, False)


def test_a_digit_read_by_one_reader_only_must_be_very_sure() -> None:
    assert vote(DigitReading(4, min(0.999, DIGIT_ALONE), 0), None, None, 0.0) == (
        (4, False) if DIGIT_ALONE <= 0.999 else (None, False)
    )
    assert vote(DigitReading(4, 0.89, 0), None, None, 0.0) == (None, False)
    # The OCR's digit alone needs the recogniser's support (or the code).
    assert vote(DigitReading(0, 0.0, 0), 4, None, 0.0, support=0.01) == (None, False)
    assert vote(DigitReading(0, 0.0, 0), 4, None, 0.0, support=OCR_SUPPORT) == (4, False)
    assert vote(DigitReading(0, 0.0, 0), 4, "LDPE", 0.99) == (4, True)
    # Except a 1: a 7 lying a third of a turn round is a confident 1 to the OCR; the recogniser or PET must say 1.
    assert vote(DigitReading(0, 0.0, 0), 1, None, 0.0, support=0.45) == (None, False)
    assert vote(DigitReading(0, 0.0, 0), 1, "PET", 0.99) == (1, True)
    assert vote(DigitReading(1, ONE_WITH_OCR, 0), 1, None, 0.0) == (1, False)


def _views(*rows: tuple[int, float]) -> np.ndarray:
    """One row of probabilities per view: (class, its probability), the rest spread evenly."""
    probs = np.zeros((len(rows), len(CLASSES)), np.float32)
    for k, (cls, p) in enumerate(rows):
        probs[k] = (1 - p) / (len(CLASSES) - 1)
        probs[k, cls] = p
    return probs


def test_a_digit_with_its_two_wrong_turns_reading_none_is_marked_as_such() -> None:
    assert best_digit(_views((4, 0.99), (0, 0.9), (0, 0.8))).others_none
    # A digit-shaped blob reads as a digit in another turn too (even a weak one): not a triangle's one upright turn.
    assert not best_digit(_views((4, 0.99), (0, 0.9), (4, 0.4))).others_none
    # Fewer than three views: nothing to check the turns against.
    assert not best_digit(_views((4, 0.99), (0, 0.9))).others_none


def test_the_digit_answers_alone_only_at_the_calibrated_threshold_with_the_other_turns_none() -> None:
    sure = DigitReading(4, 0.98, 0, others_none=True)

    assert vote(sure, None, None, 0.0, alone=0.97) == (4, False)
    assert vote(sure, None, None, 0.0, alone=0.99) == (None, False)
    assert vote(DigitReading(4, 0.98, 0, others_none=False), None, None, 0.0, alone=0.97) == (None, False)
    # Without a calibrated threshold (the default): never alone.
    assert vote(DigitReading(4, 0.9999, 0, others_none=True), None, None, 0.0) == (None, False)
    # Alone never overrides a disagreement.
    assert vote(sure, 5, None, 0.0, alone=0.5) == (None, False)
    assert vote(sure, None, "PP", 0.99, alone=0.5) == (None, False)


def test_the_alone_threshold_comes_from_the_card_and_held_its_precision_there(reader: TriangleDigitReader) -> None:
    # With the convolutional recogniser beside the dense one, the threshold is the product's, on its card.
    metrics = (reader.cnn_card or reader.card).metrics

    assert reader.alone == metrics.get(ALONE_METRIC, DIGIT_ALONE)
    if reader.alone <= 1:
        # Calibrated on the validation split: >= 99.5 % precision, places that are no triangle included.
        assert metrics["val_alone_precision"] >= 0.995
        assert metrics["val_places_no_triangle"] > 0


def test_the_shipped_reader_takes_the_product_of_its_two_recognisers(reader: TriangleDigitReader) -> None:
    cnn_path = default_model_path().with_name(CNN_MODEL_NAME)
    assert reader.cnn_card is not None
    assert reader.cnn_card.sha256 == file_sha256(cnn_path)
    item = render_frame(random.Random(4), np.random.default_rng(4), digit=5)
    views = upright_views(item.frame, item.box)
    assert views
    dense_session, _ = load_model(default_model_path())
    cnn_session, _ = load_model(cnn_path)

    dense = dense_session.run(None, {"features": np.stack([view_features(v) for v in views])})[0]
    convolutional = cnn_session.run(None, {"crops": np.stack([view_crops(v) for v in views])})[0]

    np.testing.assert_allclose(reader.probabilities(views), product_of(dense, convolutional), atol=1e-6)


def test_the_product_keeps_a_class_only_where_both_give_it_one() -> None:
    first = np.array([[0.0, 0.98, 0.02, 0, 0, 0, 0, 0], [0.5, 0.5, 0, 0, 0, 0, 0, 0]], np.float32)
    second = np.array([[0.0, 0.02, 0.98, 0, 0, 0, 0, 0], [0.5, 0.5, 0, 0, 0, 0, 0, 0]], np.float32)

    joint = product_of(first, second)

    assert np.allclose(joint.sum(axis=1), 1)
    assert np.allclose(joint[0, 1:3], [0.5, 0.5])  # each sure of another digit: neither is sure
    assert np.allclose(joint[1], first[1])  # agreeing: as they were
    assert best_digit(joint[:1]).confidence <= 0.5  # at best an even claim, where each alone was sure


def test_the_crops_are_the_views_grey_pixels_standardised() -> None:
    item = render_frame(random.Random(4), np.random.default_rng(4), digit=5)
    view = upright_views(item.frame, item.box)[0]

    crops = view_crops(view)

    assert crops.shape == (2, 32, 32) and crops.dtype == np.float32
    assert np.allclose(crops.mean(axis=(1, 2)), 0, atol=1e-4)
    # The histograms of the dense recogniser are taken of the same pixels.
    grey = grey_crops(view)
    assert np.array_equal(view_features(view), np.concatenate([digit_features(grey[0]), digit_features(grey[1])]))


def test_a_first_version_model_on_the_digit_crop_alone_still_reads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    weights = {
        "w1": rng.normal(0, 0.1, (CROP_FEATURES, 4)).astype(np.float32),
        "b1": np.zeros(4, np.float32),
        "w2": rng.normal(0, 0.1, (4, len(CLASSES))).astype(np.float32),
        "b2": np.zeros(len(CLASSES), np.float32),
    }
    path = tmp_path / "resin-digit.onnx"
    export(weights, 1.0, path, features=CROP_FEATURES)
    old_card = read_card(default_model_path()).model_copy(update={"metrics": {}})
    write_card(path, old_card)
    item = render_frame(random.Random(4), np.random.default_rng(4), digit=5)

    old = TriangleDigitReader(path)
    probs = old.probabilities(upright_views(item.frame, item.box))

    assert probs.shape[1] == len(CLASSES)
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-4)
    assert old.alone == DIGIT_ALONE  # a card without the calibrated threshold: never alone


def test_the_abbreviation_answers_with_the_recognisers_support_and_no_contradiction() -> None:
    # A V read by the lexicon under a 3 the recogniser holds at 0.4 (and the OCR read no digit): a PVC.
    unsure = DigitReading(3, 0.4, 0)
    assert vote(unsure, None, "V", 0.99, code_support=0.4) == (3, True)
    assert vote(DigitReading(3, 0.3, 0), None, "PVC", 0.99, code_support=OCR_SUPPORT) == (3, True)
    # Without the recogniser's support the abbreviation alone gives no digit (it is still reported as a line).
    assert vote(DigitReading(3, 0.1, 0), None, "PVC", 0.99, code_support=0.1) == (None, True)
    # Support is not enough: the recogniser's best digit must be the code's (a lone O read off a 3's triangle).
    assert vote(DigitReading(3, 0.49, 0), None, "O", 0.93, code_support=0.3) == (None, True)
    # The OCR reading another digit, or the recogniser claiming one, still voids everything.
    assert vote(DigitReading(0, 0.0, 0), 5, "PVC", 0.99, code_support=0.9) == (None, False)
    assert vote(DigitReading(5, 0.7, 0), None, "PVC", 0.99, code_support=0.25) == (None, False)


def test_a_1_answers_alone_only_surer_than_the_other_digits() -> None:
    # A 7 lying a third of a turn round, or a thick arrow's shaft, is a sure 1 to the recogniser in unseen fonts.
    assert vote(DigitReading(4, 0.95, 0, others_none=True), None, None, 0.0, alone=0.9) == (4, False)
    assert vote(DigitReading(1, 0.95, 0, others_none=True), None, None, 0.0, alone=0.9) == (None, False)
    assert vote(DigitReading(1, ONE_ALONE, 0, others_none=True), None, None, 0.0, alone=0.9) == (1, False)
    # ... and like any digit alone: never beside words (alone above 1), never with another turn reading a digit.
    assert vote(DigitReading(1, 0.999, 0, others_none=True), None, None, 0.0, alone=DIGIT_ALONE) == (None, False)
    assert vote(DigitReading(1, 0.999, 0, others_none=False), None, None, 0.0, alone=0.9) == (None, False)
    # Confirmed, it stands.
    assert vote(DigitReading(1, 0.999, 0, others_none=True), None, "PET", 0.99, alone=0.9) == (1, True)
    assert vote(DigitReading(1, ONE_WITH_OCR, 0), 1, None, 0.0, alone=0.9) == (1, False)


def test_a_view_is_cut_six_ways_a_little_differently() -> None:
    view = UprightTriangle(np.zeros((WINDOW, WINDOW, 3), np.uint8), np.eye(2, 3), 200, 100, 220)
    shifted = shifted_views(view)
    step = round(STEADY_SHIFT * view.base_length)
    assert {
        (v.base_y - view.base_y, v.base_left - view.base_left, v.base_right - view.base_right) for v in shifted
    } == {
        (step, 0, 0),
        (-step, 0, 0),
        (0, step, step),
        (0, -step, -step),
        (0, -step, step),
        (0, step, -step),
    }


def test_a_right_digit_holds_when_its_view_is_cut_differently(reader: TriangleDigitReader) -> None:
    rng, np_rng = random.Random(5), np.random.default_rng(5)
    held = wrong_held = 0
    for digit in (2, 3, 4, 5, 6, 7):
        item = render_frame(rng, np_rng, digit=digit)
        views = upright_views(item.frame, item.box)
        reading = reader.read(views)
        if reading.digit != digit or reading.confidence < reader.alone:
            continue
        held += reader.steadiness(views[reading.view], digit) >= STEADY_MIN
        wrong = 1 + digit % 7  # another digit
        wrong_held += reader.steadiness(views[reading.view], wrong) >= STEADY_MIN
    assert held >= 4
    assert wrong_held == 0
