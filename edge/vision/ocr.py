"""Reads the text of plastic markings and care labels with PP-OCRv4 (the ONNX files inside rapidocr-onnxruntime).

The models are rapidocr's; the pipeline around them is ours. rapidocr's defaults cost about 620 ms a 640x480 frame on
the station's 2-core CPU, mostly in detection: it scales the frame up to a 736 px short side (981x736, 2.4x the
pixels). What this reader does instead, each step measured on the rendered evaluation set (tests/data/vision_eval)
(``python -m bench vision`` compares the result with rapidocr's defaults on the same frames):

* detection at the frame's own size (640x480), which finds text down to about 14 px;
* no direction classifier: lines that read weakly are read once more turned 180°, the frame's lines vote on which
  way up the text is, and all lines are read that way (upside-down care labels read in order, top line first);
  the widest line is asked first, so an upside-down label is not read upright in full before it is read turned;
* recognition crops padded to 160 px wide instead of 320 (cost is about linear in width; same readings);
* recognition batches bounded to 1280 px of padded width in all, widths rounded up to 32 px: 8 long label lines
  in one batch took 107 MB that onnxruntime's arena keeps, and ran slower per pixel; onnxruntime's memory
  patterns off (one block per input shape, 50 MB after 200 frames): p99 about 0.4-0.6x, RSS 370 -> 227 MB;
* decoding restricted to Latin script, so a blurred glyph or a triangle does not come out as a CJK character;
* recycling triangles are read upright (``resin_triangle``): a box that reads no word, a lone digit's box, a
  faint blob or a place found by its edges, whose edges run in three directions 60° apart, is turned apex up, its
  digit read by the OCR (1-7 only) and by a small trained recogniser, its abbreviation decoded against the resin
  codes, and the three vote (``triangle_reader``); the digit is returned as the Unicode resin symbol (♳..♹), so a
  parser can tell it from other digits, and the abbreviation as a line of its own;
* a second pass on a high-pass "relief" image when the caller's parser cannot use the first reading (typically an
  embossed marking, maybe beside a printed lot number that did read), or, without a parser, nothing plausible was read;
  lines that read well in the first pass keep their reading there, only new or weak boxes are recognised again;
* for plastics still without an answer, the lines of both passes decoded against the ISO 11469 codes
  (``code_lexicon``): a moulded code whose brackets were read as letters and a letter of it slipped.

Sessions run with a fixed thread count and no thread spinning, so a station keeps cores for capture and its kiosk.
"""

from __future__ import annotations

import enum
import heapq
import importlib.util
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort

from edge.vision.code_lexicon import IsoCodeLexicon
from edge.vision.ctc import greedy_path
from edge.vision.label_lexicon import ALTERNATIVE_SPAN, DOMINANCE, LabelLexicon, NumberSlot, Segment, segment_text
from edge.vision.model_files import ModelFileError
from edge.vision.resin_triangle import UprightTriangle, triangle_candidates, upright_views
from edge.vision.second_look import EQUALISED_LOOKS, MEDIAN_LOOKS, PLASTIC_LOOKS, SecondLook
from edge.vision.triangle_finder import TriangleFinder
from edge.vision.triangle_reader import (
    CODE_SHARE,
    DIGIT_ALONE,
    DIGIT_CLAIM,
    TriangleDigitReader,
    TriangleVote,
    best_digit,
    code_digit_of,
    lexicon_read,
    steadiness_needed,
    vote,
)

logger = logging.getLogger(__name__)

DET_MODEL = "ch_PP-OCRv4_det_infer.onnx"
REC_MODEL = "ch_PP-OCRv4_rec_infer.onnx"
REC_HEIGHT = 48  # the PP-OCRv4 recogniser's input height
REC_WIDTH_STEP = 32  # recogniser input widths are padded to a multiple of this (see ``_bucket``)
# The relief image: blur radius about a stroke width of 20-60 px text, gain that brings 10-20 grey levels of relief
# to full contrast (tried 2-4 px and 4-8x on the embossed misses of the evaluation set; 4 px and 4x read most).
RELIEF_SIGMA = 4.0
RELIEF_GAIN = 4.0
# The smoothed image: a Gaussian blur about half a woven label's thread, so the letters' squared-off, striped strokes
# read as the recogniser's smooth ones (on the label tuning set, scripts/render_label_tuning.py, it read 10 of the 61
# woven labels the frame and its relief image had not, and none wrong). The thread pitch goes with the letters' size
# (a tenth of their height or so), so the blur is a share of the frame's median line height (the detector's boxes):
# 2 px at the 37 px of the tuning labels' woven lines. Seen from farther off (``render_label_tuning.py --far``, lines
# of 26 px), a fixed 2 px read 52 of 103 woven labels and this share 58; near, 69 and 68 of 102 (docs/vision.md).
SMOOTH_SHARE = 0.055
SMOOTH_SIGMA_RANGE = (0.7, 3.0)  # px: the blur for lines of 13-55 px; smaller or larger lines get the nearest end
MEDIAN_SIZE = 3  # px: the median look's filter (``SecondLook.MEDIAN``); a thread of a woven label is 1-4 px
# The equalised image (``SecondLook.CONTRAST``): CLAHE on the lightness, its clip limit and tiles per side; OpenCV's
# usual values, untuned (docs/vision.md, "Faint labels at full contrast").
EQUALISE_CLIP = 3.0
EQUALISE_TILES = 8
# ... only for faint print: lines whose grey levels spread less than this (5th to 95th percentile, median line). On
# the label tuning sets woven and satin lines spread 99 and 87 grey levels or more in 95 % of labels, pale ones 92 or
# less in 90 % (22 at the 5th percentile).
FAINT_SPREAD = 80.0
# A recycling triangle's box: near square (its abbreviation may make it a little taller) and big enough to hold a digit.
TRIANGLE_MAX_ASPECT = 1.6
TRIANGLE_MIN_SIDE = 16  # the detector may box a small triangle's digit alone
TRIANGLE_SEVEN_SCORE = 0.5  # a 7 read this well beside a confident 1 (a turned 7) makes it a 7
FAINT_THRESH = 0.15  # a blob this faint is no text line, but may be an embossed triangle
WORD_SCORE = 0.5  # a line read as a word this well is text: no triangle is scanned for on or beside it
# How far beside such a line (in the line's heights) a scanned place is still on the text: the OCR's box holds the
# letters it read, and a letter it cut off beyond the box turns a curve or a corner into the view of a triangle. At one
# height, the committed set's >PVC< (pla-0208) turned 120° gave a sure, steady 2 on the C at 1.14 heights from the
# line (HDPE for a PVC item); at 1.25 no tuning frame lost an answer (docs/vision.md, "A scanned place beside a word").
WORD_MARGIN = 1.25
SCAN_MAX_WORDS = 3  # a frame with this many lines read as words is text (a care label): no scan for triangles
TRIANGLE_DIGIT_SCORE = 0.85  # a resin digit is a strong claim (it names the polymer): ask for a confident reading
# A 1 the recogniser reads alone gives nothing where the OCR reads a 7 in the same view at least this well: a 7 read as
# a 1 puts "other" in a PET bale. On the 1,120 tuning frames, version 2.1 of the convolutional recogniser read two 7s
# in stroke fonts as sure and steady 1s (0.98, 0.99); in one of them the OCR read the same view as a 7 at 0.58, too
# unsure to vote (docs/vision.md, "More training frames").
ONE_BESIDE_SEVEN_SCORE = 0.3
# Under a triangle there are letters only: a digit read there is the letter it looks like ("O" of OTHER read as 0).
_DIGIT_AS_LETTER = str.maketrans("058", "OSB")
# A relief box overlapping a box of the frame's own pass this much (intersection over union) is the same line.
SAME_BOX_IOU = 0.8
MIN_BOX_SIDE = 3  # px in the probability map; smaller blobs are specks, not characters
# The sum look (``MarkingOcr._read_by_sums``): how many ways of reading a label's open percentages it tries, the most
# log-probability a way may lose, and the most open percentages a label may have (more: no look by sums).
SUM_TRIES = 200
SUM_SLACK = 12.0
SUM_MAX_SLOTS = 12


class OcrUnavailable(RuntimeError):  # noqa: N818 -- the name the vision module's interface settled on
    """The OCR models are missing or do not load; the suggester must fall back to appearance alone."""


@dataclass(frozen=True, slots=True)
class OcrLine:
    text: str
    score: float  # mean per-character confidence of the recogniser, 0..1
    box: tuple[tuple[float, float], ...]  # 4 corners in frame pixels, starting at the text's top-left, clockwise


@dataclass(frozen=True, slots=True)
class TrianglePlace:
    """A place of the frame that passed the outline test: the detector box it came from (its index among the boxes,
    or None for a faint blob or a place the scan found), its corners, its apex-up views, and, where they were taken
    already, the digit recogniser's probabilities of those views (``_scan_triangles`` needs them to pick its
    places; ``_vote_on`` takes them rather than running the recogniser on the same views again)."""

    index: int | None
    box: np.ndarray
    views: list[UprightTriangle]
    probs: np.ndarray | None = None


class Places(enum.Enum):
    """Where the places tried as triangles came from: the detector's boxes, the scan of a frame where no box held a
    triangle, or the scan of a frame whose boxes' triangles gave no answer (``_read_triangles``)."""

    BOXED = "boxed"
    SCANNED = "scanned"
    RESCANNED = "rescanned"


def default_model_dir() -> Path:
    """The models folder of the installed rapidocr-onnxruntime wheel (nothing is downloaded)."""
    # Found, not imported: importing rapidocr pulls in its own pipeline (shapely, pyclipper, yaml) that we do not use.
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        msg = "rapidocr-onnxruntime is not installed, so the PP-OCRv4 models are missing"
        raise OcrUnavailable(msg)
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _session(path: Path, threads: int, arena: bool = True, pattern: bool = True) -> ort.InferenceSession:
    if not path.is_file():
        msg = f"OCR model file {path} is missing; reinstall rapidocr-onnxruntime==1.4.4 or pass its models folder"
        raise OcrUnavailable(msg)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Spinning worker threads win a few ms on an idle machine and lose badly on a shared one (the station also
    # captures and serves its kiosk); measured 2x slower with spinning on this 2-core VM under load.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = arena
    # A memory pattern is planned per input shape and allocated as one block; the recogniser's widths vary, and the
    # blocks cost 50 MB of resident memory after 200 frames (measured) for no speed measurable here.
    options.enable_mem_pattern = pattern
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several private exception types for a damaged file
        msg = f"OCR model file {path} does not load ({exc.__class__.__name__}: {exc}); the file is probably corrupt"
        raise OcrUnavailable(msg) from exc


class MarkingOcr:
    """PP-OCRv4 detection and recognition tuned for markings in 640x480 frames.

    Args:
        threads: onnxruntime intra-op threads for each model (the station has 2-4 cores).
        model_dir: folder with the PP-OCRv4 ONNX files; default: the rapidocr-onnxruntime wheel's ``models``.
        det_max_side: the frame is scaled so its longer side is at most this (multiple of 32) for detection. 640 keeps
            a 640x480 frame at its own size: text down to about 14 px high is still found, at 2.4x fewer pixels
            than rapidocr's default.
        det_thresh: probability above which a pixel counts as text (PaddleOCR's 0.3).
        box_thresh: mean probability a box needs to be kept. 0.5 is PaddleOCR's; lower keeps faint embossed text.
        unclip_ratio: how far a detected kernel is grown into a text box (area * ratio / perimeter). PaddleOCR uses
            1.6 for its frames; 1.8 keeps the ``>`` and ``<`` of ISO codes and descenders inside the crop.
        min_score: lines the recogniser scores below this are dropped (rapidocr's ``text_score`` 0.5).
        flip_below: lines scoring below this are read again turned 180° and vote on the frame's orientation; this
            is what reads upside-down labels without the direction classifier. 0 turns it off.
        orient_sample: decide the way up from the widest lines first, so an upside-down label is not read upright in
            full before it is read turned (``_read_oriented``); False: all lines upright first (the old behaviour,
            kept for the benchmark).
        clahe: equalise local contrast before detection (helps embossed and faded text, costs about 3 ms).
        rec_batch: crops per recognition batch; crops are sorted by width so a batch pads little.
        rec_min_width: recogniser input width a short crop is padded to. PaddleOCR pads to 320; recognition costs
            about linearly in width, and 160 read the same on the evaluation set while ``>PP<``-sized crops got
            faster.
        rec_batch_width: at most this many pixels of padded width in one recognition batch (a wider crop goes
            alone), widths rounded up to 32 px; 0: batches of ``rec_batch`` crops however wide (the old behaviour,
            kept for the benchmark's before row). Bounds the memory a run takes and onnxruntime's arena keeps.
        memory_arena: onnxruntime's CPU memory arena. Off measured worse here (malloc kept the freed blocks).
        memory_pattern: onnxruntime's memory patterns (one planned block per input shape); off saves about 50 MB.
        relief_retry: when the first pass reads nothing plausible, read a high-pass "relief" image once more (for
            embossed markings; costs a second pass on those frames only).
        relief_reuse: in that pass, a box where the first pass read an upright line of words at ``flip_below`` or
            better keeps that reading instead of being read again (False: everything read again, the old way).
        plausible_score: a line with at least two letters or digits at this score counts as something read.
        triangle_finder: besides the edge-rule scan for triangles, the trained finder's places
            (``triangle_finder.TriangleFinder``, ``edge/vision/weights/triangle-finder.onnx``); see docs/vision.md,
            "A trained triangle finder".
        triangle_votes: called with every triangle's vote (``triangle_reader.TriangleVote``): what the recogniser,
            the OCR and the abbreviation said and what came of it, for diagnostics (``scripts/triangle_misses.py``).
            Only with the triangle recogniser loaded: without it the OCR's digit decides alone and there is no vote.
    """

    def __init__(
        self,
        threads: int = 2,
        model_dir: Path | None = None,
        det_max_side: int = 640,
        det_thresh: float = 0.3,
        box_thresh: float = 0.5,
        unclip_ratio: float = 1.8,
        min_score: float = 0.5,
        flip_below: float = 0.9,
        orient_sample: bool = True,
        relief_reuse: bool = True,
        clahe: bool = False,
        rec_batch: int = 8,
        rec_min_width: int = 160,
        rec_batch_width: int = 1280,
        memory_arena: bool = True,
        memory_pattern: bool = False,
        relief_retry: bool = True,
        plausible_score: float = 0.8,
        latin_only: bool = True,
        resin_symbols: bool = True,
        triangle_reader: bool = True,
        triangle_finder: bool = False,
        triangle_votes: Callable[[TriangleVote], None] | None = None,
    ) -> None:
        if det_max_side % 32 or det_max_side < 64:
            msg = f"det_max_side must be a multiple of 32 and at least 64, not {det_max_side}"
            raise ValueError(msg)
        folder = model_dir if model_dir is not None else default_model_dir()
        self.det_max_side = det_max_side
        self.det_thresh = det_thresh
        self.box_thresh = box_thresh
        self.unclip_ratio = unclip_ratio
        self.min_score = min_score
        self.flip_below = flip_below
        self.orient_sample = orient_sample
        self.relief_reuse = relief_reuse
        self.rec_batch = max(1, rec_batch)
        self.rec_min_width = rec_min_width
        self.rec_batch_width = max(0, rec_batch_width)
        self.memory_arena = memory_arena
        self.memory_pattern = memory_pattern
        self.relief_retry = relief_retry
        self.plausible_score = plausible_score
        self._clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)) if clahe else None
        self._det = _session(folder / DET_MODEL, threads, memory_arena, memory_pattern)
        self._rec = _session(folder / REC_MODEL, threads, memory_arena, memory_pattern)
        metadata = self._rec.get_modelmeta().custom_metadata_map
        if "character" not in metadata:
            msg = f"{folder / REC_MODEL} carries no character list; it is not the PP-OCRv4 recogniser rapidocr ships"
            raise OcrUnavailable(msg)
        # CTC: index 0 is the blank, then the dictionary, then the space PaddleOCR appends.
        self._charset = ["", *metadata["character"].splitlines(), " "]
        self.latin_only = latin_only
        self.resin_symbols = resin_symbols
        self._triangle_reader = _load_triangle_reader() if resin_symbols and triangle_reader else None
        self._triangle_finder = _load_triangle_finder() if resin_symbols and triangle_finder else None
        self._triangle_votes = triangle_votes
        # Markings and care labels here are in Latin script; the recogniser's dictionary is mostly Chinese, and a
        # triangle or a blurred glyph would otherwise come out as a CJK character. Masking those classes makes the
        # decoder pick the best Latin reading instead.
        self._allowed = (
            np.array([i == 0 or _is_latin(ch) for i, ch in enumerate(self._charset)]) if latin_only else None
        )
        self._digits_only = self._mask(lambda ch: "1" <= ch <= "7")
        self._lexicon = LabelLexicon(self._charset)
        self._codes = IsoCodeLexicon(self._charset)
        self._det_input = self._det.get_inputs()[0].name
        self._rec_input = self._rec.get_inputs()[0].name
        logger.info("MarkingOcr loaded from %s (%s threads, det side %s)", folder, threads, det_max_side)

    # -- public ---------------------------------------------------------------------------------------------------

    def read(
        self,
        frame: np.ndarray,
        enough: Callable[[list[str]], bool] | None = None,
        looks: Sequence[SecondLook] = PLASTIC_LOOKS,
    ) -> list[OcrLine]:
        """The text lines in ``frame`` (BGR uint8), in reading order; empty when nothing readable is there.

        ``enough`` says whether the texts read answer the caller (for example: a polymer can be read from them). A
        frame whose first reading is not enough is read again as each of ``looks`` in turn (a relief image, a
        smoothed one), and the first reading that is enough is kept. Without ``enough``, only a frame that read
        nothing plausible gets the second looks. With none enough, the most plausible reading is kept.
        """
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        read: list[Reading] = []
        lines = self._read_once(frame, read=read, enough=enough)
        if not self.relief_retry:
            return lines
        if enough is not None and enough([line.text for line in lines]):
            return lines
        if enough is None and self._plausibility(lines, self.plausible_score) > 0:
            return lines
        best = lines
        earlier = _EarlierLooks(symbols=[line for line in lines if any(map(_is_resin_symbol, line.text))])
        for look in looks:
            again = self._second_look(look, frame, read, enough, earlier)
            if enough is not None and enough([line.text for line in again]):
                return again
            if self._plausibility(again, 0.0) > self._plausibility(best, 0.0):
                best = again
        return best

    def _second_look(
        self,
        look: SecondLook,
        frame: np.ndarray,
        read: list[Reading],
        enough: Callable[[list[str]], bool] | None,
        earlier: _EarlierLooks,
    ) -> list[OcrLine]:
        """The lines of one second look at ``frame``, whose first pass read ``read`` (see ``read``)."""
        if look is SecondLook.RELIEF:
            # Often an embossed marking, same colour as the plastic, that shows only as a light and a shadow edge,
            # maybe beside a printed line that did read (a lot number). A strong local-contrast image (high-pass
            # around mid-grey) turns those edges into strokes the recogniser knows. Lines that read well in the frame
            # itself are not read again in it (``relief_reuse``). The frame's text gave no polymer, so a triangle
            # digit the recogniser is sure of may answer beside it.
            known = reusable(read, self.flip_below) if self.relief_reuse else None
            seen = [r.box for r in read if _reads_as_word(r.text, r.score)]
            earlier.relief = _relief(frame)
            lines = self._read_once(
                earlier.relief,
                known=known,
                read=earlier.relief_read,
                alone_beside_words=True,
                enough=enough,
                words_seen=seen,
            )
            earlier.relief_symbols = [line for line in lines if any(map(_is_resin_symbol, line.text))]
            return lines
        if look is SecondLook.CODES:
            return self._read_codes(frame, read, earlier, enough)
        if look is SecondLook.CONTRAST:
            # A label printed pale or washed out, whose lines the detector did not find or the recogniser did not
            # read: the frame with its local contrast equalised, read afresh, then against the vocabulary
            # (``EQUALISED_LOOKS``). Only where the print is faint: on a woven label the equalised thread grid made
            # digits read as others that still added up to 100 (docs/vision.md).
            if not _faint(frame, read):
                return []
            return self.read(_equalised(frame), enough, EQUALISED_LOOKS)
        if look is SecondLook.MEDIAN:
            # Woven letters no other look read: a 3x3 median filter takes out the thread grid's single-pixel stripes
            # and specks where a blur only spreads them, and the detector and the smoothed and vocabulary looks get
            # cleaner strokes to work on (on woven tuning labels, read afresh it gave nothing, smoothed and against
            # the vocabulary a third of those every other look left unread; docs/vision.md).
            return self.read(cv2.medianBlur(frame, MEDIAN_SIZE), enough, MEDIAN_LOOKS)
        if earlier.smoothed is None:
            earlier.smoothed = _smoothed(frame, read)
        if look is SecondLook.SMOOTHED:
            # Woven letters: the detector found the lines, the recogniser misread their striped, squared-off strokes.
            # The same boxes are read again, every one, with the thread grid blurred away (a woven line can read
            # confidently and wrong).
            return self._read_once(earlier.smoothed, boxes_from=read, outputs=earlier.smoothed_outputs)
        return self._read_lexicon(frame, read, (earlier.smoothed, earlier.smoothed_outputs), enough) or []

    def _read_codes(
        self, frame: np.ndarray, read: list[Reading], earlier: _EarlierLooks, enough: Callable[[list[str]], bool] | None
    ) -> list[OcrLine]:
        """The code look: an ISO 11469 code moulded into the plastic, read with its brackets and a letter or so wrong.
        The boxes the frame's first pass read, then those its relief look read (``earlier``), each line decoded
        against the ISO codes where the recogniser supports one (``code_lexicon``), beside the triangle digits the
        same pass read (a code that contradicts one gives no answer; a digit another pass read is not taken over, as
        the lines that stopped it there are not). The first reading ``enough`` accepts, or nothing."""
        if enough is None:
            return []
        passes = ((frame, read, earlier.symbols), (earlier.relief, earlier.relief_read, earlier.relief_symbols))
        for image, readings, symbols in passes:
            if image is None or not readings:
                continue
            boxes, flipped = [r.box for r in readings], [r.turned for r in readings]
            outputs: dict[int, np.ndarray] = {}
            self._recognise(_the_way_read([_crop(image, box) for box in boxes], flipped), outputs=outputs)
            decoded = {i: self._codes.decode(_masked(probs, self._allowed)) for i, probs in outputs.items()}
            # A line no code is decoded from keeps what its pass read (reading a box again may batch it otherwise).
            texts = [(decoded.get(i) or r.text, r.score) for i, r in enumerate(readings)]
            lines = self._in_order(boxes, texts, flipped, symbols)
            if enough([line.text for line in lines]):
                return lines
        return []

    def _read_lexicon(
        self,
        frame: np.ndarray,
        read: list[Reading],
        smoothed: tuple[np.ndarray, dict[int, np.ndarray]],
        enough: Callable[[list[str]], bool] | None,
    ) -> list[OcrLine] | None:
        """The lexicon look: woven letters that neither the frame nor its smoothed image reads. The first pass's boxes,
        each the way up that pass read it, each line decoded against the care label's vocabulary where the recogniser
        supports a term (``label_lexicon``), in the frame, then smoothed (``smoothed``: the smoothed image and the
        smoothed look's output per box, decoded anew, not read again); in each, the percentages the recogniser leaves
        open settled by the parts' sums (``_read_by_sums``). The first reading ``enough`` accepts, or None. A care
        label has no triangle to scan for."""
        if enough is None:
            return None
        boxes, flipped = [r.box for r in read], [r.turned for r in read]
        for image, outputs in ((frame, {}), smoothed):
            crops = _the_way_read([_crop(image, box) for box in boxes], flipped)
            scores = [score for _, score in self._recognise(crops, outputs=outputs)]
            segments = {i: self._lexicon.segments(_masked(probs, self._allowed)) for i, probs in outputs.items()}
            again = self._in_order(boxes, list(zip(_spelled(segments, len(read)), scores, strict=True)), flipped)
            if enough([line.text for line in again]):
                return again
            summed = self._read_by_sums(read, segments, scores, enough)
            if summed is not None:
                return summed
        return None

    def _read_by_sums(
        self,
        read: list[Reading],
        segments: dict[int, list[Segment]],
        scores: list[float],
        enough: Callable[[list[str]], bool],
    ) -> list[OcrLine] | None:
        """The lexicon look's lines (``segments`` and greedy ``scores`` per box of ``read``) with their open
        percentages (``label_lexicon.NumberSlot``) read the one way that ``enough`` accepts, or None.

        Woven digits read as other digits (``78% viscosa`` / ``38% poliammide`` for 70 and 30), and the recogniser
        often gives the right reading nearly as much weight. The parser needs every part of a label to add up to 100,
        which the wrong readings seldom do. Ways of reading the percentages are tried most probable first (a way's
        loss: the log-probabilities its readings lose against each percentage's most probable one), at most
        ``SUM_TRIES`` of them and never one losing more than ``SUM_SLACK``. The first way ``enough`` accepts is the
        answer only when no other accepted way comes within ``DOMINANCE`` of it, and when it loses so little that
        every way not tried (a reading beyond ``ALTERNATIVE_SPAN``) is that much worse still.
        """
        open_slots = [
            (i, k, part)
            for i, parts in segments.items()
            for k, part in enumerate(parts)
            if isinstance(part, NumberSlot) and len(part.options) > 1
        ]
        if not open_slots or len(open_slots) > SUM_MAX_SLOTS:
            return None
        boxes, flipped = [r.box for r in read], [r.turned for r in read]

        def lines_for(choice: tuple[int, ...]) -> list[OcrLine]:
            chosen = {(i, k): part.options[c][0] for (i, k, part), c in zip(open_slots, choice, strict=True)}
            texts = _spelled(segments, len(read), chosen)
            return self._in_order(boxes, list(zip(texts, scores, strict=True)), flipped)

        accepted: list[tuple[float, list[OcrLine]]] = []
        tried = 0
        last = 0.0
        for loss, choice in cheapest_ways([[cost for _, cost in part.options] for _, _, part in open_slots], SUM_SLACK):
            if tried == SUM_TRIES or (accepted and loss - accepted[0][0] >= DOMINANCE):
                break
            tried, last = tried + 1, loss
            lines = lines_for(choice)
            if enough([line.text for line in lines]):
                accepted.append((loss, lines))
                if len(accepted) > 1:
                    return None  # two ways of reading it within DOMINANCE of each other: the sums do not settle it
        if not accepted:
            return None
        best = accepted[0][0]
        if best + DOMINANCE > ALTERNATIVE_SPAN or (tried == SUM_TRIES and last - best < DOMINANCE):
            return None  # a way not tried could come as near
        return accepted[0][1]

    @staticmethod
    def _plausibility(lines: list[OcrLine], min_score: float) -> float:
        """Letters and digits read, weighted by confidence, on lines with at least two of them at ``min_score``."""
        total = 0.0
        for line in lines:
            # A resin symbol (a triangle with its digit) names a polymer on its own: worth a word.
            letters = sum(ch.isalnum() + 2 * _is_resin_symbol(ch) for ch in line.text)
            if letters >= 2 and line.score >= min_score:
                total += letters * line.score
        return total

    def _read_once(
        self,
        frame: np.ndarray,
        known: list[Reading] | None = None,
        read: list[Reading] | None = None,
        boxes_from: list[Reading] | None = None,
        outputs: dict[int, np.ndarray] | None = None,
        alone_beside_words: bool = False,
        enough: Callable[[list[str]], bool] | None = None,
        words_seen: list[np.ndarray] | None = None,
    ) -> list[OcrLine]:
        """The lines of one pass. ``known``: upright lines already read well (in the frame, for its relief image);
        a box that matches one of them (``same_box``) takes its reading instead of being read again. ``read``: the
        detector boxes' readings are appended to it, for a later pass. ``boxes_from``: the boxes of an earlier pass,
        read again in ``frame`` the way up that pass read each, without detecting or orienting anew (no faint
        boxes then); ``outputs``: the recogniser's output per box, kept
        there and taken from there when a later pass reads the same boxes in the same image. ``alone_beside_words``:
        the triangle recogniser's digit may answer alone beside lines read as words (see ``alone_threshold``).
        ``enough``: as for ``read``; a frame whose lines already answer is not scanned for faint triangles.
        ``words_seen``: the boxes of lines an earlier look at the same frame read as words; the scan for triangles
        keeps off them as off this pass's own (a relief image may not box a line the frame read)."""
        boxes, faint = ([r.box for r in boxes_from], []) if boxes_from is not None else self._detect(frame)
        if not boxes and not faint and not self.resin_symbols:
            return []  # with resin symbols, a frame the detector finds nothing in is still scanned for triangles
        crops = [_crop(frame, box) for box in boxes]
        if boxes_from is not None:  # each box the way up the earlier pass read it
            flipped = [r.turned for r in boxes_from]
            readings = self._recognise(_the_way_read(crops, flipped), outputs=outputs)
        else:
            readings, flipped = self._read_new(crops, boxes, known)
        if read is not None:
            read += [Reading(box, *reading, way) for box, reading, way in zip(boxes, readings, flipped, strict=True)]
        extra: list[OcrLine] = []
        if self.resin_symbols:
            scan = enough is None or not enough([text for text, score in readings if score >= self.min_score])
            readings, extra = self._read_triangles(
                frame, boxes, crops, readings, faint, alone_beside_words, scan, words_seen
            )
        return self._in_order(boxes, readings, flipped, extra)

    def _in_order(
        self,
        boxes: list[np.ndarray],
        readings: list[tuple[str, float]],
        flipped: list[bool],
        extra: Sequence[OcrLine] = (),
    ) -> list[OcrLine]:
        """The lines of ``boxes`` read as ``readings`` (the way up ``flipped`` says), with ``extra`` lines, in reading
        order; lines read under ``min_score`` or as nothing are left out."""
        lines = [(line, False) for line in extra]
        for box, (text, score), turned in zip(boxes, readings, flipped, strict=True):
            if score < self.min_score or not text.strip():
                continue
            corners = np.roll(box, -2, axis=0) if turned else box  # the text's own top-left comes first
            lines.append((OcrLine(text.strip(), score, _corners(corners)), turned))
        return _reading_order(lines)

    def _read_new(
        self, crops: list[np.ndarray], boxes: list[np.ndarray], known: list[Reading] | None
    ) -> tuple[list[tuple[str, float]], list[bool]]:
        """Each crop's reading and whether it was read turned: a box that matches a ``known`` line takes its reading,
        the others are read the way up the frame's text is (``_read_oriented``)."""
        reuse = (
            {i: next((k for k in known if same_box(box, k.box)), None) for i, box in enumerate(boxes)} if known else {}
        )
        readings: list[tuple[str, float]] = [
            (k.text, k.score) if k else ("", 0.0) for k in (reuse.get(i) for i in range(len(crops)))
        ]
        flipped = [False] * len(crops)
        todo = [i for i in range(len(crops)) if reuse.get(i) is None]
        if todo:
            if self.flip_below > 0:
                # The lines taken over are upright and vote so, as they would if read again.
                mass = sum(len(k.text) * k.score for k in reuse.values() if k is not None)
                new, ways = self._read_oriented([crops[i] for i in todo], mass)
            else:
                new, ways = self._recognise([crops[i] for i in todo]), [False] * len(todo)
            for i, reading, way in zip(todo, new, ways, strict=True):
                readings[i], flipped[i] = reading, way
        return readings, flipped

    def _read_oriented(
        self, crops: list[np.ndarray], upright_mass: float = 0.0
    ) -> tuple[list[tuple[str, float]], list[bool]]:
        """Every line read the way up the frame's text is (``_orient``), deciding from the widest lines first.

        An upside-down label used to be read twice in full: upright (all lines weak), then turned. With
        ``orient_sample``, the widest line is read first (turned as well when it reads weakly); when it votes upside
        down (``flip_votes``), the other lines are read turned only, and kept so when they read that way with a mean
        confidence (by characters) of at least ``flip_below``. Anything else (the widest line votes upright, or the
        rest does not confirm) reads the other lines upright and lets all lines vote as before, reusing what was
        read. Upright readings keep the batches and padding of one reading of all crops (the widest line is the
        widest of its batch, the others of that batch are padded to its width), so an upright frame reads as it did
        without the sample. ``upright_mass``: votes for upright from lines not among ``crops``.
        """
        batches = rec_batches(_widths(crops), self.rec_batch, self.rec_batch_width, self.rec_min_width)
        if not self.orient_sample or len(crops) < 2:
            return self._orient(crops, self._recognise(crops), upright_mass=upright_mass)
        widest, last = batches[-1][-1], batches[-1][:-1]
        readings = self._recognise(crops, batches=[[widest]])
        turned = self._read_turned(crops, [widest] if readings[widest][1] < self.flip_below else [])
        if flip_votes([readings[widest]], list(turned.values()), upright_mass):
            rest = [i for i in range(len(crops)) if i != widest]
            turned |= self._read_turned(crops, rest)
            if confirms_flip([turned[i] for i in rest], self.flip_below):
                return [turned[i] for i in range(len(crops))], [True] * len(crops)
        if last:  # the widest line's batch-mates, padded as they were beside it
            padded = self._recognise(crops, batches=[last], pad=self._padded_width(crops[widest]))
            for i in last:
                readings[i] = padded[i]
        upright = self._recognise(crops, batches=batches[:-1])
        for i in (i for batch in batches[:-1] for i in batch):
            readings[i] = upright[i]
        return self._orient(crops, readings, turned, upright_mass)

    def _padded_width(self, crop: np.ndarray) -> int:
        """The recogniser input width of a batch whose widest crop is ``crop``."""
        width = max(self.rec_min_width, *_widths([crop]))
        return _bucket(width) if self.rec_batch_width else width

    def _read_turned(self, crops: list[np.ndarray], indices: list[int]) -> dict[int, tuple[str, float]]:
        """The crops at ``indices`` read turned 180°, by index."""
        if not indices:
            return {}
        turned = self._recognise([cv2.rotate(crops[i], cv2.ROTATE_180) for i in indices])
        return dict(zip(indices, turned, strict=True))

    def _orient(
        self,
        crops: list[np.ndarray],
        readings: list[tuple[str, float]],
        known: dict[int, tuple[str, float]] | None = None,
        upright_mass: float = 0.0,
    ) -> tuple[list[tuple[str, float]], list[bool]]:
        """Decide once per frame whether the text is upside down, and read every line that way.

        Weak lines are read again turned 180°. Deciding line by line let short upright lines such as ``100%`` or
        ``90% wool`` win as upside-down nonsense (``%00T``, ``100M%06``): 0, 8, % and l look alike both ways up. A
        frame shows one label, so its lines vote, weighted by characters times confidence; a line that read well
        upright votes upright only. ``known``: turned readings already made (not read again); ``upright_mass``:
        votes for upright from lines not among ``crops``.
        """
        known = known or {}
        weak = [i for i, (_, score) in enumerate(readings) if score < self.flip_below]
        if not weak:
            return readings, [False] * len(crops)
        turned = {i: known[i] for i in weak if i in known}
        turned |= self._read_turned(crops, [i for i in weak if i not in known])
        if not flip_votes(readings, list(turned.values()), upright_mass):
            return readings, [False] * len(crops)
        # Upside down: every line is read turned, the strong ones too (``80%`` reads confidently as ``%08`` upright).
        turned |= {i: known[i] for i in range(len(crops)) if i in known and i not in turned}
        turned |= self._read_turned(crops, [i for i in range(len(crops)) if i not in turned])
        return [turned[i] for i in range(len(crops))], [True] * len(crops)

    def _read_triangles(
        self,
        frame: np.ndarray,
        boxes: list[np.ndarray],
        crops: list[np.ndarray],
        readings: list[tuple[str, float]],
        faint: list[np.ndarray],
        alone_beside_words: bool = False,
        scan: bool = True,
        words_seen: list[np.ndarray] | None = None,
    ) -> tuple[list[tuple[str, float]], list[OcrLine]]:
        """Read recycling triangles upright: the digit inside as its resin symbol, and the abbreviation under the base.

        The detector takes the chasing-arrows triangle and its digit as one squarish box (or the digit alone, or, when
        embossed, only a faint blob, or nothing at all), and the recogniser, trained on upright lines, reads the whole
        as nothing, as a lone glyph (``A``) or, turned, a 7 as a 1. Such boxes, and the places of the frame that look
        most like a triangle by their edge directions (``resin_triangle.triangle_candidates``, for relief the detector
        does not box), are tried as a triangle: when the outline is a triangle, it is turned apex up, three ways.
        In every view the digit is read twice, by the OCR decoded as a digit 1-7 only and by the triangle digit
        recogniser (``triangle_reader``), and the abbreviation cut from under the base is decoded against the
        lexicon of resin codes; the three vote (``triangle_reader.vote``: any disagreement gives nothing). A digit
        comes back as the Unicode resin symbol (U+2673..U+2679, ♳ for 1 .. ♹ for 7), so a parser can tell a
        triangle's digit from any other digit in the frame; the abbreviation as a line of its own (the detector
        seldom boxes a lone letter there): the code as the lexicon spells it, or, when the lexicon is unsure, the
        free reading with digits read as the letters they look like (a lone ``O`` is not a zero there), for the
        parser to weigh. Returns the readings, a triangle's box now reading its symbol, and the new lines:
        abbreviations, and the symbols of triangles found in faint boxes or by the scan. ``scan``: whether the frame
        may be scanned for triangles no box holds (not when its text already answers: ``_read_once``); it is scanned
        where no box held a triangle, and where the triangles the boxes held gave no answer (``Places.RESCANNED``).
        """
        out = list(readings)
        candidates: list[tuple[int | None, np.ndarray]] = []
        for i, (crop, (text, score)) in enumerate(zip(crops, readings, strict=True)):
            h, w = crop.shape[:2]
            if _triangle_sized(w, h) and (score < self.plausible_score or not _is_word(text)):
                candidates.append((i, boxes[i]))
        candidates += [(None, box) for box in faint]
        found = _distinct_triangles(frame, candidates)
        words = [box for box, (text, score) in zip(boxes, readings, strict=True) if _reads_as_word(text, score)]
        alone = alone_threshold(self._triangle_reader, [] if alone_beside_words else words)
        # The scan keeps off lines of words, this pass's and an earlier look's at the same frame.
        off = words + (words_seen or [])
        lines: list[OcrLine] = []
        claims: list[int] = []
        if found:
            answered = self._vote_on(frame, found, out, lines, claims, alone)
            if answered or not scan or len(words) >= SCAN_MAX_WORDS:
                return out, lines
            # The boxes' triangles gave nothing: the scan's places as well, those off the triangles the boxes held.
            places = [
                scanned
                for scanned in self._scan_triangles(frame, off)
                if all(
                    np.linalg.norm(scanned.box.mean(axis=0) - place.box.mean(axis=0)) > _radius(place.box)
                    for place in found
                )
            ]
            self._vote_on(frame, places, out, lines, claims, alone, Places.RESCANNED)
        elif scan and len(words) < SCAN_MAX_WORDS:
            self._vote_on(frame, self._scan_triangles(frame, off), out, lines, claims, alone, Places.SCANNED)
        return out, lines

    def _vote_on(
        self,
        frame: np.ndarray,
        found: list[TrianglePlace],
        out: list[tuple[str, float]],
        lines: list[OcrLine],
        claims: list[int],
        alone: float,
        places: Places = Places.BOXED,
    ) -> bool:
        """Read and vote on each triangle ``found`` (see ``_read_triangles``): a box's reading in ``out`` becomes its
        symbol, a symbol or abbreviation found elsewhere is added to ``lines``. ``claims``: the digits the recogniser
        claimed on earlier places of the frame, to which this call adds its own; on places rescanned, a digit alone
        needs every claim to agree (and ``triangle_reader.RESCAN_STEADY_MIN``). The scan also runs where the
        boxes' triangles gave no answer: on the 1,120 tuning frames, three of the digits alone it added stood where
        other places of the frame claimed other digits (docs/vision.md, "A second scan"). Returns whether any
        triangle gave a symbol."""
        if not found:
            return False
        digit_crops = [view.digit()[0] for place in found for view in place.views]
        digits = self._recognise(digit_crops, self._digits_only)
        probs = self._probabilities(found)
        spans = list(_spans([len(place.views) for place in found]))
        mine = [best_digit(probs[span]) for span in spans] if probs is not None else []
        claims += [claim.digit for claim in mine if claim.digit and claim.confidence >= DIGIT_CLAIM]
        answered = False
        for k, place in enumerate(found):
            index, box, views, span = place.index, place.box, place.views, spans[k]
            contested = places is Places.RESCANNED and bool(mine) and any(digit != mine[k].digit for digit in claims)
            symbol, view, code = self._triangle_vote(
                views,
                digits[span],
                None if probs is None else probs[span],
                alone,
                places,
                contested,
            )
            answered = answered or symbol is not None
            if symbol is None:
                if index is not None and not _is_word(out[index][0]):
                    out[index] = ("", 0.0)  # a triangle whose digit does not read: its box is no line of text either
            elif index is None:
                lines.append(OcrLine(*symbol, _corners(box)))
            else:
                out[index] = symbol
            if view is None or code is None:
                continue
            name, share, (free, score) = code
            corners = _corners(views[view].abbreviation()[1])
            if name is not None and share >= CODE_SHARE:
                lines.append(OcrLine(name, share, corners))
            elif symbol is not None and free and score >= self.min_score:
                # Not one of the codes by the lexicon: the free reading, for the parser to weigh (it agrees or vetoes).
                lines.append(OcrLine(free.translate(_DIGIT_AS_LETTER), score, corners))
        return answered

    def _probabilities(self, found: list[TrianglePlace]) -> np.ndarray | None:
        """The digit recogniser's probabilities of every view of ``found``, place after place (None without the
        recogniser): the places' own (``TrianglePlace.probs``) where every place has them, else all in one batch."""
        if self._triangle_reader is None:
            return None
        known = [place.probs for place in found if place.probs is not None]
        if len(known) == len(found):
            return np.concatenate(known)
        return self._triangle_reader.probabilities([view for place in found for view in place.views])

    def _scan_triangles(self, frame: np.ndarray, words: list[np.ndarray]) -> list[TrianglePlace]:
        """Faint relief that the detector did not box: the places that look most like a triangle by their edges, in
        a frame where no box was a triangle and that is no page of text (a care label), and not on a line that read
        as a word, here or in an earlier look at the frame (``words``; the slanted strokes of ``A``, ``V`` or ``W``
        run 60° apart too: an ``>ABS<`` read as ``AES`` once came back as a 7 with an O). A candidate is read further
        only when the recogniser claims a digit in one of its views (the OCR of three turned views is what costs),
        and its probabilities go on with it to the vote."""
        places = triangle_candidates(frame)
        if self._triangle_finder is not None:
            # The trained finder's places besides the scan's (a place the scan has already is not tried twice).
            places += [
                box
                for box in (proposal.box() for proposal in self._triangle_finder.propose(frame))
                if all(np.linalg.norm(box.mean(axis=0) - other.mean(axis=0)) > _radius(other) for other in places)
            ]
        places = [box for box in places if not _near_any(box.mean(axis=0), words)]
        found = _distinct_triangles(frame, [(None, box) for box in places])
        reader = self._triangle_reader
        if reader is None:
            return found
        read = [
            TrianglePlace(place.index, place.box, place.views, reader.probabilities(place.views)) for place in found
        ]
        return [
            place for place in read if place.probs is not None and best_digit(place.probs).confidence >= DIGIT_CLAIM
        ]

    def _triangle_vote(
        self,
        views: list[UprightTriangle],
        read: list[tuple[str, float]],
        probs: np.ndarray | None,
        alone: float = DIGIT_ALONE,
        places: Places = Places.BOXED,
        contested: bool = False,
    ) -> tuple[tuple[str, float] | None, int | None, tuple[str | None, float, tuple[str, float]] | None]:
        """The resin symbol of one triangle from its apex-up views (or None), the view whose abbreviation counts and
        what that abbreviation reads (code, share, free reading), or None.

        The OCR's digit (``_triangle_digit``), the recogniser's digit and the abbreviation decoded against the
        lexicon vote (``triangle_reader.vote``). Without the recogniser, the OCR's digit decides alone as before.
        The abbreviation is read in the view of the digit, or, when no digit is claimed, in the view nearest the
        frame's upright. ``places``: where the views' place came from (told to ``triangle_votes``; a place rescanned
        answers alone only at ``triangle_reader.RESCAN_STEADY_MIN``). ``contested``: a place rescanned where another
        place of the frame claims another digit: no digit alone then (``DIGIT_ALONE``), and a 1 the OCR confirms gives
        nothing either (only the abbreviation's PET lets it answer).
        """
        if contested:
            alone = DIGIT_ALONE
        best = _triangle_digit(read)
        ocr_digit = int(read[best][0]) if best is not None else None
        if probs is None:
            if best is None:
                return None, None, None
            code = self._triangle_code(views[best])
            says_pet = code is not None and code_digit_of(code[0], code[1]) == 1
            if ocr_digit == 1 and not says_pet:
                # Without the recogniser nothing tells a 7 lying a third of a turn round (a confident 1 to the OCR)
                # from a 1, and a 7 in a PET bale spoils it: a 1 needs its abbreviation here.
                return None, None, code
            return (chr(0x2672 + int(read[best][0])), read[best][1]), best, code
        mine = best_digit(probs)
        view = mine.view if mine.digit and mine.confidence >= DIGIT_CLAIM else best
        code = self._triangle_code(views[0 if view is None else view])
        name, share, _ = code if code is not None else (None, 0.0, ("", 0.0))
        support = float(probs[:, ocr_digit].max()) if ocr_digit is not None else 0.0
        code_digit = code_digit_of(name, share)
        code_support = float(probs[:, code_digit].max()) if code_digit is not None else 0.0
        digit, code_counts = vote(mine, ocr_digit, name, share, support, alone, code_support)
        # The recogniser's digit answering alone must hold in the same view cut a little differently.
        reader = self._triangle_reader
        steadiness = None
        if reader is not None and digit is not None and digit not in (ocr_digit, code_digit):
            steadiness = reader.steadiness(views[mine.view], digit)
            digit = digit if steadiness >= steadiness_needed(digit, places is Places.RESCANNED) else None
        # A 1 alone where the OCR reads a 7 in the same view is a 7 lying a third of a turn round, maybe.
        seven = read[mine.view][0] == "7" and read[mine.view][1] >= ONE_BESIDE_SEVEN_SCORE
        beside_seven = digit == 1 and digit not in (ocr_digit, code_digit) and seven
        if beside_seven:
            digit = None
        # Where other places claim other digits, the two readers agreeing on a 1 is no surer than one reader alone: a
        # small thick 7 is a 1 to both (three "other" items read PET on fresh tuning frames, seeds 785 and 791; no
        # other digit the OCR confirmed there was wrong, contested or not).
        if contested and digit == 1 and code_digit != 1:
            digit = None
        if self._triangle_votes is not None:
            scanned, rescanned = places is not Places.BOXED, places is Places.RESCANNED
            self._triangle_votes(
                TriangleVote(
                    mine, len(views), ocr_digit, name, share, alone, scanned, steadiness, digit, rescanned, beside_seven
                )
            )
        if digit is None:
            return None, (0 if view is None else view) if code_counts else None, code
        # A digit the abbreviation confirmed is as sure as the abbreviation's reading.
        confidence = max(
            mine.confidence if mine.digit == digit else 0.0, support, share if code_digit == digit else 0.0
        )
        return (chr(0x2672 + digit), confidence), view, code

    def _triangle_code(self, view: UprightTriangle) -> tuple[str | None, float, tuple[str, float]] | None:
        """What the abbreviation under ``view``'s base reads: the resin code by the lexicon, its share, and the free
        reading; None when nothing is drawn there. Read alone, padded as a lone line is (a batch padded to a wider
        crop reads a lone letter worse)."""
        crop = view.abbreviation()[0]
        if not crop.size or min(crop.shape[:2]) < MIN_BOX_SIDE:
            return None
        width = math.ceil(REC_HEIGHT * crop.shape[1] / crop.shape[0])
        blob = np.zeros((1, 3, REC_HEIGHT, max(self.rec_min_width, width)), np.float32)
        resized = cv2.resize(crop, (width, REC_HEIGHT)).astype(np.float32)
        blob[0, :, :, :width] = (resized * (2 / 255.0) - 1.0).transpose(2, 0, 1)
        probs = self._rec.run(None, {self._rec_input: blob})[0][0]
        name, share = lexicon_read(probs, self._charset)
        text, score = self._decode(probs, self._allowed)
        return name, share, (text.strip(), score)

    # -- detection ------------------------------------------------------------------------------------------------

    def _detect(self, frame: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Text boxes, and faint squarish boxes that are worth trying as a recycling triangle only.

        An embossed triangle often scores under ``box_thresh`` as text while its outline is plain to the triangle
        reader; such a box is never read as a line, so a faint blob costs no recognition unless it is a triangle.
        """
        h, w = frame.shape[:2]
        ratio = min(1.0, self.det_max_side / max(h, w))
        # The network needs sides that are multiples of 32.
        det_h, det_w = max(32, round(h * ratio / 32) * 32), max(32, round(w * ratio / 32) * 32)
        image = frame
        if self._clahe is not None:
            lab = cv2.cvtColor(frame, cv2.COLOR_BGR2LAB)
            lab[..., 0] = self._clahe.apply(lab[..., 0])
            image = cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
        resized = cv2.resize(image, (det_w, det_h)) if (det_w, det_h) != (w, h) else image
        blob = (resized.astype(np.float32) * (2 / 255.0) - 1.0).transpose(2, 0, 1)[None]
        prob = self._det.run(None, {self._det_input: blob})[0][0, 0]
        scale = (w / det_w, h / det_h)
        boxes = self._boxes(prob, self.det_thresh, self.box_thresh, 1.0, scale, (w, h))
        faint = []
        if self.resin_symbols:
            for box in self._boxes(prob, FAINT_THRESH, FAINT_THRESH, self.box_thresh, scale, (w, h)):
                if _triangle_sized(float(np.linalg.norm(box[0] - box[1])), float(np.linalg.norm(box[0] - box[3]))):
                    faint.append(box)
        return boxes, faint

    def _boxes(
        self,
        prob: np.ndarray,
        pixel_thresh: float,
        min_score: float,
        max_score: float,
        scale: tuple[float, float],
        size: tuple[int, int],
    ) -> list[np.ndarray]:
        """Rectangles around the blobs of ``prob`` above ``pixel_thresh`` with a mean score in [min, max), in frame
        pixels, grown by ``unclip_ratio``."""
        bitmap = cv2.dilate((prob > pixel_thresh).astype(np.uint8), np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        w, h = size
        boxes = []
        for contour in contours[:1000]:
            rect = cv2.minAreaRect(contour)
            if min(rect[1]) < MIN_BOX_SIDE:
                continue
            score = _box_score(prob, cv2.boxPoints(rect))
            if not min_score <= score < max_score:
                continue
            (cx, cy), (rw, rh), angle = rect
            # Growing a rectangle by d on every side is what PaddleOCR's polygon offset does to a rectangle.
            grow = rw * rh * self.unclip_ratio / (2 * (rw + rh))
            grown = ((cx, cy), (rw + 2 * grow, rh + 2 * grow), angle)
            if min(grown[1]) < MIN_BOX_SIDE + 2:
                continue
            points = cv2.boxPoints(grown)
            points[:, 0] = np.clip(points[:, 0] * scale[0], 0, w - 1)
            points[:, 1] = np.clip(points[:, 1] * scale[1], 0, h - 1)
            box = _order_corners(points)
            if np.linalg.norm(box[0] - box[1]) <= 3 or np.linalg.norm(box[0] - box[3]) <= 3:
                continue
            boxes.append(box)
        return boxes

    # -- recognition ----------------------------------------------------------------------------------------------

    def _recognise(
        self,
        crops: list[np.ndarray],
        allowed: np.ndarray | None = None,
        batches: list[list[int]] | None = None,
        pad: int = 0,
        outputs: dict[int, np.ndarray] | None = None,
    ) -> list[tuple[str, float]]:
        """Text and mean confidence of each crop; ``allowed`` masks the classes the decoder may pick (default: the
        reader's script). ``batches``: read only these batches of ``rec_batches`` (the others read as nothing), each
        padded to at least ``pad`` px. ``outputs``:
        each crop's recogniser output by index, kept there, and taken from there instead of reading a batch again."""
        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        widths = _widths(crops)
        if batches is None:
            batches = rec_batches(widths, self.rec_batch, self.rec_batch_width, self.rec_min_width)
        # An empty crop (a triangle's digit region cut off at the window's edge) reads as nothing.
        batches = [kept for kept in ([i for i in batch if widths[i]] for batch in batches) if kept]
        for batch in batches:
            if outputs is not None and all(i in outputs for i in batch):
                for i in batch:
                    results[i] = self._decode(outputs[i], self._allowed if allowed is None else allowed)
                continue
            width = max(self.rec_min_width, *(widths[i] for i in batch))
            if self.rec_batch_width:
                width = _bucket(width)
            width = max(width, pad)
            blob = np.zeros((len(batch), 3, REC_HEIGHT, width), np.float32)
            for row, i in enumerate(batch):
                resized = cv2.resize(crops[i], (min(widths[i], width), REC_HEIGHT)).astype(np.float32)
                blob[row, :, :, : resized.shape[1]] = (resized * (2 / 255.0) - 1.0).transpose(2, 0, 1)
            probs = self._rec.run(None, {self._rec_input: blob})[0]
            for row, i in enumerate(batch):
                if outputs is not None:
                    outputs[i] = probs[row]
                results[i] = self._decode(probs[row], self._allowed if allowed is None else allowed)
        return results

    def _decode(self, probs: np.ndarray, allowed: np.ndarray | None) -> tuple[str, float]:
        """Greedy CTC: best class per step, repeats merged, blanks dropped. Masked classes are never picked; the
        confidence stays the model's own probability, so a reading forced into the mask scores low."""
        if allowed is not None:
            probs = np.where(allowed, probs, 0.0)
        classes, steps = greedy_path(probs)
        if not steps.size:
            return "", 0.0
        text = "".join(self._charset[int(k)] for k in classes if int(k) < len(self._charset))
        return text, float(probs[steps, classes].mean())

    def _mask(self, keep: Callable[[str], bool]) -> np.ndarray:
        """Decoder classes: the CTC blank and the characters ``keep`` accepts."""
        return np.array([i == 0 or (len(ch) == 1 and keep(ch)) for i, ch in enumerate(self._charset)])

    def describe(self) -> dict[str, Any]:
        """The settings in effect, for logs and the benchmark report."""
        return {
            "det_max_side": self.det_max_side,
            "det_thresh": self.det_thresh,
            "box_thresh": self.box_thresh,
            "unclip_ratio": self.unclip_ratio,
            "min_score": self.min_score,
            "flip_below": self.flip_below,
            "orient_sample": self.orient_sample,
            "relief_reuse": self.relief_reuse,
            "clahe": self._clahe is not None,
            "rec_batch": self.rec_batch,
            "rec_min_width": self.rec_min_width,
            "rec_batch_width": self.rec_batch_width,
            "memory_arena": self.memory_arena,
            "memory_pattern": self.memory_pattern,
            "relief_retry": self.relief_retry,
            "plausible_score": self.plausible_score,
            "latin_only": self.latin_only,
            "resin_symbols": self.resin_symbols,
            "triangle_reader": self._triangle_reader is not None,
            "triangle_finder": self._triangle_finder is not None,
        }


def _spans(counts: list[int]) -> Iterator[slice]:
    """Consecutive slices of the given lengths: each triangle's views in the list of all views."""
    start = 0
    for count in counts:
        yield slice(start, start + count)
        start += count


def alone_threshold(reader: TriangleDigitReader | None, words: list[np.ndarray]) -> float:
    """The confidence at which the recogniser's digit may answer alone in this frame: its calibrated threshold in a
    frame where nothing read as a word, never beside text. Beside an ISO code or a lot number, a digit-shaped place
    that passed the outline test is more likely part of that text than a triangle of its own (on the committed set
    two ISO-code frames lost their answer to such a digit contradicting the code), and a marking with text has that
    text to answer with. The relief look, which a frame reaches only when its text gave no polymer, passes no words
    (``alone_beside_words``)."""
    if reader is None or words:
        return DIGIT_ALONE
    return reader.alone


def _load_triangle_reader() -> TriangleDigitReader | None:
    """The triangle digit recogniser, or None (the OCR's digit then decides alone) when its file does not load."""
    try:
        return TriangleDigitReader()
    except (ModelFileError, ValueError) as exc:
        logger.warning("triangle digit recogniser not loaded, triangles are read by the OCR alone: %s", exc)
        return None


def _load_triangle_finder() -> TriangleFinder | None:
    """The trained triangle finder, or None (the edge-rule scan alone) when its file does not load."""
    try:
        return TriangleFinder()
    except (ModelFileError, ValueError) as exc:
        logger.warning("triangle finder not loaded, the frame scan alone looks for triangles: %s", exc)
        return None


def _distinct_triangles(frame: np.ndarray, candidates: list[tuple[int | None, np.ndarray]]) -> list[TrianglePlace]:
    """The candidates that are triangles, with their apex-up views; a second candidate on a triangle already found
    (a text box and a faint blob on the same one) is left out, so one triangle gives one reading."""
    found: list[TrianglePlace] = []
    for index, box in candidates:
        centre = box.mean(axis=0)
        if any(np.linalg.norm(centre - other.box.mean(axis=0)) < _radius(other.box) for other in found):
            continue
        views = upright_views(frame, box)
        if views:
            found.append(TrianglePlace(index, box, views))
    return found


def _near_any(point: np.ndarray, boxes: list[np.ndarray]) -> bool:
    """Whether ``point`` lies in one of ``boxes`` or within ``WORD_MARGIN`` box heights of it."""
    for box in boxes:
        margin = WORD_MARGIN * float(min(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[0] - box[3])))
        if cv2.pointPolygonTest(box.astype(np.float32), (float(point[0]), float(point[1])), True) >= -margin:
            return True
    return False


def _radius(box: np.ndarray) -> float:
    return 0.5 * float(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[0] - box[3])))


def _triangle_sized(width: float, height: float) -> bool:
    """A box a recycling triangle (or its digit alone) could fill: near square, and big enough to hold a digit."""
    return max(width, height) <= TRIANGLE_MAX_ASPECT * min(width, height) and min(width, height) >= TRIANGLE_MIN_SIDE


def _reads_as_word(text: str, score: float) -> bool:
    """A line read as a word well enough to count as text (``WORD_SCORE``)."""
    return _is_word(text) and score >= WORD_SCORE


def _is_word(text: str) -> bool:
    """At least two letters and digits, one of them a letter: a triangle reads as nothing, a glyph or its digit."""
    return sum(ch.isalnum() for ch in text) >= 2 and any(ch.isalpha() for ch in text)


def _corners(points: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in points)


def _triangle_digit(read: list[tuple[str, float]]) -> int | None:
    """Which apex-up turn of a triangle reads its digit, or None.

    Every turn that reads a digit confidently must read the same one, with one exception: a 7 turned by 120° reads
    as a confident 1 (measured 0.99) while its upright turn may read 7 less surely (0.82), so a 1 beside a 7 read
    at ``TRIANGLE_SEVEN_SCORE`` is a 7. Of equal readings, the turn nearest the frame's upright (listed first) wins.
    """
    confident = [k for k, (text, score) in enumerate(read) if len(text) == 1 and score >= TRIANGLE_DIGIT_SCORE]
    digits = {read[k][0] for k in confident}
    sevens = [k for k, (text, score) in enumerate(read) if text == "7" and score >= TRIANGLE_SEVEN_SCORE]
    if digits <= {"1", "7"} and "1" in digits and sevens:
        return sevens[0]
    return confident[0] if len(digits) == 1 else None


def _widths(crops: list[np.ndarray]) -> list[int]:
    """Each crop's width at the recogniser's height (0 for an empty crop)."""
    return [math.ceil(REC_HEIGHT * crop.shape[1] / crop.shape[0]) if crop.size else 0 for crop in crops]


def flip_votes(upright: list[tuple[str, float]], turned: list[tuple[str, float]], upright_mass: float = 0.0) -> bool:
    """Whether lines vote the frame upside down: their turned readings outweigh the upright readings of all of them
    (plus ``upright_mass`` from other lines), each weighted by characters times confidence."""
    return sum(len(text) * score for text, score in turned) > upright_mass + sum(
        len(text) * score for text, score in upright
    )


@dataclass(slots=True)
class _EarlierLooks:
    """What the looks at one frame keep for the looks after them: the smoothed image, blurred once for the looks that
    read it, and the recogniser's output per box there (a later look decodes it anew instead of reading it again);
    the relief image and its pass's readings; the triangle digits (resin symbol lines) the first pass and the relief
    pass read."""

    smoothed: np.ndarray | None = None
    smoothed_outputs: dict[int, np.ndarray] = field(default_factory=dict)
    relief: np.ndarray | None = None
    relief_read: list[Reading] = field(default_factory=list)
    symbols: list[OcrLine] = field(default_factory=list)
    relief_symbols: list[OcrLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Reading:
    """A detector box's reading in one pass: text, confidence, and whether it was read turned 180°."""

    box: np.ndarray
    text: str
    score: float
    turned: bool


def reusable(read: list[Reading], min_score: float) -> list[Reading]:
    """The readings a relief pass may take over instead of reading their boxes again: lines of words read upright at
    ``min_score`` or better, in a frame not read upside down (the relief pass then decides the way up afresh). A
    triangle's digit (a resin symbol) is left to the triangle reader."""
    if any(r.turned for r in read):
        return []
    return [r for r in read if r.score >= min_score and _is_word(r.text) and not any(map(_is_resin_symbol, r.text))]


def same_box(box: np.ndarray, other: np.ndarray) -> bool:
    """Whether two detector boxes take the same place: their upright bounding rectangles overlap by at least
    ``SAME_BOX_IOU`` of their union."""
    (ax0, ay0), (ax1, ay1) = box.min(axis=0), box.max(axis=0)
    (bx0, by0), (bx1, by1) = other.min(axis=0), other.max(axis=0)
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return bool(union > 0 and inter / union >= SAME_BOX_IOU)


def confirms_flip(turned: list[tuple[str, float]], min_score: float) -> bool:
    """Whether lines read turned read well enough to keep without reading them upright: a mean confidence, weighted
    by characters, of at least ``min_score`` (no lines: nothing contradicts)."""
    chars = sum(len(text) for text, _ in turned)
    return chars == 0 or sum(len(text) * score for text, score in turned) >= min_score * chars


def rec_batches(widths: list[int], max_count: int, max_width: int, min_width: int) -> list[list[int]]:
    """Indices of recognition crops (by their width at the recogniser's height) grouped into batches.

    Crops go narrowest first, so a batch pads little. A batch holds at most ``max_count`` crops and, when
    ``max_width`` is set, at most that many pixels of padded width in all (a crop wider than that goes alone). The
    bound keeps each run's activations small: 8 label lines of 800 px took 107 MB and ran slower per pixel than
    the same lines in smaller batches (measured on the evaluation set's care labels).
    """
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in sorted(range(len(widths)), key=lambda k: widths[k]):
        padded = _bucket(max(min_width, widths[i])) if max_width else 0
        if batch and (len(batch) >= max_count or (max_width and (len(batch) + 1) * padded > max_width)):
            batches.append(batch)
            batch = []
        batch.append(i)
    if batch:
        batches.append(batch)
    return batches


def _bucket(width: int) -> int:
    """A recogniser input width rounded up to a step, so input shapes repeat and runs reuse their memory plans."""
    return -(-width // REC_WIDTH_STEP) * REC_WIDTH_STEP


def _is_resin_symbol(ch: str) -> bool:
    return "\u2673" <= ch <= "\u2679"


def _is_latin(ch: str) -> bool:
    """ASCII and the Latin-1/Latin Extended-A letters and signs of Dutch, German, French and Spanish labels."""
    return len(ch) == 1 and (" " <= ch <= "~" or "\u00a0" <= ch <= "\u017f")


def _smoothed(frame: np.ndarray, read: list[Reading]) -> np.ndarray:
    """The frame with a woven label's thread grid blurred away (about half a thread), for the lines of ``read``."""
    heights = [min(np.linalg.norm(r.box[0] - r.box[1]), np.linalg.norm(r.box[0] - r.box[3])) for r in read]
    sigma = SMOOTH_SHARE * float(np.median(heights)) if heights else SMOOTH_SIGMA_RANGE[0]
    return cv2.GaussianBlur(frame, (0, 0), float(np.clip(sigma, *SMOOTH_SIGMA_RANGE)))


def _faint(frame: np.ndarray, read: list[Reading]) -> bool:
    """Whether the print in ``frame`` is faint: the detector found no line, or the median line's grey levels spread
    (5th to 95th percentile) less than ``FAINT_SPREAD``."""
    if not read:
        return True
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    spreads = [np.subtract(*np.percentile(_crop(grey, r.box), (95, 5))) for r in read]
    return float(np.median(spreads)) < FAINT_SPREAD


def _equalised(frame: np.ndarray) -> np.ndarray:
    """The frame with its local contrast equalised (CLAHE on the lightness): faint print at full contrast."""
    lab = cv2.cvtColor(frame, cv2.COLOR_BGR2LAB)
    clahe = cv2.createCLAHE(clipLimit=EQUALISE_CLIP, tileGridSize=(EQUALISE_TILES, EQUALISE_TILES))
    lab[..., 0] = clahe.apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def _relief(frame: np.ndarray) -> np.ndarray:
    """Grey high-pass around mid-grey, amplified: relief edges of embossed text become dark and light strokes."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    high = grey - cv2.GaussianBlur(grey, (0, 0), RELIEF_SIGMA)
    enhanced = np.clip(128 + high * RELIEF_GAIN, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(enhanced, cv2.COLOR_GRAY2BGR))


def _box_score(prob: np.ndarray, points: np.ndarray) -> float:
    """Mean text probability inside the box (PaddleOCR's "fast" score)."""
    h, w = prob.shape
    x0 = int(np.clip(np.floor(points[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(points[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(points[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(points[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [(points - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def _order_corners(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left for a box whose long side is the text line."""
    by_x = points[np.argsort(points[:, 0])]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], np.float32)


def _crop(frame: np.ndarray, box: np.ndarray) -> np.ndarray:
    width = max(1, round(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3]))))
    height = max(1, round(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(box.astype(np.float32), target)
    crop = cv2.warpPerspective(frame, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if height / width >= 1.5:  # a tall box is a line standing on its side
        crop = np.rot90(crop)
    contiguous: np.ndarray = np.ascontiguousarray(crop)
    return contiguous


def _the_way_read(crops: list[np.ndarray], turned: list[bool]) -> list[np.ndarray]:
    """Each crop the way up an earlier pass read it: turned 180° where ``turned`` says."""
    return [cv2.rotate(crop, cv2.ROTATE_180) if way else crop for crop, way in zip(crops, turned, strict=True)]


def _masked(probs: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """The recogniser's output with the classes not ``allowed`` at 0."""
    return probs if allowed is None else np.where(allowed, probs, 0.0)


def _spelled(
    segments: dict[int, list[Segment]], count: int, chosen: dict[tuple[int, int], str] | None = None
) -> list[str]:
    """The text of each of ``count`` lines from its ``segments`` (a line without any reads as nothing), with the
    readings ``chosen`` for some open percentages, by line and segment."""
    chosen = chosen or {}
    return [
        "".join(chosen.get((i, k), segment_text(part)) for k, part in enumerate(segments.get(i, [])))
        for i in range(count)
    ]


def cheapest_ways(costs: list[list[float]], slack: float) -> Iterator[tuple[float, tuple[int, ...]]]:
    """Every way of choosing one option from each list of ``costs`` (each list ascending, its first 0), cheapest
    first, with its total cost, up to a total of ``slack``."""
    start = (0,) * len(costs)
    heap = [(0.0, start)]
    seen = {start}
    while heap:
        total, choice = heapq.heappop(heap)
        if total > slack:
            return
        yield total, choice
        for n, c in enumerate(choice):
            if c + 1 < len(costs[n]):
                following = (*choice[:n], c + 1, *choice[n + 1 :])
                if following not in seen:
                    seen.add(following)
                    heapq.heappush(heap, (total - costs[n][c] + costs[n][c + 1], following))


def _reading_order(lines: list[tuple[OcrLine, bool]]) -> list[OcrLine]:
    """Lines top to bottom, left to right, in the text's own frame: tilted and upside-down labels read in order."""
    if not lines:
        return []
    flipped = sum(len(line.text) for line, turned in lines if turned)
    upright = sum(len(line.text) for line, turned in lines if not turned)
    # The text direction, from the top edges (box[0] -> box[1]) of the lines that agree with the majority; a circular
    # mean because an upside-down label's direction sits near ±180°, where plain averages wrap.
    majority = flipped > upright
    edges = [(line.box[1][0] - line.box[0][0], line.box[1][1] - line.box[0][1]) for line, t in lines if t == majority]
    angle = math.atan2(sum(dy for _, dy in edges), sum(dx for dx, _ in edges))
    cos_a, sin_a = math.cos(-angle), math.sin(-angle)

    def along_across(line: OcrLine) -> tuple[float, float, float]:
        cx = sum(p[0] for p in line.box) / 4
        cy = sum(p[1] for p in line.box) / 4
        height = math.dist(line.box[0], line.box[3])
        return cx * cos_a - cy * sin_a, cx * sin_a + cy * cos_a, height

    placed = [(along_across(line), line) for line, _ in lines]
    placed.sort(key=lambda item: item[0][1])
    rows: list[list[tuple[tuple[float, float, float], OcrLine]]] = []
    for item in placed:
        if rows and abs(item[0][1] - rows[-1][0][0][1]) < 0.5 * max(item[0][2], rows[-1][0][0][2]):
            rows[-1].append(item)
        else:
            rows.append([item])
    return [line for row in rows for _, line in sorted(row, key=lambda item: item[0][0])]
