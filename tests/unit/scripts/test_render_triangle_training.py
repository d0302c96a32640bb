"""The triangle reader's tuning renderer: tuning fonts only, never the held-out styles, and the variety it promises."""

from __future__ import annotations

import random

import numpy as np

from edge.vision.markings.plastics import read_polymer
from scripts import render_triangle_training as renderer
from scripts.font_split import HELD_OUT_FONTS, TUNING_FONTS, font_paths


def test_draws_with_the_tuning_fonts_only() -> None:
    tuning = {str(p) for p in font_paths(TUNING_FONTS)}
    held_out = {str(p) for p in font_paths(HELD_OUT_FONTS)}

    assert set(renderer._FONTS) <= tuning
    assert not set(renderer._FONTS) & held_out


def test_thick_and_thin_strokes_arrows_and_plain_raised_and_printed_never_the_held_out_styles() -> None:
    rng, np_rng = random.Random(1), np.random.default_rng(1)
    styles = set()
    for _ in range(30):
        item = renderer.render_frame(rng, np_rng)
        styles.update(item.style.split("-"))
        assert item.frame.shape == (renderer.HEIGHT, renderer.WIDTH, 3)
        assert 40 <= item.side <= 200
        if item.distractor_box is not None:
            assert item.distractor_box.shape == (4, 2)

    assert {"arrows", "plain", "thick", "thin", "raised", "printed"} <= styles
    assert not styles & {"rounded", "debossed", "sunk"}


def test_varied_digits_keep_their_height_and_differ_from_the_fonts_as_they_are() -> None:
    rng = random.Random(7)
    glyphs = [renderer.varied_digit(rng, 4, 40) for _ in range(20)]

    assert all(g.shape[0] == 40 and g.max() > 200 for g in glyphs)
    widths = {g.shape[1] for g in glyphs}
    assert len(widths) > 5  # slanted, condensed, widened, Hershey faces: not one shape


def test_variety_changes_the_digit_and_nothing_when_off() -> None:
    def frame(seed: int, variety: bool) -> renderer.TriangleFrame:
        return renderer.render_frame(random.Random(seed), np.random.default_rng(seed), digit=2, variety=variety)

    plain, again, varied = frame(3, False), frame(3, False), frame(3, True)

    np.testing.assert_array_equal(plain.frame, again.frame)  # the frames a seed has always given
    assert not np.array_equal(plain.frame, varied.frame)
    # The varied digit still sits inside its triangle.
    middle = varied.digit_box.mean(axis=0)
    assert np.hypot(*(middle - np.array(varied.centre))) < 0.3 * varied.side


def test_matte_grains_the_surface_under_the_same_triangle() -> None:
    def frame(matte: bool) -> renderer.TriangleFrame:
        return renderer.render_frame(random.Random(5), np.random.default_rng(5), digit=6, matte=matte)

    smooth, grained = frame(False), frame(True)

    # The same triangle where it was (the grain draws after the geometry; what is drawn after it differs) ...
    assert (smooth.digit, smooth.centre, smooth.side) == (grained.digit, grained.centre, grained.side)

    # ... on another surface: grain of 2-6 grey levels, blurred (neighbouring pixels alike), over the whole frame.
    assert not np.array_equal(smooth.frame, grained.frame)
    for seed in range(5):
        grain = renderer._matte(random.Random(seed), np.random.default_rng(seed))
        assert grain.shape == (renderer.HEIGHT, renderer.WIDTH)
        assert 2 - 1e-3 <= float(grain.std()) <= 6 + 1e-3
        assert np.corrcoef(grain[:, :-1].ravel(), grain[:, 1:].ravel())[0, 1] > 0.5


def test_sevens_puts_a_category_seven_polymer_under_half_the_sevens_and_leaves_other_digits_alone() -> None:
    def frame(seed: int, digit: int, sevens: bool) -> renderer.TriangleFrame:
        return renderer.render_frame(random.Random(seed), np.random.default_rng(seed), digit=digit, sevens=sevens)

    sevens = [frame(seed, 7, True) for seed in range(40)]
    named = [item for item in sevens if item.polymer != "other"]
    # Each polymer of category 7 written under its 7, and the item is that polymer ...
    assert {(item.abbreviation, item.polymer) for item in named} <= set(renderer.SEVEN_POLYMERS)
    assert 10 <= len(named) <= 30
    # ... the others as before: OTHER, O or nothing, and "other".
    assert all(item.abbreviation in (None, "OTHER", "O") for item in sevens if item.polymer == "other")
    # Off, or on another digit, the frames a seed has always given.
    for seed in range(3):
        np.testing.assert_array_equal(frame(seed, 4, True).frame, frame(seed, 4, False).frame)


def test_code_frames_hold_a_code_the_parser_names_raised_or_printed() -> None:
    for code, polymer in renderer.ISO_CODES:
        reading = read_polymer([code])
        assert reading is not None and reading.polymer == polymer
    rng, np_rng = random.Random(2), np.random.default_rng(2)
    items = [renderer.render_code_frame(rng, np_rng, matte=True) for _ in range(24)]
    assert {item.style for item in items} == {"code-raised", "code-printed"}
    for item in items:
        assert item.frame.shape == (renderer.HEIGHT, renderer.WIDTH, 3)
        assert 16 <= item.height <= 64
        assert (item.code, item.polymer) in renderer.ISO_CODES
        assert item.frame.std() > 1  # something is drawn on the plastic
