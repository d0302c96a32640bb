"""Training at the hub: time to train a site's model on 5,000 captures, as ``sortcentre fleet train`` does it
(hub/fleet/training.py), once with no cached features and once with every feature cached from the first run, the
second also comparing with the first model on the held-out split (as a retrain with a model in service does).

``python -m bench training`` runs it; ``CAPTURES`` sets the size."""

from __future__ import annotations

import os
import time
from pathlib import Path

from firmware_mocks.captures import CLASSES, STREAM, write_dataset
from hub.fleet.training import TrainingResult, train_site_model

CAPTURES = int(os.environ.get("SORTCENTRE_BENCH_CAPTURES", "5000"))


def _timed(dataset: Path, out: Path, current: Path | None) -> tuple[TrainingResult, float]:
    started = time.perf_counter()
    result = train_site_model(dataset, STREAM, out, current_model=current, seed=0, threshold=0.9, site="bench")
    return result, time.perf_counter() - started


def run(folder: Path, captures: int = CAPTURES) -> list[str]:
    per_class = -(-captures // len(CLASSES))
    started = time.perf_counter()
    dataset = write_dataset(folder / "captures", per_class, seed=0)
    render_s = time.perf_counter() - started
    images = per_class * len(CLASSES)

    cold, cold_s = _timed(dataset, folder / "cold", None)
    warm, warm_s = _timed(dataset, folder / "warm", cold.model_path)
    compare_s = warm_s - warm.trained.feature_seconds - warm.trained.fit_seconds

    def row(what: str, result: TrainingResult, total: float) -> str:
        t = result.trained
        return (
            f"| {what} | {total:.1f} | {t.feature_seconds:.1f} ({t.cache_hits:,} cached) | {t.fit_seconds:.1f} | "
            f"{total - t.feature_seconds - t.fit_seconds:.1f} |"
        )

    return [
        "## Training at the hub",
        "",
        f"`train_site_model` (what `sortcentre fleet train` and `POST /api/fleet/train` run) on {images:,} rendered",
        f"captures ({len(CLASSES)} classes, 320x240 JPEG, `firmware_mocks/captures.py`; rendering them took",
        f"{render_s:.0f} s, not counted). Features come from the frozen backbone, 2 threads; the first run has no",
        "feature cache, the second finds every image's features in the cache the first wrote (`DATASET/.features`),",
        "as a retrain does for every capture it saw before, and also runs the first model over the held-out split",
        "to compare (precision and coverage at threshold 0.9).",
        "",
        "| run | total (s) | features (s) | head + calibration (s) | rest: ONNX file, checks, comparison (s) |",
        "|---|---|---|---|---|",
        row("no feature cache, no current model", cold, cold_s),
        row("features cached, compared with the first model", warm, warm_s),
        "",
        f"Held-out split: {warm.held_out:,} captures; new model {warm.new.describe()};",
        f"current model {warm.current.describe() if warm.current else '-'}. The rendered set is easy: these",
        "figures show the pipeline, not a classifier of plastics. The comparison alone took about "
        f"{compare_s:.0f} s: the current",
        "model is a whole ONNX file (backbone and head), so every held-out image goes through the backbone again.",
        "",
    ]
