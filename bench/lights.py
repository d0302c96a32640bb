"""Lighting as part of the reader: moulded recycling triangles on the simulated camera, read from the single ambient
frame and with the station's side lights, in the same run (docs/vision.md, "Lighting").

Each item is rendered by ``firmware_mocks.camera.render_moulded``: a triangle with its digit and abbreviation moulded
into the plastic (same colour, raised or sunk, turned any way round), seen in the room's weak diffuse light (the
ambient frame, where the relief is faint) and under each light. The digits and abbreviations are drawn in the
held-apart fonts (``scripts.font_split.HELD_OUT_FONTS``), which nothing in the reader was tuned on; the renderer and
the relief fusion were developed on the tuning fonts only.

Both figures come from the station's own path (``Suggester.suggest``): the ambient frame is read first, exactly as
without lights, and only when it gives no marking are the frames under the lights read and voted on.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.stats import percentile
from config.vision import VisionConfig
from edge.vision.answer import Prediction
from edge.vision.evaluation import Metrics
from edge.vision.lighting import LitFrame
from edge.vision.suggester import Suggester
from firmware_mocks.camera import RESIN_MARKS, render_moulded
from scripts.font_split import HELD_OUT_FONTS, font_paths

ITEMS = 60
SEED = 16
# Three lights 120° apart: every stroke direction faces one of them (docs/hardware.md, "Lights").
AZIMUTHS = (0.0, 120.0, 240.0)
POLYMERS = sorted({polymer for _names, polymer in RESIN_MARKS.values()})


def _row(name: str, metrics: Metrics) -> str:
    return (
        f"| {name} | {metrics.total} | {100 * metrics.coverage:.1f}% | {100 * metrics.selective_accuracy:.1f}% | "
        f"{metrics.suggested - metrics.correct} |"
    )


def measure(
    items: int = ITEMS, azimuths: Sequence[float] = AZIMUTHS, seed: int = SEED, fonts: Sequence[Path] = ()
) -> tuple[Metrics, Metrics, list[float], list[float]]:
    """(single ambient frame, with the lights, seconds of items the ambient frame answered, seconds of the others).

    ``fonts``: default the held-apart fonts (the reported figure); develop with ``font_paths(TUNING_FONTS)``."""
    suggester = Suggester(VisionConfig(), POLYMERS)
    fonts = fonts or font_paths(HELD_OUT_FONTS)
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    single: list[tuple[str, str | None]] = []
    lit_pairs: list[tuple[str, str | None]] = []
    answered_s: list[float] = []
    lights_s: list[float] = []
    for index in range(items):
        item = render_moulded(rng, np_rng, fonts, azimuths, digit=index % 7 + 1)
        frames = [LitFrame(frame, azimuth) for frame, azimuth in zip(item.lit, azimuths, strict=True)]
        asked: list[bool] = []

        def lit(frames: list[LitFrame] = frames, asked: list[bool] = asked) -> list[LitFrame]:
            asked.append(True)
            return frames

        started = time.perf_counter()
        answer = suggester.suggest(item.ambient, "plastic", lit)
        seconds = time.perf_counter() - started
        label = answer.label if isinstance(answer, Prediction) else None
        # The lights are asked only when the ambient frame gave no marking: that is the single frame's answer.
        single.append((item.polymer, None if asked else label))
        lit_pairs.append((item.polymer, label))
        (lights_s if asked else answered_s).append(seconds)
    return Metrics.from_pairs(single), Metrics.from_pairs(lit_pairs), answered_s, lights_s


def run(_folder: Path, items: int = ITEMS, azimuths: Sequence[float] = AZIMUTHS) -> list[str]:
    single, lit, answered_s, lights_s = measure(items, azimuths)
    ms = f"{percentile([s * 1000 for s in answered_s], 50):.0f} ms" if answered_s else "none"
    lights_ms = f"{percentile([s * 1000 for s in lights_s], 50):.0f} ms" if lights_s else "none"
    return [
        "## Vision: lighting (moulded triangles, single frame vs side lights)",
        "",
        f"{items} items rendered by `firmware_mocks.camera.render_moulded`: a recycling triangle 50-190 px across",
        "(digits 1-7 in turn) moulded into the plastic in its own colour, raised or sunk 0.5-2.2 px, turned any way",
        "round, on a gently bulging item (half of them glossy), seen in the room's weak diffuse light and under",
        f"{len(azimuths)} low-angle lights at {', '.join(f'{a:g}°' for a in azimuths)} (shading, cast shadows, "
        "glints; the item moves up to",
        "1.2 px between frames). Digits and abbreviations in the held-apart fonts (FreeFont, URW base35, Noto),",
        "never used to tune the reader or the renderer; rendered, not photographed, and without dirt, texture or",
        "curved surfaces, so an upper bound for real lights. Both rows come from the same items in the same run,",
        "through `Suggester.suggest`: the ambient frame first, as today, and only when it gives no marking the",
        "frames under the lights (the fused relief image and each lit frame; any disagreement abstains).",
        "",
        "| frames read | items | coverage | precision | wrong |",
        "|---|---|---|---|---|",
        _row("the single ambient frame (today)", single),
        _row(f"with {len(azimuths)} lights", lit),
        "",
        f"Time per item, same run: p50 {ms} for the {len(answered_s)} items the ambient frame answered (no more",
        f"than today: the lights' frames are not read), p50 {lights_ms} for the {len(lights_s)} items read under the",
        "lights (the fused relief and each lit frame, each read once more as a relief image when it reads nothing).",
        "",
    ]
