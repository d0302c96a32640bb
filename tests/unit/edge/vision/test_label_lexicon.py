"""The lexicon look's decoder on recogniser outputs made by hand: each step says how sure the recogniser is of which
characters, so each rule of ``label_lexicon`` can be shown to hold (and to fail the way it should)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from edge.vision.label_lexicon import ALTERNATIVE_SPAN, LabelLexicon, NumberSlot
from tests.unit.edge.vision.recogniser_output import Step, recogniser_output

# A recogniser's classes: the blank, Latin letters in both cases, one accented letter, digits, signs, the space.
CHARSET = ["", *"abcdefghijklmnopqrstuvwxyz", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ó", *"0123456789", *"%°/:-]", " "]
LEXICON = LabelLexicon(CHARSET)


def _output(steps: list[Step]) -> npt.NDArray[np.float32]:
    return recogniser_output(CHARSET, steps)


def _unsure(read: str, meant: str, p_meant: float) -> dict[str, float]:
    return {read: 1 - p_meant, meant: p_meant}


def test_a_woven_fibre_name_read_as_digits_is_the_name_the_recogniser_also_saw() -> None:
    # "45% acr111c0": each 1 was nearly an i or an l, the 0 nearly an o.
    steps: list[Step] = [*"45% acr", _unsure("1", "i", 0.3), _unsure("1", "l", 0.3), _unsure("1", "i", 0.3), "c"]
    steps.append(_unsure("0", "o", 0.35))
    assert LEXICON.decode(_output(steps)) == "45% acrilico"


def test_a_hundred_read_as_letters_is_a_hundred() -> None:
    steps: list[Step] = [_unsure("l", "1", 0.3), _unsure("o", "0", 0.4), _unsure("o", "0", 0.4)]
    steps += [_unsure("x", "%", 0.3), *" cotton"]
    assert LEXICON.decode(_output(steps)) == "100% cotton"


def test_a_glued_word_is_cut_where_digits_and_letters_meet() -> None:
    decoded = LEXICON.decode(_output([*"95%", *"polyest", _unsure("3", "e", 0.3), "r"]))
    assert decoded == "95% polyester"
    decoded = LEXICON.decode(_output([*"woo", _unsure("]", "l", 0.2), *"90%cashmere10%"]))
    assert decoded == "wool 90% cashmere 10%"


def test_case_and_accents_count_as_one_letter() -> None:
    steps: list[Step] = [*"ALGOD", {"ó": 0.5, "6": 0.5}, "N"]
    assert LEXICON.decode(_output(steps)) == "algodon"


def test_two_close_numbers_stay_as_read() -> None:
    # 36% or 30%: the recogniser is torn; a wrong percentage must not be made up.
    steps: list[Step] = ["3", {"6": 0.55, "0": 0.45}, "%"]
    assert LEXICON.decode(_output(steps)) == "36%"


def test_a_word_the_recogniser_is_sure_of_does_not_become_a_fibre_one_letter_away() -> None:
    # "ratio" is one letter from "ramio" (ramie, Spanish); the recogniser is sure of its t.
    assert LEXICON.decode(_output([*"organic ratio"])) == "organic ratio"
    assert LEXICON.decode(_output([*"wash at 30°c"])) == "wash at 30°c"


def test_short_words_only_ever_become_numbers() -> None:
    # "in" is one letter from "lin" (linen, French).
    assert LEXICON.decode(_output([*"Made ", _unsure("i", "l", 0.2), "n", *" Portugal"])).endswith(" in Portugal")
    assert LEXICON.decode(_output(["3", _unsure("s", "5", 0.4)])) == "35"


def test_fibre_names_close_to_each_other_stay_as_read() -> None:
    # "lera": lana (wool) and len (linen) are both near; neither is sure enough.
    steps: list[Step] = ["l", {"e": 0.52, "a": 0.48}, "r", "a"]
    assert LEXICON.decode(_output(steps)) == "lera"


def test_an_empty_output_is_an_empty_line() -> None:
    assert LEXICON.decode(np.eye(len(CHARSET), dtype=np.float32)[[0, 0, 0]]) == ""


def test_a_percentage_the_recogniser_leaves_open_is_a_slot_with_its_readings() -> None:
    # "78%" or "70%": decoded as read (the two are too close), and offered to the sum look with both readings.
    segments = LEXICON.segments(_output(["7", {"8": 0.55, "0": 0.45}, *"% viscose"]))
    slot = segments[0]
    assert isinstance(slot, NumberSlot)
    assert slot.text == "78%"
    terms = [term for term, _ in slot.options]
    assert terms[:2] == ["78%", "70%"]
    losses = [loss for _, loss in slot.options]
    assert losses[0] == 0.0
    assert 0 < losses[1] < 1
    assert losses == sorted(losses)
    assert all(loss <= ALTERNATIVE_SPAN for loss in losses)
    assert "".join(part if isinstance(part, str) else part.text for part in segments) == "78% viscose"
    assert LEXICON.decode(_output(["7", {"8": 0.55, "0": 0.45}, *"% viscose"])) == "78% viscose"


def test_only_percentages_become_slots() -> None:
    # A fibre name, a number without a percent sign and a temperature are no slots.
    segments = LEXICON.segments(_output([*"wash at 30°c 4471 cotton"]))
    assert not any(isinstance(part, NumberSlot) for part in segments)
    # A sure percentage is a slot of one reading (nothing for the sums to choose).
    (slot, *_) = LEXICON.segments(_output([*"100% cotton"]))
    assert isinstance(slot, NumberSlot)
    assert [term for term, _ in slot.options] == ["100%"]
