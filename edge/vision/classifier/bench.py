"""Speed and memory of a classifier (or backbone) file on this machine: ms per frame and the process's RSS.

    python -m edge.vision.classifier.bench MODEL [--frames 200] [--threads 2]

Each frame is a 640x480 BGR image, so the times include preprocessing (resize, crop, scaling) as the station pays
it; batch 1, after 10 warm-up frames. RSS is read from /proc (Linux), before and after the model is loaded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from edge.vision.classifier.backbone import IMAGE
from edge.vision.classifier.preprocess import preprocess_batch
from edge.vision.model_files import load_model

_WARM_UP = 10


def rss_mb() -> float:
    """Resident set size of this process in MB (0 where /proc is absent)."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    for line in status.read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench(model: Path, frames: int, threads: int) -> dict[str, float]:
    before = rss_mb()
    session, card = load_model(model, threads=threads)
    loaded = rss_mb()
    output = session.get_outputs()[0].name
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(8)]
    times = []
    for i in range(frames + _WARM_UP):
        started = time.perf_counter()
        session.run([output], {IMAGE: preprocess_batch([images[i % len(images)]], card.preprocessing)})
        if i >= _WARM_UP:
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
        "fastest_ms": times[0],  # on a shared machine, the best guide to what the chip can do
        "rss_before_mb": before,
        "rss_loaded_mb": loaded,
        "rss_after_run_mb": rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    for key, value in bench(args.model, args.frames, args.threads).items():
        sys.stdout.write(f"{key:18} {value:.1f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
