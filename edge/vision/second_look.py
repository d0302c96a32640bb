"""How the marking reader looks at a frame again when its first reading is not enough (``MarkingOcr.read``).

Kept apart from the OCR so that callers (the suggester, the evaluation) can name a look without loading onnxruntime.
"""

from __future__ import annotations

from enum import StrEnum


class SecondLook(StrEnum):
    """A second image of a frame whose first reading was not enough (``MarkingOcr.read``)."""

    RELIEF = "relief"  # a high-pass image: embossed or moulded markings, same colour as the plastic
    SMOOTHED = "smoothed"  # a blurred image: woven letters on a thread grid
    # The first pass's lines decoded against the care-label vocabulary (``label_lexicon``), read in the frame and
    # then in the smoothed image: woven letters the other looks still misread.
    LEXICON = "lexicon"
    # The frame with its local contrast equalised, read afresh and then against the vocabulary (``EQUALISED_LOOKS``):
    # a label printed faint, whose lines the detector did not find. Late: it reads the whole frame again.
    CONTRAST = "contrast"
    # The frame through a 3x3 median filter, read afresh, then smoothed and against the vocabulary (``MEDIAN_LOOKS``):
    # woven letters whose thread grid broke every other look's reading. Last of all: it reads the whole frame again.
    MEDIAN = "median"
    # The lines of the frame's first pass and of its relief image decoded against the ISO 11469 codes
    # (``code_lexicon``): a moulded code read with its brackets as letters and a letter of it wrong.
    CODES = "codes"


# What each kind of item is read again as, in order: plastics in relief, then their lines against the ISO codes; care
# labels smoothed first (woven labels), then in relief (a label washed pale), then against the label's vocabulary, at
# full contrast (faint print), and last through a median filter (woven labels none of the others read).
PLASTIC_LOOKS: tuple[SecondLook, ...] = (SecondLook.RELIEF, SecondLook.CODES)
# What the contrast look reads its equalised frame as after the first pass: against the vocabulary only. Smoothed and
# in relief as well, it read one tuning label more of the 160 unread it was tried on, made one wrong answer on the
# faint tuning labels, and took a third more time on the labels it read (docs/vision.md).
EQUALISED_LOOKS: tuple[SecondLook, ...] = (SecondLook.LEXICON,)
# What the median look reads its filtered frame as after the first pass: smoothed, then against the vocabulary (the
# woven tuning labels it read came out of these two; the first pass alone read none of them, docs/vision.md).
MEDIAN_LOOKS: tuple[SecondLook, ...] = (SecondLook.SMOOTHED, SecondLook.LEXICON)
LABEL_LOOKS: tuple[SecondLook, ...] = (
    SecondLook.SMOOTHED,
    SecondLook.RELIEF,
    SecondLook.LEXICON,
    SecondLook.CONTRAST,
    SecondLook.MEDIAN,
)
