"""Evaluating the marking reader (OCR + parser) on a folder whose sidecars carry the truth of what is shown.

Plastics: the polymer read against ``truth.polymer``. Care labels: the composition is right only if every part,
fibre and percentage equals ``truth.composition``; the per-class table and confusion matrix use the main part's
dominant fibre, so a wrong percentage shows in the exact figure but not in the confusion matrix.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import track

from edge.vision.dataset import CompositionPart, Sample, iter_samples
from edge.vision.evaluation import Metrics, print_report
from edge.vision.markings.fibres import composition_readable, read_composition
from edge.vision.markings.plastics import polymer_readable, read_polymer
from edge.vision.second_look import LABEL_LOOKS, PLASTIC_LOOKS, SecondLook

if TYPE_CHECKING:
    from edge.vision.ocr import MarkingOcr

# read_lines(frame, enough, looks): the OCR texts of a frame; ``enough(texts)`` tells a reader that retries when its
# first reading is not enough whether the parser can read the item from them, ``looks`` how it may look again (see
# ``MarkingOcr.read``).
Enough = Callable[[Sequence[str]], bool]
ReadLines = Callable[[npt.NDArray[np.uint8], Enough, Sequence[SecondLook]], Sequence[str]]


def ocr_reader(ocr: MarkingOcr) -> ReadLines:
    """The texts ``ocr`` reads from a frame, looking again as it does when the first reading is not enough."""

    def read(frame: npt.NDArray[np.uint8], enough: Enough, looks: Sequence[SecondLook]) -> list[str]:
        return [line.text for line in ocr.read(frame, enough, looks)]

    return read


def composition_key(parts: Iterable[CompositionPart]) -> str:
    """A canonical text of a composition: parts by name, fibres by percent (desc) then name."""
    out = []
    for part in sorted(parts, key=lambda p: p.part):
        fibres = sorted(part.fibres, key=lambda f: (-f.percent, f.fibre))
        out.append(f"{part.part}: " + ", ".join(f"{f.percent}% {f.fibre}" for f in fibres))
    return "; ".join(out)


def dominant_fibre(parts: Iterable[CompositionPart]) -> str:
    main = next((p for p in parts if p.part == "main"), None)
    if main is None or not main.fibres:
        return "unknown"
    return max(main.fibres, key=lambda f: (f.percent, f.fibre)).fibre


@dataclass
class MarkingReport:
    plastic: Metrics | None = None
    label_exact: Metrics | None = None  # truth and prediction are composition keys
    label_dominant: Metrics | None = None
    seconds: list[float] = field(default_factory=list)  # OCR + parse, per frame
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (image, truth, read) of wrong answers
    # Every sample with its truth and what was read (None: no answer), as the metrics above count them (polymer, or
    # composition key), so a caller can break the figures down by what its sidecar says (``truth.style``).
    results: list[tuple[Sample, str, str | None]] = field(default_factory=list)


def evaluate_markings(root: Path, read_lines: ReadLines, *, progress: bool = True) -> MarkingReport:
    samples = [s for s in iter_samples(root) if s.meta.truth is not None]
    report = MarkingReport()
    plastic: list[tuple[str, str | None]] = []
    exact: list[tuple[str, str | None]] = []
    dominant: list[tuple[str, str | None]] = []
    for sample in track(samples, description="reading markings") if progress else samples:
        frame = _image(sample)
        started = time.perf_counter()
        truth = sample.meta.truth
        assert truth is not None
        enough, looks = (
            (polymer_readable, PLASTIC_LOOKS) if truth.polymer is not None else (composition_readable, LABEL_LOOKS)
        )
        lines = list(read_lines(frame, enough, looks))
        if truth.polymer is not None:
            reading = read_polymer(lines)
            report.seconds.append(time.perf_counter() - started)
            predicted = reading.polymer if reading else None
            plastic.append((truth.polymer, predicted))
            report.results.append((sample, truth.polymer, predicted))
            if predicted is not None and predicted != truth.polymer:
                report.misses.append((str(sample.image), truth.polymer, " | ".join(lines)))
        elif truth.composition is not None:
            composition = read_composition(lines)
            report.seconds.append(time.perf_counter() - started)
            want = composition_key(truth.composition)
            got = composition_key(composition.parts) if composition else None
            exact.append((want, got))
            report.results.append((sample, want, got))
            dominant.append(
                (dominant_fibre(truth.composition), dominant_fibre(composition.parts) if composition else None)
            )
            if got is not None and got != want:
                report.misses.append((str(sample.image), want, got + "  <=  " + " | ".join(lines)))
    report.plastic = Metrics.from_pairs(plastic) if plastic else None
    report.label_exact = Metrics.from_pairs(exact) if exact else None
    report.label_dominant = Metrics.from_pairs(dominant) if dominant else None
    return report


def print_marking_report(report: MarkingReport, console: Console | None = None) -> None:
    console = console or Console()
    if report.plastic is not None:
        print_report(report.plastic, "Plastic markings: polymer read", console)
    if report.label_exact is not None and report.label_dominant is not None:
        exact = report.label_exact
        console.print(
            f"[bold]Care labels: composition exactly right[/bold]: {exact.total} items, coverage "
            f"{100 * exact.coverage:.1f}%, exactly right {100 * exact.selective_accuracy:.1f}% of those read"
        )
        print_report(report.label_dominant, "Care labels: dominant fibre of the main part", console)
    if report.seconds:
        ms = sorted(1000 * s for s in report.seconds)
        p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
        console.print(f"OCR + parse per frame: p50 {ms[len(ms) // 2]:.0f} ms, p99 {p99:.0f} ms")
    for image, want, got in report.misses[:20]:
        console.print(f"[red]wrong[/red] {image}: truth {want!r}, read {got!r}")


def _image(sample: Sample) -> npt.NDArray[np.uint8]:
    frame = cv2.imread(str(sample.image), cv2.IMREAD_COLOR)
    if frame is None:
        msg = f"{sample.image}: not an image OpenCV can read"
        raise ValueError(msg)
    return np.asarray(frame, dtype=np.uint8)
