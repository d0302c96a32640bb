"""scripts/triangle_misses.py: each frame without an answer is put down to the first thing that stopped it."""

from __future__ import annotations

import pytest

from edge.vision.triangle_reader import DigitReading, TriangleVote
from scripts.triangle_misses import why_no_answer


def _vote(
    digit: int,
    confidence: float,
    *,
    others_none: bool = True,
    ocr_digit: int | None = None,
    code: str | None = None,
    share: float = 0.0,
    alone: float = 0.9,
    steadiness: float | None = None,
    rescanned: bool = False,
    beside_seven: bool = False,
) -> TriangleVote:
    reading = DigitReading(digit, confidence, 0, others_none)
    return TriangleVote(reading, 3, ocr_digit, code, share, alone, rescanned, steadiness, None, rescanned, beside_seven)


@pytest.mark.parametrize(
    ("votes", "want", "reason"),
    [
        ([], 3, "not-found"),
        ([_vote(3, 0.95, code="PP", share=0.97)], 3, "code-veto"),
        ([_vote(3, 0.7, code="PP", share=0.5)], 3, "below-alone"),  # under CODE_SHARE: no veto
        ([_vote(3, 0.95, ocr_digit=5)], 3, "ocr-veto"),
        ([_vote(1, 0.95)], 1, "one-alone"),  # under ONE_ALONE
        ([_vote(1, 0.99, alone=1.01)], 1, "beside-words"),  # a sure 1 is stopped by the rules of any digit alone
        ([_vote(1, 0.99, steadiness=0.7)], 1, "unsteady"),  # steady enough for another digit, not for a 1
        ([_vote(3, 0.99, others_none=False)], 3, "others-read"),
        ([_vote(3, 0.99, alone=1.01)], 3, "beside-words"),
        ([_vote(3, 0.7)], 3, "below-alone"),
        ([_vote(3, 0.95, steadiness=0.4)], 3, "unsteady"),
        ([_vote(3, 0.95, steadiness=0.75, rescanned=True)], 3, "unsteady"),  # a place rescanned: RESCAN_STEADY_MIN
        ([_vote(3, 0.95, steadiness=0.4), _vote(3, 0.7)], 3, "below-alone"),  # the earlier rule of the two
        ([_vote(1, 0.99, steadiness=0.95, beside_seven=True)], 1, "beside-seven"),  # the OCR read 7 in its view
        ([_vote(1, 0.99, steadiness=0.7, beside_seven=True)], 1, "unsteady"),  # steadiness is checked first
        ([_vote(5, 0.9)], 3, "other-digit"),
        ([_vote(3, 0.3)], 3, "right-but-unsure"),
        ([_vote(0, 0.9), _vote(3, 0.1)], 3, "no-digit"),
    ],
)
def test_a_miss_is_put_down_to_the_first_rule_that_stopped_it(
    votes: list[TriangleVote], want: int, reason: str
) -> None:
    assert why_no_answer(votes, want) == reason
