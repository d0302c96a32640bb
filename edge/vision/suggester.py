"""The one entry point of the vision module: ``Suggester.suggest(frame, stream) -> Prediction | NoSuggestion``.

What decides, in order (docs/vision.md):

* plastics: a readable marking (ISO 1043 code, abbreviation, resin digit) read by OCR decides; a camera alone
  cannot tell PP from HDPE or PET from PVC, so a marking overrides any appearance guess. Without a marking,
  the site's trained classifier (``sortcentre vision train``) answers if one is configured; else nothing.
* textiles: the care label's fibre composition plus the condition cues measured on the scale mat give a grade
  (edge/vision/textile/grading.py).
* other streams: the trained classifier, if any.

Every answer below the stream's threshold (``VisionConfig.thresholds``) becomes a ``NoSuggestion`` with the
candidates kept for the log: a sorter who learns that a lit key is usually right must be able to rely on it.

A model that cannot be loaded (missing, corrupt, sha256 mismatch) is logged once and left out; the station
keeps weighing with whatever still works, down to no suggestions at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from config.vision import VisionConfig
from edge.vision import lighting
from edge.vision.answer import Answer, Candidate, NoSuggestion, Prediction, Source
from edge.vision.classifier import ImageClassifier
from edge.vision.markings.fibres import composition_readable, read_composition
from edge.vision.markings.plastics import PolymerReading, polymer_readable, read_polymer
from edge.vision.model_files import ModelFileError
from edge.vision.ocr import MarkingOcr, OcrUnavailable
from edge.vision.second_look import LABEL_LOOKS, PLASTIC_LOOKS, SecondLook
from edge.vision.textile.condition import measure_condition
from edge.vision.textile.grading import grade

logger = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
LitFrames = Callable[[], Sequence[lighting.LitFrame] | None]

# Identifies the marking reader in events (``suggestion.model_version``): the OCR models and the parser rules.
# Raised whenever what the reader answers changes, so the hub's accept rates per version show the effect.
# 2: triangles read upright, a triangle's own digit may stand alone, the relief pass asked for by the parser.
MARKING_READER_VERSION = "ppocrv4-markings-2"
# An answer read from the frames under the station's side lights (the ambient frame gave none): its own version, so
# the hub's accept rates show what the lights add.
LIGHTS_READER_VERSION = f"{MARKING_READER_VERSION}+lights"

# Confidence of a marking read, by how many independent kinds of mark agreed (ISO code, abbreviation, resin digit).
# On the rendered evaluation set the marking reader was right for all 286 plastic items it answered, and for all
# 285 of a second set drawn with another seed (`docs/benchmarks.md`), most of them on one mark. A single mark gets
# 0.97, below those figures, because real labels are messier than rendered ones; each further agreeing kind of mark
# raises it.
MARKING_CONFIDENCE = {1: 0.97, 2: 0.99, 3: 0.995}

CLASSIFIER_PROBLEM = "classifier unavailable"

# Features stored with a capture (about 10 KB of JSON for the backbone's 1,280): four decimals are far below the
# spread of the features and keep the sidecar a fraction of its JPEG.
FEATURE_DECIMALS = 4

TEXTILE_STREAMS = frozenset({"textile", "textiles", "clothing"})


class Suggester:
    def __init__(self, config: VisionConfig, categories: Sequence[str]) -> None:
        self.config = config
        self.categories = frozenset(categories)
        self.problems: list[str] = []  # what could not be loaded, for the station's health report
        self._ocr = self._load_ocr() if config.read_markings else None
        self._classifier = self._load_classifier(config.classifier) if config.classifier else None

    def reconfigure(self, config: VisionConfig, categories: Sequence[str]) -> None:
        """New thresholds, polymer map, grading rules and categories (remote config), between items. The models
        stay loaded: which ones (``read_markings``, ``classifier``, ``threads``) is the station file's choice."""
        self.config = config
        self.categories = frozenset(categories)

    def _load_ocr(self) -> MarkingOcrLike | None:
        try:
            return MarkingOcr(threads=self.config.threads, triangle_finder=self.config.triangle_finder)
        except (OcrUnavailable, OSError) as exc:
            self._problem(f"marking reader unavailable: {exc}")
            return None

    def _load_classifier(self, path: Path) -> ClassifierLike | None:
        try:
            return ImageClassifier(path, threads=self.config.threads)
        except ModelFileError as exc:
            self._problem(f"{CLASSIFIER_PROBLEM}: {exc}")
            return None

    def use_classifier(self, classifier: ClassifierLike) -> None:
        """Answer with ``classifier`` from the next suggestion on (a model the hub rolled out). Call it between
        items, on the thread that calls :meth:`suggest`; a classifier that could not load at start is then no
        longer a problem."""
        self._classifier = classifier
        self.problems[:] = [p for p in self.problems if not p.startswith(CLASSIFIER_PROBLEM)]

    def _problem(self, text: str) -> None:
        logger.error("%s; the station goes on without it", text)
        self.problems.append(text)

    def threshold(self, stream: str) -> float:
        return self.config.thresholds.get(stream, self.config.default_threshold)

    def suggest(self, frame: Frame, stream: str, lit: LitFrames | None = None) -> Answer:
        """The suggestion for the item in ``frame`` (BGR, cropped to the plate), or why there is none.

        ``lit``: with the station's side lights, gives the frames taken under each light (None when they failed); it
        is called only when ``frame`` alone gives no marking, so an item read today is answered as fast as today."""
        if not self.config.enabled:
            return NoSuggestion("vision is off")
        if stream in TEXTILE_STREAMS:
            return self._gate(self._textile(frame, self._read(frame, composition_readable, LABEL_LOOKS)), stream)
        if stream == "plastic":
            answer = self._marking(self._read(frame, polymer_readable, PLASTIC_LOOKS))
            if isinstance(answer, NoSuggestion) and lit is not None and self._ocr is not None:
                answer = self._under_lights(frame, lit, answer)
        else:
            answer = NoSuggestion("no marking reader for " + stream)  # no OCR: no parser would use its text
        if isinstance(answer, NoSuggestion) and self._classifier is not None:
            answer = self._classify(frame)
        return self._gate(answer, stream)

    def _read(self, frame: Frame, enough: Callable[[list[str]], bool], looks: Sequence[SecondLook]) -> list[str]:
        """The OCR texts; the reader looks again (``looks``: a relief image, a smoothed one) when ``enough`` says the
        parser cannot use them."""
        return [line.text for line in self._ocr.read(frame, enough, looks)] if self._ocr is not None else []

    def _marking(self, lines: list[str]) -> Answer:
        reading = read_polymer(lines)
        if reading is None:
            return NoSuggestion("no readable marking", evidence=" | ".join(lines))
        return self._polymer(reading, MARKING_READER_VERSION)

    def _under_lights(self, frame: Frame, lit: LitFrames, ambient: NoSuggestion) -> Answer:
        """Read the relief the side lights show (edge/vision/lighting.py): every view votes, any conflict abstains."""
        frames = lit()
        if not frames:
            return ambient  # the lights failed (reported by the station): the single frame's answer stands
        readings = [
            read_polymer(self._read(view, polymer_readable, PLASTIC_LOOKS)) for view in lighting.views(frame, frames)
        ]
        verdict = lighting.vote(readings)
        if verdict.reading is None:
            return NoSuggestion(f"no marking under the lights ({verdict.describe()})", evidence=ambient.evidence)
        return self._polymer(verdict.reading, LIGHTS_READER_VERSION)

    def _polymer(self, reading: PolymerReading, version: str) -> Answer:
        label = self.config.polymers.get(reading.polymer, reading.polymer)
        confidence = MARKING_CONFIDENCE[min(reading.agreeing_marks, 3)]
        return Prediction(
            label=label,
            confidence=confidence,
            source=Source.MARKING,
            model_version=version,
            top=(Candidate(label, confidence),),
            evidence=reading.evidence,
        )

    def _textile(self, frame: Frame, lines: list[str]) -> Answer:
        composition = read_composition(lines)
        if self.config.mat is None:
            return NoSuggestion("no mat colour configured: condition cues unknown")
        cues = measure_condition(frame, self.config.mat)
        answer = grade(composition.parts if composition else None, cues, self.config.grading)
        if isinstance(answer, Prediction):
            version = f"{MARKING_READER_VERSION}+{self.config.grading.version}"
            return Prediction(answer.label, answer.confidence, answer.source, version[:64], answer.top, answer.evidence)
        return answer

    def _classify(self, frame: Frame) -> Answer:
        assert self._classifier is not None
        # The features come out of the same inference run: kept with the capture, they cost nothing to compute.
        every, vector = self._classifier.predict_with_features(frame)
        features = tuple(np.round(vector.astype(np.float64), FEATURE_DECIMALS).tolist()) if vector.size else None
        candidates = [c for c in every if c.label in self.categories]
        if not candidates:
            return NoSuggestion("the classifier knows none of this station's categories", features=features)
        best = candidates[0]
        return Prediction(
            label=best.label,
            confidence=best.confidence,
            source=Source.CLASSIFIER,
            model_version=self._classifier.model_version[:64],
            top=tuple(candidates[:3]),
            features=features,
        )

    def _gate(self, answer: Answer, stream: str) -> Answer:
        if isinstance(answer, NoSuggestion):
            return answer
        if answer.label not in self.categories:
            reason = f"{answer.label} is not a category of this station"
            return NoSuggestion(reason, answer.evidence, answer.top, answer.features)
        if answer.confidence < self.threshold(stream):
            reason = f"{answer.label} at {answer.confidence:.2f} is below the {stream} threshold"
            return NoSuggestion(reason, answer.evidence, answer.top, answer.features)
        return answer


class MarkingOcrLike(Protocol):
    def read(
        self,
        frame: npt.NDArray[np.uint8],
        enough: Callable[[list[str]], bool] | None = None,
        looks: Sequence[SecondLook] = PLASTIC_LOOKS,
    ) -> Sequence[TextLine]: ...


class TextLine(Protocol):
    @property
    def text(self) -> str: ...


class ClassifierLike(Protocol):
    @property
    def model_version(self) -> str: ...

    def predict_with_features(
        self, frame_bgr: npt.NDArray[np.uint8]
    ) -> tuple[list[Candidate], npt.NDArray[np.float32]]: ...
