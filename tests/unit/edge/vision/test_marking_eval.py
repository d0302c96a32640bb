"""evaluate_markings keeps every sample with its truth and reading, beside the figures it always gave."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from edge.vision.dataset import CaptureMeta, CompositionPart, Fibre, MarkingTruth, sample_paths
from edge.vision.marking_eval import Enough, evaluate_markings
from edge.vision.second_look import SecondLook


def write(root: Path, stream: str, label: str, capture_id: str, truth: MarkingTruth) -> None:
    image, meta = sample_paths(root, stream, label, capture_id)
    image.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(image), np.zeros((48, 64, 3), np.uint8))
    meta.write_text(CaptureMeta(capture_id=capture_id, stream=stream, label=label, truth=truth).model_dump_json())


def test_results_hold_each_sample_truth_and_reading(tmp_path: Path) -> None:
    write(tmp_path, "plastic", "pp", "a", MarkingTruth(text=">PP<", polymer="pp", style="kind=iso"))
    write(tmp_path, "plastic", "pet", "b", MarkingTruth(text="1", polymer="pet"))
    cotton = (CompositionPart(part="main", fibres=(Fibre(fibre="cotton", percent=100),)),)
    write(tmp_path, "textile", "cotton", "c", MarkingTruth(text="100% cotton", composition=cotton))
    texts = {0: ["lot 12"], 1: [">PP<"], 2: ["100% cotton"]}  # in the order of the paths
    calls: list[int] = []

    def read_lines(_frame: npt.NDArray[np.uint8], _enough: Enough, _looks: Sequence[SecondLook]) -> Sequence[str]:
        calls.append(len(calls))
        return texts[len(calls) - 1]

    report = evaluate_markings(tmp_path, read_lines, progress=False)
    got = [(s.meta.capture_id, truth, predicted) for s, truth, predicted in report.results]
    assert got == [("b", "pet", None), ("a", "pp", "pp"), ("c", "main: 100% cotton", "main: 100% cotton")]
    assert report.results[1][0].meta.truth is not None and report.results[1][0].meta.truth.style == "kind=iso"
    assert report.plastic is not None and (report.plastic.total, report.plastic.suggested) == (2, 1)
    assert report.label_exact is not None and report.label_exact.correct == 1
