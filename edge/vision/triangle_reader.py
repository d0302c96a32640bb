"""Read a recycling triangle's digit with a small trained recogniser, its abbreviation against the lexicon of resin
codes, and let the two vote.

The OCR recogniser reads lines of text; the digit inside a moulded triangle is something else: low contrast, seen by
its relief under a side light, in whatever font the mould maker had. ``TriangleDigitReader`` is a small network (two
dense layers on a 32x32 grey crop and its gradient histogram) trained by ``scripts/train_triangle_reader.py`` on
crops that the reader's own ``resin_triangle.upright_views`` cut from rendered triangles (tuning fonts only). It
tells the digits 1-7 apart, and from them "not a resin digit": the two wrong turns of a triangle's three apex-up views
(a 7 lying a third of a turn round is no 1), an empty triangle, anything else. Its softmax is temperature-scaled on a
validation split.

The abbreviation is read by the OCR recogniser, but decoded against the lexicon only (``lexicon_read``): the CTC
probability of every spelling of every resin code is summed over all alignments, and a code is taken only when it
holds most of the probability the recogniser gives to the lexicon and to its own free reading.

``vote`` combines the recogniser's digit, the OCR's digit and the abbreviation, precision first: readings that name
different polymers give nothing, a reading alone must be very sure, and readings that agree may each be less sure.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from edge.vision.ctc import greedy_path, log_likelihood
from edge.vision.model_files import ModelCard, load_model

if TYPE_CHECKING:
    import onnxruntime as ort

    from edge.vision.resin_triangle import UprightTriangle

logger = logging.getLogger(__name__)

MODEL_NAME = "resin-digit.onnx"
# The convolutional recogniser beside it (scripts/train_triangle_cnn.py): where its file lies beside the dense one, a
# view's probabilities are the two models' product (``TriangleDigitReader.probabilities``).
CNN_MODEL_NAME = "resin-digit-cnn.onnx"
CROP = 32  # px: the digit crop is scaled to CROP x CROP grey
CLASSES = ("none", "1", "2", "3", "4", "5", "6", "7")
# Resin code -> its digit, with the spellings an OCR may give it (a round letter O read as a zero, a lone letter in
# lower case, a hyphen dropped).
LEXICON: dict[str, tuple[int, tuple[str, ...]]] = {
    "PET": (1, ("PET",)),
    "PETE": (1, ("PETE",)),
    "HDPE": (2, ("HDPE",)),
    "PE-HD": (2, ("PE-HD", "PEHD", "PE HD")),
    "PVC": (3, ("PVC",)),
    "V": (3, ("V", "v")),
    "LDPE": (4, ("LDPE",)),
    "PE-LD": (4, ("PE-LD", "PELD", "PE LD")),
    "PP": (5, ("PP",)),
    "PS": (6, ("PS",)),
    "OTHER": (7, ("OTHER", "0THER")),
    "O": (7, ("O", "0", "o")),
    # Code 7 is a category: under its triangle the polymer's own code, when there is one, says what the item is.
    "PC": (7, ("PC",)),
    "ABS": (7, ("ABS",)),
    "PA": (7, ("PA",)),
    "PLA": (7, ("PLA",)),
    "PMMA": (7, ("PMMA",)),
}
# The codes above that name one polymer of category 7, not the category (O, OTHER): a 7 over one of them read unsure
# gives no answer (``vote``), since "other" would stand for a polymer the item names.
SEVEN_POLYMER_CODES = frozenset(code for code, (digit, _) in LEXICON.items() if digit == 7) - {"O", "OTHER"}
# Decision thresholds, set by scripts/train_triangle_reader.py on its validation split for >= 99 % precision there
# (the figures are in the model card); see ``vote``.
# The recogniser's digit alone: only when the model card gives a threshold (``ALONE_METRIC``) that the training script
# calibrated on its validation split, counting places that are no triangle (a lot number, a candidate the scan finds)
# as well as triangles, for >= 99.5 % precision there; and only when the triangle's other two apex-up views read "not
# a resin digit" (``DigitReading.others_none``: a real triangle has one upright turn, a digit-shaped blob reads in
# several). A card without the threshold: never (DIGIT_ALONE above 1).
DIGIT_ALONE = 1.01
ALONE_METRIC = "digit_alone_threshold"
# ... when the OCR read the same digit: two readers that share no weights agree. On the 1,120 tuning frames, every
# such agreement at 0.6 or more was right, and at 0.9 (the threshold before 2026-12-06, the same as a digit alone) 13
# frames the agreement would have answered gave nothing (docs/vision.md, "Two readers agreeing").
DIGIT_WITH_OCR = 0.7
# ... a 1 as before: a 7 lying a third of a turn round is a confident 1 to the OCR.
ONE_WITH_OCR = 0.9
DIGIT_WITH_CODE = 0.6  # ... when the abbreviation names the same polymer
DIGIT_CLAIM = 0.5  # below this the recogniser claims no digit (and contradicts none)
OCR_SUPPORT = 0.2  # the recogniser's probability (any view) an OCR digit it did not pick itself needs
CODE_SHARE = 0.9  # the lexicon code's share of the probability (``lexicon_read``)
# A digit that answers alone must hold in its view cut a little differently (``TriangleDigitReader.steadiness``): the
# base line moved by STEADY_SHIFT of its length up, down, left and right, and taken that much longer and shorter. On
# 1,120 tuning frames (four seeds, two of them varied digits) the least probability of the digit over the six cuts was
# under STEADY_MIN for 4 of the 7 wrong answers alone and for 20 of the 135 right ones.
STEADY_SHIFT = 0.05
STEADY_MIN = 0.65
# A 1 alone: a 7 lying a third of a turn round, a turned 2 or the shaft of a thick arrow is a sure 1 to the recogniser
# in fonts it never saw, so a 1 answers alone only surer and steadier than the other digits. On the 1,120 tuning
# frames, 1s alone at the card's threshold and STEADY_MIN would have answered 20 more frames, one of them wrongly (a
# turned 7 at 0.966, steadiness 0.76); at these two they answer 15 more, none wrongly (docs/vision.md).
ONE_ALONE = 0.97
ONE_STEADY_MIN = 0.8
# A digit alone on a place the scan found after the boxes' triangles gave nothing (``MarkingOcr._read_triangles``)
# must be steadier than elsewhere: on the 1,120 tuning frames, the digits alone such places added at STEADY_MIN
# included two wrong ones, steadiness 0.70 and 0.78 (docs/vision.md, "A second scan").
RESCAN_STEADY_MIN = 0.8


def steadiness_needed(digit: int, rescanned: bool = False) -> float:
    """The steadiness (``TriangleDigitReader.steadiness``) the recogniser's ``digit`` needs to answer alone: a 1 more
    than the other digits, and any digit more on a place rescanned."""
    needed = ONE_STEADY_MIN if digit == 1 else STEADY_MIN
    return max(needed, RESCAN_STEADY_MIN) if rescanned else needed


@dataclass(frozen=True, slots=True)
class DigitReading:
    digit: int  # 1..7, or 0: not a resin digit
    confidence: float  # calibrated probability of that class
    view: int  # which of the views it was read in
    others_none: bool = False  # there were three views and the other two read "not a resin digit"


def code_digit_of(code: str | None, share: float) -> int | None:
    """The resin digit an abbreviation read by the lexicon (``lexicon_read``) names, or None when none was read or its
    share is under ``CODE_SHARE``: only then does it confirm or contradict a digit."""
    return LEXICON[code][0] if code is not None and share >= CODE_SHARE else None


@dataclass(frozen=True, slots=True)
class TriangleVote:
    """One triangle's vote as ``MarkingOcr`` took it: what each reader said and what came of it. For diagnostics
    (``MarkingOcr(triangle_votes=...)``, ``scripts/triangle_misses.py``): why a triangle gave no answer."""

    reading: DigitReading  # the recogniser's digit (0 when it claims none) over the views
    views: int  # how many apex-up views the outline gave (three, or fewer near the frame's edge)
    ocr_digit: int | None  # the OCR's digit, decoded as 1-7 only
    code: str | None  # the abbreviation by the resin-code lexicon, and its share (``lexicon_read``)
    code_share: float
    alone: float  # the confidence the recogniser's digit needed to answer alone in this frame
    scanned: bool  # a place the scan found (``triangle_candidates``), not a box of the text detector
    steadiness: float | None  # of a digit answering alone (``TriangleDigitReader.steadiness``); None: not needed
    digit: int | None  # the triangle's digit, or None: no answer
    rescanned: bool = False  # a place the scan found after the boxes' triangles gave nothing (stricter alone)
    beside_seven: bool = False  # a 1 alone stopped: the OCR read a 7 in its view (``ocr.ONE_BESIDE_SEVEN_SCORE``)

    @property
    def code_digit(self) -> int | None:
        """The digit the abbreviation names, where it counts in the vote (``code_digit_of``)."""
        return code_digit_of(self.code, self.code_share)


def digit_features(crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """The recogniser's input for one digit crop (BGR or grey, any size): the histogram of gradient directions of the
    crop scaled to 32x32 grey and standardised (unsigned directions, so raised relief lit from either side and ink
    darker or lighter than the plastic give alike features). The pixels themselves were tried as well: the network
    learned the rendered fonts by heart and did worse on the validation split."""
    return _gradient_histogram(standardised_crops(_grey32(crop)))


CELL = 8  # px of the 32x32 crop per gradient-histogram cell (4x4 cells)
BINS = 9  # unsigned gradient directions, 20 degrees each
CROP_FEATURES = 3 * 3 * 4 * BINS
FEATURES = 2 * CROP_FEATURES  # the digit crop's, then the whole triangle's (``view_features``)


def view_features(view: UprightTriangle) -> npt.NDArray[np.float32]:
    """The recogniser's input for one apex-up view: ``digit_features`` of the digit crop, then of the whole triangle
    cut square round its base line (``UprightTriangle.outline``). The digit alone could not tell a 5 in a triangle
    from the 5 of a lot number that passed the outline test: on the tuning renders such places read as confident
    digits, which kept the recogniser from ever answering alone. With the outline it sees the arrows round the digit."""
    return crop_histograms(view_crops(view))


def crop_histograms(crops: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``view_features`` from a view's standardised crops (``view_crops``), so that a caller holding the crops for
    the convolutional recogniser does not cut and scale the view again."""
    return np.concatenate([_gradient_histogram(crop) for crop in crops])


def view_crops(view: UprightTriangle) -> npt.NDArray[np.float32]:
    """The convolutional recogniser's input for one apex-up view: ``grey_crops`` standardised, 2 x 32 x 32."""
    return standardised_crops(grey_crops(view))


def grey_crops(view: UprightTriangle) -> npt.NDArray[np.uint8]:
    """The digit crop and the whole triangle cut square round its base line, each scaled to 32x32 grey (area
    interpolation), as 2 x 32 x 32: the pixels ``view_features`` takes its histograms of."""
    return np.stack([_grey32(view.digit()[0]), _grey32(view.outline())])


def _grey32(crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if crop.size == 0:
        return np.zeros((CROP, CROP), np.uint8)
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    return np.asarray(cv2.resize(grey, (CROP, CROP), interpolation=cv2.INTER_AREA), np.uint8)


def standardised_crops(crops: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """32x32 grey crops (... x 32 x 32) less their own mean, over their own spread (plus 4 grey levels, so a blank
    crop stays flat rather than amplifying its noise)."""
    pixels = crops.astype(np.float32)
    mean = pixels.mean(axis=(-2, -1), keepdims=True)
    spread = pixels.std(axis=(-2, -1), keepdims=True)
    return np.asarray((pixels - mean) / (spread + 4.0), np.float32)


def product_of(first: npt.NDArray[np.float32], second: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Two recognisers' class probabilities combined as a normalised geometric mean: a class keeps its probability
    only where both give it one, so one model's confident reading outside what it learned is held back by the other's
    doubt."""
    joint = np.sqrt(np.clip(first, 0, None) * np.clip(second, 0, None))
    return np.asarray(joint / np.maximum(joint.sum(axis=1, keepdims=True), 1e-12), np.float32)


def _gradient_histogram(pixels: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """HOG (Dalal and Triggs): per 8x8 cell, gradient magnitude by unsigned direction in 9 bins; each 2x2 block of
    cells L2-normalised (OpenCV 5 no longer ships its HOGDescriptor)."""
    gx = cv2.Sobel(pixels, cv2.CV_32F, 1, 0, ksize=1)
    gy = cv2.Sobel(pixels, cv2.CV_32F, 0, 1, ksize=1)
    magnitude = np.hypot(gx, gy)
    direction = (np.arctan2(gy, gx) % math.pi) / math.pi * BINS
    low = np.floor(direction).astype(np.int64) % BINS
    share = direction - np.floor(direction)
    cells = CROP // CELL
    hist = np.zeros((cells, cells, BINS), np.float32)
    cell_y, cell_x = np.mgrid[0:CROP, 0:CROP] // CELL
    np.add.at(hist, (cell_y, cell_x, low), magnitude * (1 - share))
    np.add.at(hist, (cell_y, cell_x, (low + 1) % BINS), magnitude * share)
    blocks = [hist[y : y + 2, x : x + 2].ravel() for y in range(cells - 1) for x in range(cells - 1)]
    return np.concatenate([b / (np.linalg.norm(b) + 1e-3) for b in blocks]).astype(np.float32)


def default_model_path() -> Path:
    """The recogniser shipped with the package (edge/vision/weights)."""
    return Path(str(resources.files("edge.vision.weights").joinpath(MODEL_NAME)))


class TriangleDigitReader:
    """The trained digit recogniser; ``read`` gives the best digit over a triangle's apex-up views."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        self.path = path or default_model_path()
        session, card = load_model(self.path, threads=threads)
        if tuple(card.classes) != CLASSES:
            msg = f"{self.path}: classes {card.classes} are not the resin digit classes {CLASSES}"
            raise ValueError(msg)
        self._session: ort.InferenceSession = session
        self.card: ModelCard = card
        self._input = session.get_inputs()[0].name
        # A recogniser of the first version took the digit crop's features only (no outline): still read as such.
        self._outline = session.get_inputs()[0].shape[-1] != CROP_FEATURES
        # The threshold the training script calibrated for the digit to answer alone (see DIGIT_ALONE).
        self.alone = float(card.metrics.get(ALONE_METRIC, DIGIT_ALONE))
        # The convolutional recogniser, where its file lies beside this one: its card holds the threshold calibrated
        # for the product of the two (scripts/train_triangle_cnn.py).
        self.cnn_card: ModelCard | None = None
        self._cnn: ort.InferenceSession | None = None
        cnn_path = self.path.with_name(CNN_MODEL_NAME)
        if cnn_path.is_file():
            self._cnn, self.cnn_card = load_model(cnn_path, threads=threads)
            if tuple(self.cnn_card.classes) != CLASSES:
                msg = f"{cnn_path}: classes {self.cnn_card.classes} are not the resin digit classes {CLASSES}"
                raise ValueError(msg)
            self.alone = float(self.cnn_card.metrics.get(ALONE_METRIC, DIGIT_ALONE))

    def probabilities(self, views: Sequence[UprightTriangle]) -> npt.NDArray[np.float32]:
        """Calibrated class probabilities (rows: views, columns: ``CLASSES``); with the convolutional recogniser,
        the product of the two (``product_of``)."""
        if not views:
            return np.zeros((0, len(CLASSES)), np.float32)
        # Each view is cut and scaled once: its crops feed both recognisers.
        crops = np.stack([view_crops(view) for view in views])
        if self._outline:
            features = np.stack([crop_histograms(pair) for pair in crops])
        else:
            features = np.stack([_gradient_histogram(pair[0]) for pair in crops])
        dense = np.asarray(self._session.run(None, {self._input: features})[0], np.float32)
        if self._cnn is None:
            return dense
        convolutional = np.asarray(self._cnn.run(None, {self._cnn.get_inputs()[0].name: crops})[0], np.float32)
        return product_of(dense, convolutional)

    def steadiness(self, view: UprightTriangle, digit: int) -> float:
        """The least probability of ``digit`` over ``view`` cut six ways a little differently (``shifted_views``): a
        right reading holds, a shape the recogniser is unsure of often falls to another class in one of them."""
        return float(self.probabilities(shifted_views(view))[:, digit].min())

    def read(self, views: Sequence[UprightTriangle]) -> DigitReading:
        """The digit of a triangle from its apex-up views: the surest digit of any view, unless another view reads a
        different digit at better than even odds (then: not a resin digit)."""
        probs = self.probabilities(views)
        return best_digit(probs)


def shifted_views(view: UprightTriangle) -> list[UprightTriangle]:
    """``view`` with its base line moved by ``STEADY_SHIFT`` of its length down, up, right and left, and taken that
    much longer and shorter: the digit and outline crops cut six ways a little differently."""
    step = max(2, round(STEADY_SHIFT * view.base_length))
    moves = ((step, 0, 0), (-step, 0, 0), (0, step, 0), (0, -step, 0), (0, 0, step), (0, 0, -step))
    return [
        replace(
            view,
            base_y=view.base_y + down,
            base_left=view.base_left + right - wider,
            base_right=view.base_right + right + wider,
        )
        for down, right, wider in moves
    ]


def best_digit(probs: npt.NDArray[np.float32]) -> DigitReading:
    """See ``TriangleDigitReader.read``; ``probs`` has one row per view."""
    if probs.shape[0] == 0:
        return DigitReading(0, 0.0, -1)
    digit_probs = probs[:, 1:]
    view, column = np.unravel_index(int(np.argmax(digit_probs)), digit_probs.shape)
    digit, confidence = int(column) + 1, float(digit_probs[view, column])
    others = [other for other in range(probs.shape[0]) if other != view]
    for other in others:
        best = int(np.argmax(probs[other]))
        if best not in (0, digit) and probs[other, best] > 0.5:
            return DigitReading(0, 0.0, int(view))
    others_none = len(others) == 2 and all(int(np.argmax(probs[other])) == 0 for other in others)
    return DigitReading(digit, confidence, int(view), others_none)


def lexicon_read(probs: npt.NDArray[np.float32], charset: list[str]) -> tuple[str | None, float]:
    """The resin code a CTC recogniser's output spells, or None, and the code's share of the probability.

    ``probs``: time steps x classes (class 0 the CTC blank, ``charset[k]`` class k). Every spelling of every code is
    scored over all its alignments (the CTC forward sum); so is the recogniser's own greedy reading when it is no
    code. The share is the best code's probability over that total: a code the recogniser also reads freely scores
    near 1, a code that only wins among the lexicon while the free reading says something else scores low. A
    one-letter code (O, V) is weighed against "nothing written" (the all-blank path) as well: the empty strip under a
    digit-only triangle read as a faint O at a share of 0.9 among the codes, which vetoed a right digit or stood in
    for the real abbreviation. Longer codes are not (a faint PVC that confirms its digit keeps its share).
    """
    index = {ch: k for k, ch in enumerate(charset) if ch}
    scores: dict[str, float] = {}
    for code, (_, spellings) in LEXICON.items():
        total = 0.0
        for spelling in spellings:
            labels = [index.get(ch) for ch in spelling]
            if None in labels:
                continue
            total += math.exp(log_likelihood(probs, [k for k in labels if k is not None]))
        scores[code] = total
    path, _ = greedy_path(probs)
    free = "".join(charset[int(k)] for k in path if int(k) < len(charset)).strip()
    spelled = {s for _, spellings in LEXICON.values() for s in spellings}
    rest = math.exp(log_likelihood(probs, [int(k) for k in path])) if free and free not in spelled else 0.0
    code = max(scores, key=lambda c: scores[c])
    total = sum(scores.values()) + rest
    if len(code) == 1:
        total += math.exp(log_likelihood(probs, []))
    if total <= 0 or scores[code] <= 0:
        return None, 0.0
    return code, scores[code] / total


def vote(
    digit: DigitReading,
    ocr_digit: int | None,
    code: str | None,
    code_share: float,
    support: float = 0.0,
    alone: float = DIGIT_ALONE,
    code_support: float = 0.0,
) -> tuple[int | None, bool]:
    """The triangle's digit, or None, and whether its abbreviation may be reported.

    Precision first: the recogniser's digit (when at least ``DIGIT_CLAIM``), the OCR's digit and the abbreviation's
    digit must not name different polymers (any disagreement: nothing at all). The recogniser's digit stands alone
    only at ``alone`` (the model card's calibrated threshold, ``TriangleDigitReader.alone``; by default above 1:
    never) and when the other two views read no digit (``others_none``), a 1 only at ``ONE_ALONE`` as well (and,
    in ``MarkingOcr``, steadier: ``ONE_STEADY_MIN``); confirmed by the OCR at ``DIGIT_WITH_OCR`` (a 1 at
    ``ONE_WITH_OCR``), by the abbreviation at ``DIGIT_WITH_CODE``. The abbreviation is reported when it is read at
    ``CODE_SHARE`` and nothing contradicts it. The OCR's digit without the recogniser's counts when the recogniser
    gives it at least ``OCR_SUPPORT`` in some view (``support``), or the abbreviation confirms it; so does the
    abbreviation's digit (``code_support``: a V read by the lexicon under a 3 the recogniser holds at 0.4).

    A 7 is a category, not a polymer: where the abbreviation's best reading is the code of one polymer of it (PC,
    ABS, ...; ``SEVEN_POLYMER_CODES``) under ``CODE_SHARE``, the 7 gives nothing rather than "other" (a PC marked 7
    whose PC did not read answered "other" on fresh held-apart seeds: 7 of main's 8 wrong answers there).
    """
    answer, code_counts = _vote(digit, ocr_digit, code, code_share, support, alone, code_support)
    if answer == 7 and code in SEVEN_POLYMER_CODES and code_share < CODE_SHARE:
        return None, False
    return answer, code_counts


def _vote(
    digit: DigitReading,
    ocr_digit: int | None,
    code: str | None,
    code_share: float,
    support: float,
    alone: float,
    code_support: float,
) -> tuple[int | None, bool]:
    """``vote`` before its rule for a 7 over a polymer's unsure code."""
    code_digit = code_digit_of(code, code_share)
    mine = digit.digit if digit.digit and digit.confidence >= DIGIT_CLAIM else None
    named = {d for d in (mine, ocr_digit, code_digit) if d is not None}
    if len(named) > 1:
        return None, False
    if mine is None:
        # The OCR's digit alone, or confirmed by the code (the recogniser found no digit it is sure of).
        # Not a 1 on support alone: a 7 lying a third of a turn round is a confident 1 to the OCR.
        if ocr_digit is not None and (code_digit == ocr_digit or (support >= OCR_SUPPORT and ocr_digit != 1)):
            return ocr_digit, code_digit is not None
        # The code's digit with the recogniser's best digit agreeing (a lone O read off a 3's triangle, with the
        # recogniser's 7 at 0.2, answered 7 on the tuning-validation frames: support alone is not enough).
        if ocr_digit is None and code_digit is not None and digit.digit == code_digit and code_support >= OCR_SUPPORT:
            return code_digit, True
        return None, code_digit is not None
    if mine == code_digit and (digit.confidence >= DIGIT_WITH_CODE or code_support >= OCR_SUPPORT):
        return mine, True
    if mine == ocr_digit and digit.confidence >= (DIGIT_WITH_OCR if mine != 1 else ONE_WITH_OCR):
        return mine, code_digit is not None
    # A 1 alone only at ONE_ALONE: a 7 lying a third of a turn round, or the shaft of a thick arrow, is a sure 1 to the
    # recogniser in fonts it never saw (three PP, PS and HDPE triangles on two held-apart seeds answered PET so).
    if digit.confidence >= (alone if mine != 1 else max(alone, ONE_ALONE)) and digit.others_none:
        return mine, code_digit is not None
    return None, code_digit is not None
