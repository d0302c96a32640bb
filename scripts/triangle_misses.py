"""Why the marking reader gave no answer on recycling triangles: every triangle's vote logged, each frame sorted by
the first thing that stopped it. For TUNING frames only (``scripts/render_triangle_training.py --out DIR``): looking
at why the held-apart set (``render_field_evalset.py``) was missed would make it a tuning set.

    python scripts/triangle_misses.py /tmp/tv                      # the table
    python scripts/triangle_misses.py /tmp/tv /tmp/tvv --show below-alone   # and the frames of one reason

Reasons, checked in this order for the votes of a frame without an answer (a frame answers wrongly: "wrong"):

* ``not-found``: no triangle reached the vote (the outline test found none, or the recogniser claimed no digit in any
  view of the places the scan found);
* the recogniser claimed the right digit (at ``DIGIT_CLAIM``) in some vote, and it was stopped by: ``code-veto`` (the
  abbreviation named another polymer), ``ocr-veto`` (the OCR read another digit), ``one-alone`` (a 1 under
  ``ONE_ALONE``, the surer threshold a 1 alone needs), ``others-read`` (another turn of the triangle read a digit
  too, or it had fewer than three views), ``beside-words`` (a line read as a word, so no digit alone; on a place
  rescanned after the boxes' triangles gave nothing, also: another place of the frame claimed another digit, which
  stops a 1 the OCR confirms too),
  ``below-alone`` (under the card's alone threshold), ``unsteady`` (``TriangleDigitReader.steadiness``, under
  ``ONE_STEADY_MIN`` for a 1, ``RESCAN_STEADY_MIN`` on a place rescanned), ``beside-seven`` (a 1 where the OCR read
  a 7 in the same view, ``ocr.ONE_BESIDE_SEVEN_SCORE``);
* otherwise ``other-digit`` (the recogniser read another digit), ``right-but-unsure`` (the right digit, under
  ``DIGIT_CLAIM`` but above 0.2), ``no-digit`` (it read "not a digit").
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import cv2

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.vision.dataset import iter_samples
from edge.vision.markings.plastics import RESIN_CODES, polymer_readable, read_polymer
from edge.vision.ocr import MarkingOcr
from edge.vision.second_look import PLASTIC_LOOKS
from edge.vision.triangle_reader import DIGIT_CLAIM, ONE_ALONE, TriangleVote, steadiness_needed

DIGIT_OF = {polymer: digit for digit, polymers in RESIN_CODES.items() for polymer in polymers}
UNSURE = 0.2  # the right digit above this, under DIGIT_CLAIM: "right-but-unsure"
STOPS = (
    "code-veto",
    "ocr-veto",
    "one-alone",
    "others-read",
    "beside-words",
    "below-alone",
    "unsteady",
    "beside-seven",
)


def stopped_by(vote: TriangleVote, want: int) -> str | None:
    """What kept ``vote``'s right digit (``want``) from answering, or None when the recogniser did not claim it."""
    reading = vote.reading
    if reading.digit != want or reading.confidence < DIGIT_CLAIM:
        return None
    if vote.code_digit is not None and vote.code_digit != want:
        return "code-veto"
    if vote.ocr_digit is not None and vote.ocr_digit != want:
        return "ocr-veto"
    if want == 1 and reading.confidence < ONE_ALONE:
        return "one-alone"
    if not reading.others_none:
        return "others-read"
    if vote.alone > 1:
        return "beside-words"
    if reading.confidence < vote.alone:
        return "below-alone"
    if vote.steadiness is not None and vote.steadiness < steadiness_needed(want, vote.rescanned):
        return "unsteady"
    if vote.beside_seven:
        return "beside-seven"
    return None


def why_no_answer(votes: Sequence[TriangleVote], want: int) -> str:
    """The reason a frame whose triangle's digit is ``want`` gave no answer, from its votes (see the module's doc)."""
    if not votes:
        return "not-found"
    stops = [stop for stop in (stopped_by(vote, want) for vote in votes) if stop is not None]
    if stops:
        return min(stops, key=STOPS.index)  # the earliest rule that stopped it in any vote
    if any(vote.reading.digit not in (0, want) and vote.reading.confidence >= DIGIT_CLAIM for vote in votes):
        return "other-digit"
    if any(vote.reading.digit == want and vote.reading.confidence > UNSURE for vote in votes):
        return "right-but-unsure"
    return "no-digit"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="rendered tuning sets (render_triangle_training --out)")
    parser.add_argument("--show", help="list the frames of this reason")
    args = parser.parse_args(argv)
    votes: list[TriangleVote] = []
    ocr = MarkingOcr(triangle_votes=votes.append)
    reasons: Counter[str] = Counter()
    frames: defaultdict[str, list[str]] = defaultdict(list)
    for folder in args.folders:
        for sample in iter_samples(folder, "plastic"):
            truth = sample.meta.truth
            if truth is None or truth.polymer not in DIGIT_OF:
                continue
            votes.clear()
            frame = cv2.imread(str(sample.image))
            if frame is None:
                print(f"{sample.image}: not an image, skipped", file=sys.stderr)  # noqa: T201
                continue
            lines = [line.text for line in ocr.read(frame, polymer_readable, PLASTIC_LOOKS)]
            reading = read_polymer(lines)
            if reading is None:
                reason = why_no_answer(votes, DIGIT_OF[truth.polymer])
            else:
                reason = "right" if reading.polymer == truth.polymer else "wrong"
            reasons[reason] += 1
            frames[reason].append(f"{sample.image} {truth.style or ''}")
    total = sum(reasons.values())
    rows = [f"| frames (of {total}) | count | share |", "|---|---|---|"]
    rows += [f"| {reason} | {count} | {100 * count / max(total, 1):.1f}% |" for reason, count in reasons.most_common()]
    rows += frames.get(args.show, []) if args.show else []
    print("\n".join(rows))  # noqa: T201 -- a tuning report on the terminal
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
