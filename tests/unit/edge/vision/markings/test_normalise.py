"""``edit_distance``: the one Levenshtein distance the parsers and the lexicon look share."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge.vision.markings.normalise import edit_distance

WORDS = st.text(alphabet="abclo01 ", max_size=9)


def test_slips_are_counted() -> None:
    assert edit_distance("cotton", "cotton") == 0
    assert edit_distance("cotor", "cotton") == 2  # one letter misread, one lost
    assert edit_distance("acr111c0", "acrilico") == 4
    assert edit_distance("", "wol") == 3


@given(WORDS, WORDS, st.integers(min_value=1, max_value=5))
def test_a_cap_stops_the_count_and_changes_nothing_under_it(word: str, other: str, cap: int) -> None:
    full = edit_distance(word, other)
    assert edit_distance(word, other, cap) == min(full, cap)
    assert full == edit_distance(other, word)
    assert abs(len(word) - len(other)) <= full <= max(len(word), len(other))
