"""What the vision module answers: a prediction with its top three candidates, or an honest "no suggestion".

A ``Prediction`` is the vision module's own result (candidates, source, evidence); what an event carries is
the wire contract's ``Suggestion`` (``Prediction.to_wire()``), which keeps only label, confidence and model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.contract.payloads import Suggestion


class Source(StrEnum):
    """Where a suggestion came from; a readable marking overrides any appearance guess."""

    MARKING = "marking"  # a plastic marking (>PP<, resin code) read by OCR
    CARE_LABEL = "care_label"  # a textile care label's fibre composition, graded with condition cues
    CLASSIFIER = "classifier"  # the trained image classifier


@dataclass(frozen=True, slots=True)
class Candidate:
    label: str  # a category id of the station (pp, pet, creme, ...)
    confidence: float  # calibrated probability, 0..1


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str
    confidence: float
    source: Source
    model_version: str
    top: tuple[Candidate, ...] = ()  # the best three, best first; top[0].label == label
    evidence: str = ""  # the text read, or the cues measured, that led here
    features: tuple[float, ...] | None = None  # the classifier backbone's features, when the classifier ran

    def to_wire(self) -> Suggestion:
        return Suggestion(label=self.label, confidence=round(self.confidence, 4), model_version=self.model_version)


@dataclass(frozen=True, slots=True)
class NoSuggestion:
    """The module would rather say nothing than guess; ``reason`` says why (for logs and the eval report)."""

    reason: str
    evidence: str = ""
    top: tuple[Candidate, ...] = field(default=())
    features: tuple[float, ...] | None = None  # the classifier backbone's features, when the classifier ran


Answer = Prediction | NoSuggestion
