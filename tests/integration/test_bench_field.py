"""bench/field.py at a tiny size: it renders the held-apart set, reads it with the real reader and writes its table
with a row per marking style (no figures are checked: they are reported, never tuned on)."""

from __future__ import annotations

from pathlib import Path

from bench import field


def test_field_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    lines = field.run(tmp_path, plastic=12, textile=3)
    assert [line for line in lines if line.startswith("## ")] == [
        "## Vision: held-apart test set (what the field will see)"
    ]
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ") and "---" not in line}
    assert rows["**plastic markings, all**"].startswith("| **plastic markings, all** | 12 | ")
    assert rows["**care labels, exact composition**"].startswith("| **care labels, exact composition** | 3 | ")
    for name in (
        "**recycling triangles, all**",
        "ISO 11469 codes",
        "triangles embossed",
        "triangles debossed (test-only style)",
        "triangles printed",
        "triangles drawn as three arrows with heads",
        "triangles plain",
        "triangles rounded (test-only style) corners",
        "triangles thick stroke",
        "triangles thin stroke",
        "triangles with the abbreviation",
        "triangles without it (digit only)",
    ):
        assert name in rows, name
        assert rows[name].count("%") >= 1
