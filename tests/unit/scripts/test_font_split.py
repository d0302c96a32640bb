"""The tuning and the held-apart font sets never meet, and the committed set's renderer tunes only."""

from __future__ import annotations

from scripts import render_vision_evalset
from scripts.font_split import HELD_OUT_FONTS, TUNING_FONTS, font_paths


def names(fonts: dict[str, tuple[str, ...]]) -> set[str]:
    return {name for files in fonts.values() for name in files}


def test_the_two_sets_share_no_font_file_nor_folder() -> None:
    assert not names(TUNING_FONTS) & names(HELD_OUT_FONTS)
    assert not set(TUNING_FONTS) & set(HELD_OUT_FONTS)


def test_every_font_is_installed() -> None:
    assert len(font_paths(TUNING_FONTS)) == len(names(TUNING_FONTS))
    assert len(font_paths(HELD_OUT_FONTS)) == len(names(HELD_OUT_FONTS))


def test_the_committed_set_is_drawn_in_tuning_fonts_only() -> None:
    assert set(render_vision_evalset.FONT_FILES) <= names(TUNING_FONTS)
