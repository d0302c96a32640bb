"""The tuning care labels: drawn in the tuning fonts only, every part of the truth adds up to 100, one seed one set."""

from __future__ import annotations

import random

import numpy as np

from scripts import render_label_tuning
from scripts.font_split import HELD_OUT_FONTS, TUNING_FONTS, font_paths


def test_drawn_in_tuning_fonts_only() -> None:
    fonts = set(render_label_tuning.FONTS)
    assert fonts <= set(font_paths(TUNING_FONTS))
    assert not fonts & set(font_paths(HELD_OUT_FONTS))


def test_every_part_adds_up_and_the_text_names_it() -> None:
    for i in range(40):
        rng = random.Random(i)
        parts = render_label_tuning.composition(rng)
        lines, style = render_label_tuning.label_lines(rng, parts)
        assert parts[0].part == "main"
        assert all(sum(f.percent for f in part.fibres) == 100 for part in parts)
        assert style["parts"] == str(len(parts))
        text = "\n".join(lines)
        assert all(f"{f.percent}%" in text for part in parts for f in part.fibres)


def test_one_seed_draws_one_frame() -> None:
    frames = []
    for _ in range(2):
        frame, lines, parts, style = render_label_tuning.render_label(random.Random(3), np.random.default_rng([1, 3]))
        frames.append(frame)
        assert frame.shape == (render_label_tuning.HEIGHT, render_label_tuning.WIDTH, 3)
        assert lines and parts and style["material"] in ("satin", "woven", "pale")
    assert np.array_equal(frames[0], frames[1])


def test_faint_labels_are_all_pale_and_fainter_than_pale_ones() -> None:
    # --faint: every label pale, its print keeping a smaller share of its contrast than a pale label's.
    for i in range(12):
        _, _, _, style = render_label_tuning.render_label(random.Random(i), np.random.default_rng([7, i]), faint=True)
        assert style["material"] == "pale"
        assert style["faint"] == "yes"
    _, _, _, style = render_label_tuning.render_label(random.Random(3), np.random.default_rng([1, 3]))
    assert "faint" not in style
    assert render_label_tuning.FAINT_CONTRAST[1] < render_label_tuning.PALE_CONTRAST[0]
