"""Probe: plain RapidOCR() against MarkingOcr on the rendered evaluation set (speed and a text-quality proxy).

    .venv/bin/python -m bench.vision_ocr_probe --root tests/data/vision_eval --every 1
    .venv/bin/python -m bench.vision_ocr_probe --every 5 --skip-baseline --unclip 1.8 --box-thresh 0.5

Quality proxy (``key hit``): plastics: the marking's key text appears in what was read (``PE-HD`` of ``>PE-HD<``, the
abbreviation under a triangle, or its digit where the abbreviation is one letter); care labels: every percentage of the
composition (``65%``, ``35%``) and every composition line appear. Text is compared upper-cased with spaces removed.
If the marking parsers import (edge/vision/markings/plastics.py, fibres.py), OCR+parser coverage and precision are
reported too. Both engines read the same frames in the same run, interleaved, so machine load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.stats import percentile
from edge.vision.dataset import CaptureMeta, iter_samples
from edge.vision.ocr import MarkingOcr

Reader = Callable[[np.ndarray], list[str]]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def key_tokens(meta: CaptureMeta) -> list[str]:
    truth = meta.truth
    assert truth is not None
    lines = truth.text.splitlines()
    if meta.stream == "plastic":
        first = lines[0]
        if first.startswith(">"):
            return [first.strip("><")]
        digit, abbreviation = lines[0], lines[1]
        return [abbreviation if len(abbreviation) > 1 else digit]
    assert truth.composition is not None
    return [f"{f.percent}%" for part in truth.composition for f in part.fibres]


def composition_lines(meta: CaptureMeta) -> list[str]:
    """The truth lines that carry the composition (with a %), the ones a parser needs."""
    assert meta.truth is not None
    return [line for line in meta.truth.text.splitlines() if "%" in line]


def rapidocr_reader() -> Reader:
    from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]

    engine = RapidOCR()

    def read(frame: np.ndarray) -> list[str]:
        result, _ = engine(frame)
        return [str(r[1]) for r in result or []]

    return read


def marking_reader(ocr: MarkingOcr) -> Reader:
    def read(frame: np.ndarray) -> list[str]:
        return [line.text for line in ocr.read(frame)]

    return read


def _parsers() -> tuple[Callable[[Sequence[str]], Any], Callable[[Sequence[str]], Any]] | None:
    try:
        from edge.vision.markings.fibres import read_composition  # type: ignore[import-not-found,unused-ignore]
        from edge.vision.markings.plastics import read_polymer  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        print(f"parsers not available ({exc}); OCR-only figures")
        return None
    return read_polymer, read_composition


def _composition_equal(reading: Any, meta: CaptureMeta) -> bool:
    assert meta.truth is not None and meta.truth.composition is not None
    want = [(p.part, [(f.fibre, f.percent) for f in p.fibres]) for p in meta.truth.composition]
    got = [(p.part, [(f.fibre, f.percent) for f in p.fibres]) for p in reading.parts]
    return got == want


def _load(path: Path) -> np.ndarray:
    frame = cv2.imread(str(path))
    if frame is None:
        msg = f"cannot read {path}"
        raise FileNotFoundError(msg)
    return np.asarray(frame)


def main() -> None:  # noqa: PLR0912, PLR0915 -- a throw-away probe, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=Path("tests/data/vision_eval"))
    parser.add_argument("--every", type=int, default=1, help="use every n-th item (subset while tuning)")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--stream", default=None)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--det-side", type=int, default=640)
    parser.add_argument("--box-thresh", type=float, default=0.5)
    parser.add_argument("--det-thresh", type=float, default=0.3)
    parser.add_argument("--unclip", type=float, default=1.8)
    parser.add_argument("--flip-below", type=float, default=0.9)
    parser.add_argument("--clahe", action="store_true")
    parser.add_argument("--no-relief", action="store_true")
    parser.add_argument("--rec-min-width", type=int, default=160)
    parser.add_argument("--show-misses", type=int, default=15)
    parser.add_argument("--rotate180", action="store_true", help="turn every frame upside down (tests the flip path)")
    parser.add_argument("--dump", type=Path, default=None, help="write MarkingOcr's lines and parses as JSON lines")
    args = parser.parse_args()

    samples = list(iter_samples(args.root, args.stream))[args.offset :: args.every]
    ocr = MarkingOcr(
        threads=args.threads,
        det_max_side=args.det_side,
        box_thresh=args.box_thresh,
        det_thresh=args.det_thresh,
        unclip_ratio=args.unclip,
        flip_below=args.flip_below,
        clahe=args.clahe,
        rec_min_width=args.rec_min_width,
        relief_retry=not args.no_relief,
    )
    print("MarkingOcr settings:", ocr.describe())
    readers: dict[str, Reader] = {"marking": marking_reader(ocr)}
    if not args.skip_baseline:
        readers = {"rapidocr-default": rapidocr_reader(), **readers}
    parsers = _parsers()
    frames = [(s, _load(s.image)) for s in samples]
    if args.rotate180:
        frames = [(s, cv2.rotate(f, cv2.ROTATE_180)) for s, f in frames]
    for read in readers.values():  # warm-up: the first run allocates onnxruntime's buffers
        read(frames[0][1])

    times: dict[str, list[float]] = {name: [] for name in readers}
    hits: dict[tuple[str, str], Counter[str]] = {}
    misses: dict[str, list[str]] = {name: [] for name in readers}
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    for sample, frame in frames:
        meta = sample.meta
        for name, read in readers.items():
            start = time.perf_counter()
            lines = read(frame)
            times[name].append(time.perf_counter() - start)
            joined = _norm(" ".join(lines))
            tally = hits.setdefault((name, meta.stream), Counter())
            tally["items"] += 1
            key_hit = all(_norm(token) in joined for token in key_tokens(meta))
            tally["key hit"] += key_hit
            if meta.stream == "textile":
                tally["all lines"] += all(_norm(line) in joined for line in composition_lines(meta))
            if not key_hit and len(misses[name]) < args.show_misses:
                misses[name].append(f"{meta.capture_id}: truth {meta.truth.text!r} read {lines!r}")  # type: ignore[union-attr]
            parsed: str | None = None
            right = False
            if parsers is not None:
                if meta.stream == "plastic":
                    reading = parsers[0](lines)
                    if reading is not None:
                        parsed = reading.polymer
                        right = reading.polymer == meta.truth.polymer  # type: ignore[union-attr]
                else:
                    reading = parsers[1](lines)
                    if reading is not None:
                        parsed = repr([(p.part, [(f.fibre, f.percent) for f in p.fibres]) for p in reading.parts])
                        right = _composition_equal(reading, meta)
                tally["parsed"] += parsed is not None
                tally["parsed right"] += right
            if dump is not None and name == "marking":
                record = {"id": meta.capture_id, "truth": meta.truth.text, "read": lines, "key_hit": key_hit}  # type: ignore[union-attr]
                record |= {"parsed": parsed, "right": right}
                dump.write(json.dumps(record, ensure_ascii=False) + "\n")
    if dump is not None:
        dump.close()

    print(f"\n{len(frames)} frames from {args.root} (every {args.every}), threads {args.threads}")
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        print(f"{name:18s} p50 {percentile(ms, 50):6.1f} ms  p99 {percentile(ms, 99):6.1f} ms  max {max(ms):6.1f} ms")
    for (name, stream), tally in sorted(hits.items()):
        n = tally["items"]
        line = f"{name:18s} {stream:8s} n={n:3d}  key hit {100 * tally['key hit'] / n:5.1f}%"
        if stream == "textile":
            line += f"  all composition lines {100 * tally['all lines'] / n:5.1f}%"
        if parsers is not None:
            n_parsed = tally["parsed"]
            precision = 100 * tally["parsed right"] / n_parsed if n_parsed else 0.0
            line += f"  parser coverage {100 * n_parsed / n:5.1f}% precision {precision:5.1f}%"
        print(line)
    for name, lines in misses.items():
        print(f"\nfirst key misses of {name}:")
        for line in lines:
            print("  ", line)


if __name__ == "__main__":
    main()
