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


# What each kind of item is read again as, in order: plastics in relief; care labels smoothed first (woven labels),
# then in relief (a label washed pale), and last against the label's vocabulary.
PLASTIC_LOOKS: tuple[SecondLook, ...] = (SecondLook.RELIEF,)
LABEL_LOOKS: tuple[SecondLook, ...] = (SecondLook.SMOOTHED, SecondLook.RELIEF, SecondLook.LEXICON)
