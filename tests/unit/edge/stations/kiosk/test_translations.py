"""The second-language texts: every shipped language names every shipped category, a site's folder corrects and
adds without code, and the chosen language is kept on the station's disk."""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path

import pytest

from edge.stations.kiosk.translations import (
    SHIPPED_ORDER,
    KioskLanguages,
    LanguageChoice,
    cycle_order,
    load_languages,
)

ROOT = Path(__file__).resolve().parents[5]
REQUIRED = {"en", "ar", "ti", "uk", "tr", "pl"}


def shipped_categories() -> set[tuple[str, str]]:
    """(stream, category) of every category the project ships: the hub's reference data and the demo stations."""
    reference = tomllib.loads((ROOT / "hub" / "reference" / "default.toml").read_text(encoding="utf-8"))
    found = {(c["stream"], c["category"]) for c in reference["categories"]}
    demo = tomllib.loads((ROOT / "sortcentre" / "demo" / "stations.toml").read_text(encoding="utf-8"))
    for stream, categories in demo["categories"].items():
        found |= {(stream, c["id"]) for c in categories}
    return found


def test_the_languages_the_issue_asks_for_are_shipped_and_arabic_reads_right_to_left() -> None:
    languages = load_languages()
    assert set(languages) >= REQUIRED
    assert set(SHIPPED_ORDER) == set(languages)
    assert languages["ar"].dir == "rtl"
    assert all(lang.dir == "ltr" for code, lang in languages.items() if code != "ar")
    assert languages["ti"].name == "ትግርኛ"


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_every_shipped_category_has_a_text_in_every_language(code: str) -> None:
    language = load_languages()[code]
    categories = shipped_categories()
    assert len(categories) >= 17
    missing = [f"{stream}/{category}" for stream, category in categories if not language.text_for(stream, category)]
    assert missing == []
    # The stream's own entry wins: shampoo bottles are not the plastic station's hard bottles.
    assert language.text_for("bottles", "hdpe") != language.text_for("plastic", "hdpe")
    assert language.text_for("plastic", "unsorted")


def test_scripts_are_the_languages_own() -> None:
    languages = load_languages()
    assert any("\u0600" <= ch <= "\u06ff" for ch in languages["ar"].categories["residual"])  # Arabic letters
    assert any("\u1200" <= ch <= "\u137f" for ch in languages["ti"].categories["residual"])  # Ethiopic
    assert any("\u0400" <= ch <= "\u04ff" for ch in languages["uk"].categories["residual"])  # Cyrillic


def test_a_site_folder_corrects_a_text_and_adds_a_language(tmp_path: Path) -> None:
    (tmp_path / "ar.toml").write_text('[categories]\nwipers = "قطع قماش للتنظيف"\n', encoding="utf-8")
    (tmp_path / "so.toml").write_text(
        'name = "Soomaali"\ndir = "ltr"\n[categories]\nresidual = "Qashin guud"\n', encoding="utf-8"
    )
    languages = load_languages(tmp_path)
    assert languages["ar"].categories["wipers"] == "قطع قماش للتنظيف"
    assert languages["ar"].categories["pp"] == "PP (بولي بروبيلين)"  # the rest of the shipped file stays
    assert languages["ar"].dir == "rtl"
    assert languages["so"].text_for("textile", "residual") == "Qashin guud"
    assert cycle_order(languages, None) == [*SHIPPED_ORDER, "so"]
    assert cycle_order(languages, ["so", "ar", "xx"]) == ["so", "ar"]


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        ("fa.toml", 'name = "فارسی"\n[categories]\npp = \n', "Invalid"),
        ("fa.toml", 'name = "فارسی"\ncolour = "red"\n', "Extra inputs are not permitted"),
        ("fa.toml", 'name = "فارسی"\n[categories]\n"../x" = "y"\n', "String should match pattern"),
        ("fa.toml", 'name = "فارسی"\n[categories]\npp = "' + "x" * 200 + '"\n', "at most 80 characters"),
        ("fa.toml", 'name = "فارسی"\n# ' + "x" * 70_000 + "\n", "more than the 65536"),
        ("Farsi.toml", 'name = "فارسی"\n', "must be a language code"),
        ("so.toml", '[categories]\nresidual = "Qashin guud"\n', "has no name"),
    ],
)
def test_a_bad_site_file_is_skipped_with_a_warning_that_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, text: str, why: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        languages = load_languages(tmp_path)
    assert "fa" not in languages
    assert "so" not in languages
    assert set(languages) == set(SHIPPED_ORDER)
    assert why in caplog.text


def test_the_choice_survives_a_restart_and_a_bad_file_means_dutch_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kept = tmp_path / "kiosk-language.json"
    choice = LanguageChoice(["ar", "ti"], kept)
    assert choice.code is None
    choice.choose("ti")
    assert LanguageChoice(["ar", "ti"], kept).code == "ti"
    with pytest.raises(KeyError):
        choice.choose("xx")
    assert LanguageChoice(["ar", "ti"], kept).code == "ti"
    assert [p.name for p in tmp_path.iterdir()] == ["kiosk-language.json"]  # no temporary file left behind

    assert LanguageChoice(["ar"], kept).code is None  # no longer offered
    kept.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert LanguageChoice(["ar", "ti"], kept).code is None
    assert "could not read the kiosk's chosen language" in caplog.text


def test_a_choice_that_cannot_be_saved_holds_until_restart(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    choice = LanguageChoice(["ar"], blocker / "kiosk-language.json")  # a folder that cannot be made
    with caplog.at_level(logging.WARNING):
        choice.choose("ar")
    assert choice.code == "ar"
    assert "lost at restart" in caplog.text


def test_a_missing_text_is_an_empty_line_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    languages = KioskLanguages()
    ar = languages.languages["ar"]
    with caplog.at_level(logging.WARNING):
        assert languages.second_line(ar, "plastic", "mystery", "Mystery") == ""
        assert languages.second_line(ar, "plastic", "mystery", "Mystery") == ""
    assert caplog.text.count("no ar text for category plastic/mystery") == 1
    # English falls back on the station's own English label.
    assert languages.second_line(languages.languages["en"], "plastic", "mystery", "Mystery") == "Mystery"


def test_the_chosen_file_is_json_with_one_key(tmp_path: Path) -> None:
    kept = tmp_path / "k.json"
    KioskLanguages(choice_file=kept).choice.choose("pl")
    assert json.loads(kept.read_text(encoding="utf-8")) == {"second_language": "pl"}
