"""The shared layout check finds what it claims to find, so a page test that passes it means something."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.browser.layout import SCREENS, layout_problems


def _problems(browser: Browser, body: str) -> list[str]:
    page = browser.new_page(viewport=SCREENS["1024x600"])
    try:
        page.set_content(f"<html><body style='margin:0;font:16px sans-serif'>{body}</body></html>")
        return [p["kind"] for p in layout_problems(page)]
    finally:
        page.close()


def test_a_page_that_fits_has_no_problems(browser: Browser) -> None:
    assert _problems(browser, "<div style='width:300px'>Plastic <b>1053.4 kg/h</b></div>") == []


def test_text_wider_than_its_box_is_found(browser: Browser) -> None:
    body = "<div style='width:80px;white-space:nowrap;overflow:hidden'>Laatste weging om 14:03</div>"
    assert "overflow" in _problems(browser, body)


def test_text_cut_with_an_ellipsis_and_shown_in_its_title_is_allowed(browser: Browser) -> None:
    text = "Laatste weging om 14:03"
    body = (
        f"<div title='{text}' style='width:80px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis'>{text}</div>"
    )
    assert _problems(browser, body) == []


def test_screen_reader_only_text_is_not_a_box_anyone_sees(browser: Browser) -> None:
    hidden = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap"
    assert _problems(browser, f"<h2 style='{hidden}'>Meldingen bij de stations</h2>") == []


def test_a_number_broken_over_two_lines_is_found(browser: Browser) -> None:
    body = "<div style='width:60px;font-size:40px;overflow-wrap:anywhere'>1053.4</div>"
    assert "number broken" in _problems(browser, body)


def test_a_page_wider_than_the_screen_is_found(browser: Browser) -> None:
    assert "page wider than the screen" in _problems(browser, "<div style='width:1500px'>wide</div>")
