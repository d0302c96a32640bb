"""The printable report pages in Debian's Chromium: each fits the width of its A4 page when printed, prints to
PDF on A4 in the right orientation, and loads nothing. The screenshots and PDFs are left in test-artifacts/
for a person to look at (reports-<kind>.png on screen, -print.png in print layout, .pdf)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from hub.reference import load_reference
from hub.reports.build import build
from hub.reports.meta import Meta, describe_scope, month_status
from hub.reports.render import to_html
from hub.reports.table import ReportKind
from hub.reports.volumes import MonthVolumes, Volume
from tests.browser.layout import SCREENS, assert_layout_holds

REFERENCE = load_reference()
MM = 96 / 25.4  # CSS pixels per millimetre
# The printable width inside the page margins of hub/reports/render.py (10 mm left and right).
PRINTABLE_MM = {True: 297 - 20, False: 210 - 20}
A4_POINTS = (595, 842)


def network_month(scale: int) -> tuple[Volume, ...]:
    """A month of the ROVA network: every municipality's site, most categories, weights to the gram."""
    found = []
    for n, municipality in enumerate(REFERENCE.municipalities):
        for m, category in enumerate(REFERENCE.categories):
            if (n + m) % 3 == 0 and category.stream not in ("textile", "plastic"):
                continue
            grams = (n + 1) * (m + 7) * 12_345 * scale + 17 * m + n
            found.append(Volume(municipality.sites[0], category.stream, category.category, grams, grams // 450))
    found.append(Volume("kampen", "textile", "creme", 1_234_567, 2_000))  # a site outside the five
    found.append(Volume("ommen", "textile", "shoes", 98_765, 120))  # a category the reference lacks
    return tuple(found)


MONTHS = [
    # October is closed, and 1.8 kg arrived after closing; November is open.
    MonthVolumes(date(2026, 10, 1), date(2026, 10, 31), network_month(3), True, 1_800, 4),
    MonthVolumes(date(2026, 11, 1), date(2026, 11, 30), network_month(2)),
]


@pytest.mark.parametrize("kind", list(ReportKind))
def test_report_page_prints_on_a4(browser: Browser, artifacts: Path, kind: ReportKind) -> None:
    report = build(kind, MONTHS, REFERENCE)
    meta = Meta(
        first=date(2026, 10, 1),
        last=date(2026, 11, 30),
        scope=describe_scope(REFERENCE.sites | {"kampen"}, REFERENCE),
        reference_version=REFERENCE.version,
        generated="2026-12-01 09:00 CET",
        months=month_status(MONTHS),
    )
    html = to_html(report, meta)
    printable = round(PRINTABLE_MM[report.landscape] * MM)
    context = browser.new_context(viewport={"width": printable, "height": 800})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        page.set_content(html)
        page.emulate_media(media="print")
        # Nothing is wider than the paper: a table that overflows would be cut off on the printout.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{kind}: the printed page is {overflow} px too wide"
        assert page.locator("thead th").count() >= 2 and page.locator("tr.total").count() == 1
        # The print layout at the paper's width (what the PDF pages hold, without the page breaks).
        page.screenshot(path=str(artifacts / f"reports-{kind.value}-print.png"), full_page=True)
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (artifacts / f"reports-{kind.value}.pdf").write_bytes(pdf)
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1240, "height": 900})
        page.screenshot(path=str(artifacts / f"reports-{kind.value}.png"), full_page=True)
    finally:
        context.close()
    assert requests == [] and errors == []
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box is not None
    size = (round(float(box[1])), round(float(box[2])))
    assert size == (A4_POINTS[::-1] if report.landscape else A4_POINTS), size
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1


@pytest.mark.parametrize("screen", ["1920x1080", "1366x768"])
@pytest.mark.parametrize("kind", list(ReportKind))
def test_report_page_on_screen_keeps_texts_and_numbers_whole(browser: Browser, kind: ReportKind, screen: str) -> None:
    """On a desktop screen, as an analyst opens it: no name overflows its cell and no kg figure breaks."""
    meta = Meta(
        first=date(2026, 10, 1),
        last=date(2026, 11, 30),
        scope=describe_scope(REFERENCE.sites | {"kampen"}, REFERENCE),
        reference_version=REFERENCE.version,
        generated="2026-12-01 09:00 CET",
        months=month_status(MONTHS),
    )
    context = browser.new_context(viewport=SCREENS[screen])
    page = context.new_page()
    try:
        page.set_content(to_html(build(kind, MONTHS, REFERENCE), meta))
        assert_layout_holds(page, f"reports-{kind.value}-{screen}-nl")
    finally:
        context.close()
