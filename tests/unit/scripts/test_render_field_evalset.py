"""The held-apart test set's renderer: valid frames and sidecars of every marking style, the same set for the same
seed, and nothing borrowed from what the reader is tuned with (no tuning renderer imported, held-out fonts only)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from PIL import ImageFont

from edge.vision.dataset import iter_samples
from edge.vision.markings.fibres import FIBRE_NAMES
from scripts import render_field_evalset
from scripts.font_split import HELD_OUT_FONTS, TUNING_FONTS, font_paths
from scripts.render_field_evalset import HELD_OUT_STYLES, parse_style, render

MODULE = Path(render_field_evalset.__file__)
# What the reader is tuned or trained with, and the reader itself: the test set may use none of it.
FORBIDDEN = ("scripts.render_vision_evalset", "firmware_mocks", "edge.vision.ocr", "edge.vision.resin_triangle")
FORBIDDEN_PREFIXES = ("edge.vision.markings",)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("field")
    assert render(root, seed=3, plastic=16, textile=6) == 22
    return root


def test_frames_and_sidecars_are_valid(small_set: Path) -> None:
    samples = list(iter_samples(small_set))
    assert len(samples) == 22
    for sample in samples:
        frame = cv2.imread(str(sample.image), cv2.IMREAD_COLOR)
        assert frame is not None and frame.shape == (480, 640, 3)
        assert frame.std() > 3  # not blank
        truth = sample.meta.truth
        assert truth is not None and truth.style
        assert sample.image.parent == small_set / sample.meta.stream / sample.meta.label
        if sample.meta.stream == "plastic":
            assert truth.polymer == sample.meta.label and truth.composition is None
        else:
            assert sample.meta.stream == "textile" and truth.composition is not None and truth.polymer is None
            assert truth.composition[0].part == "main"
            for part in truth.composition:
                assert sum(f.percent for f in part.fibres) == 100
                assert all(f.fibre in FIBRE_NAMES for f in part.fibres)


def test_a_small_set_holds_every_marking_style(small_set: Path) -> None:
    styles = [parse_style(s.meta.truth.style if s.meta.truth else None) for s in iter_samples(small_set)]
    triangles = [s for s in styles if s["kind"] == "triangle"]
    assert {s["relief"] for s in triangles} == {"embossed", "debossed", "printed"}
    assert {s["drawing"] for s in triangles} == {"arrows", "plain", "rounded"}
    assert {s["stroke"] for s in triangles} == {"thick", "thin"}
    assert {s["abbreviation"] for s in triangles} == {"present", "missing"}
    assert all(40 <= int(s["size"]) <= 200 for s in triangles)
    assert len(triangles) > sum(s["kind"] == "iso" for s in styles)  # triangles are most of the plastics
    assert {s["kind"] for s in styles} == {"triangle", "iso", "care"}
    assert {s["material"] for s in styles if s["kind"] == "care"} == {"satin", "woven", "faded"}
    assert {s["relief"] for s in triangles} | {s["drawing"] for s in triangles} >= HELD_OUT_STYLES


def test_the_same_seed_renders_the_same_set(small_set: Path, tmp_path: Path) -> None:
    render(tmp_path / "again", seed=3, plastic=16, textile=6)
    render(tmp_path / "other", seed=4, plastic=16, textile=6)
    files = sorted(p.relative_to(small_set) for p in small_set.rglob("*.*"))
    assert files == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*.*"))
    for name in files:
        assert (small_set / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    first = next(p for p in files if p.suffix == ".jpg")
    other = tmp_path / "other" / first
    assert not other.exists() or other.read_bytes() != (small_set / first).read_bytes()


def test_it_imports_nothing_from_the_tuning_renderers_nor_the_reader() -> None:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(MODULE.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert imported & {"scripts.font_split", "edge.vision.dataset"}
    assert not [m for m in imported if m.startswith(FORBIDDEN + FORBIDDEN_PREFIXES)]

    # And nothing drags them in indirectly: load the module alone and list what came with it.
    code = f"import json, sys; sys.path.insert(0, {str(MODULE.parent.parent)!r}); "
    code += "import scripts.render_field_evalset; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True).stdout)
    assert not [m for m in loaded if m.startswith(FORBIDDEN + FORBIDDEN_PREFIXES)]


def test_it_draws_in_held_out_fonts_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used: set[Path] = set()
    truetype = ImageFont.truetype

    def spy(font: str, *args: object, **kwargs: object) -> ImageFont.FreeTypeFont:
        used.add(Path(font))
        return truetype(font, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageFont, "truetype", spy)
    render_field_evalset._font.cache_clear()
    try:
        render(tmp_path, seed=5, plastic=12, textile=4)
    finally:
        render_field_evalset._font.cache_clear()
    assert used and used <= set(font_paths(HELD_OUT_FONTS))
    assert not used & set(font_paths(TUNING_FONTS))
    assert set(render_field_evalset.FONTS) == set(font_paths(HELD_OUT_FONTS))


def test_style_words_round_trip() -> None:
    style = {"kind": "triangle", "relief": "debossed", "size": "120"}
    assert parse_style(render_field_evalset.format_style(style)) == style
    assert parse_style(None) == {}
