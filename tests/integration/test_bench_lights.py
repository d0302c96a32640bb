"""bench/lights.py at a tiny size: it runs to the end through the real reader and writes its section with both rows
(no figures are checked: they belong in `make bench`)."""

from __future__ import annotations

from pathlib import Path

from bench import lights


def test_lights_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    lines = lights.run(tmp_path, items=2, azimuths=(45.0, 135.0))
    assert [line for line in lines if line.startswith("## ")] == [
        "## Vision: lighting (moulded triangles, single frame vs side lights)"
    ]
    assert any(line.startswith("| the single ambient frame (today) | 2 |") for line in lines)
    assert any(line.startswith("| with 2 lights | 2 |") for line in lines)
