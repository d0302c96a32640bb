"""CSV for programs and for Dutch Excel, and the printable page: exact numbers, escaping, no outside assets."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from html import escape
from html.parser import HTMLParser
from typing import Any

import pytest

from hub.reference import ReferenceData, load_reference
from hub.reports.bkn import bkn
from hub.reports.build import build
from hub.reports.csv_writer import BOM
from hub.reports.meta import Meta, MonthStatus, describe_scope
from hub.reports.render import NARROW_NBSP, Format, filename, kg, kg_printed, percent, to_csv, to_html
from hub.reports.table import ReportKind
from hub.reports.volumes import MonthVolumes, Volume

NOVEMBER = MonthStatus(date(2026, 11, 1), date(2026, 11, 30), closed=False, adjustment_grams=0, adjustment_items=0)


def changed(reference: ReferenceData, **update: Any) -> ReferenceData:
    """A validated copy (model_copy(update=) would keep the original's cached lookups)."""
    return ReferenceData.model_validate(reference.model_dump() | update)


def named(reference: ReferenceData, name_nl: str) -> dict[str, Any]:
    """textile/creme under another Dutch name."""
    return reference.categories[0].model_dump() | {"name_nl": name_nl}


def meta(reference: ReferenceData, *months: MonthStatus, scope: frozenset[str] | None = None) -> Meta:
    return Meta(
        first=date(2026, 11, 1),
        last=date(2026, 11, 30),
        scope=describe_scope(scope, reference),
        reference_version=reference.version,
        generated="2026-12-01 09:00 CET",
        months=months or (NOVEMBER,),
    )


def test_kg_is_exact_integer_arithmetic() -> None:
    assert kg(1234567) == "1234.567"
    assert kg(1234567, ",") == "1234,567"
    assert kg(1234567, ",", NARROW_NBSP) == f"1{NARROW_NBSP}234,567"
    assert kg(5) == "0.005" and kg(0) == "0.000" and kg(-125) == "-0.125" and kg(-1000) == "-1.000"
    assert kg(2**60 + 1) == "1152921504606846.977"  # no float anywhere


def test_percent_rounds_half_up_and_needs_a_whole() -> None:
    assert percent(1, 3, 1) == "33.3" and percent(2, 3, 1, ",") == "66,7"
    assert percent(1, 16, 1) == "6.3"  # 6.25: half up, not to even
    assert percent(1, 8, 2) == "12.50"
    assert percent(0, 0, 1) == "" and percent(5, -10, 1) == ""


def test_csv_is_comma_and_decimal_point(reference: ReferenceData, rows: list[Volume]) -> None:
    body = to_csv(bkn(rows, reference), Format.CSV).decode("utf-8")
    assert not body.startswith(BOM) and body.endswith("\r\n")
    table = list(csv.DictReader(io.StringIO(body)))
    overall = next(r for r in table if r["row_type"] == "total")
    assert overall["intake_kg"] == "1243.572" and overall["items"] == "20"
    assert overall["reused_kg"] == "3.500" and overall["reused_pct"] == "0.28"
    assert overall["exported_kg"] == "2.500"
    pp = next(r for r in table if r["category"] == "pp")
    assert pp["site"] == "ommen" and pp["municipality"] == "Ommen" and pp["intake_kg"] == "1234.567"
    assert {r["row_type"] for r in table} == {"data", "subtotal", "total"}


def test_csv_nl_is_semicolon_decimal_comma_and_bom(reference: ReferenceData, rows: list[Volume]) -> None:
    raw = to_csv(bkn(rows, reference), Format.CSV_NL)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel then reads the file as UTF-8
    body = raw.decode("utf-8").removeprefix(BOM)
    assert body.splitlines()[0].startswith("row_type;site;municipality;stream;category;")
    assert ";1234,567;" in body  # decimal comma, no thousands separator
    assert "1.234" not in body and "1234.567" not in body
    table = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    overall = next(r for r in table if r["row_type"] == "total")
    assert overall["intake_kg"] == "1243,572" and overall["reused_pct"] == "0,28"


def test_csv_nl_quotes_a_name_with_a_semicolon_and_defuses_formulas(reference: ReferenceData) -> None:
    hostile = changed(reference, categories=[named(reference, '=HYPERLINK("http://x";"klik")')])
    body = to_csv(bkn([Volume("dalfsen", "textile", "creme", 1, 1)], hostile), Format.CSV_NL).decode()
    line = next(r for r in csv.reader(io.StringIO(body.removeprefix(BOM)), delimiter=";") if r[0] == "data")
    assert line[5] == '\'=HYPERLINK("http://x";"klik")'  # one cell, and text to a spreadsheet


def test_co2e_csv_writes_the_factor_as_given_and_no_factor_empty(reference: ReferenceData) -> None:
    months = [
        MonthVolumes(
            date(2026, 11, 1),
            date(2026, 11, 30),
            (Volume("ommen", "plastic", "pp", 4500, 1), Volume("ommen", "plastic", "mixed", 200, 1)),
        )
    ]
    body = to_csv(build(ReportKind.CO2E, months, reference), Format.CSV_NL).decode().removeprefix(BOM)
    table = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    pp, mixed = (r for r in table if r["row_type"] == "data")
    assert (pp["factor"], pp["source"], pp["co2e_kg"]) == ("0,333", "R8 source", "1,499")
    assert (mixed["factor"], mixed["source"], mixed["co2e_kg"]) == ("", "geen factor / no factor", "0,000")
    assert (pp["period_from"], pp["period_to"], pp["month"]) == ("2026-11-01", "2026-11-30", "2026-11")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _value in attrs)


def test_html_escapes_hostile_names_and_loads_nothing(reference: ReferenceData) -> None:
    script = "<script>alert(1)</script>"
    hostile = changed(
        reference,
        version='v1"><img src=x onerror=alert(2)>',
        categories=[named(reference, f"</td>{script}")],
        factors={"textile": {"kg_co2e_per_kg": 1.5, "source": "</style>" + script}},
    )
    months = [
        MonthVolumes(
            date(2026, 11, 1),
            date(2026, 11, 30),
            (Volume("dalfsen", "textile", "creme", 1000, 1), Volume("x", "textile", script, 5, 1)),
        )
    ]
    for kind in ReportKind:
        page = to_html(build(kind, months, hostile), meta(hostile))
        found = Tags()
        found.feed(page)
        # Only the page's own markup: no script, image, link or frame, and nothing that loads a URL.
        assert found.tags <= {
            "html",
            "head",
            "meta",
            "title",
            "style",
            "body",
            "header",
            "h1",
            "span",
            "dl",
            "dt",
            "dd",
            "br",
            "p",
            "main",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "footer",
            "h2",
            "ol",
            "li",
        }
        assert found.attributes <= {"lang", "charset", "name", "content", "class", "scope", "colspan"}
        assert page.count("</style>") == 1 and "@import" not in page and "url(" not in page
        assert "v1&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
        if kind in (ReportKind.BKN, ReportKind.CO2E):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_page_says_period_scope_version_and_status(reference: ReferenceData, rows: list[Volume]) -> None:
    closed = MonthStatus(date(2026, 10, 1), date(2026, 10, 31), closed=True, adjustment_grams=1800, adjustment_items=4)
    page = to_html(bkn(rows, reference), meta(reference, closed, NOVEMBER, scope=frozenset({"dalfsen", "nieuwleusen"})))
    assert '<html lang="nl">' in page and "@page { size: A4 landscape" in page
    assert "1 november 2026 t/m 30 november 2026" in page and "1 November 2026 to 30 November 2026" in page
    assert "Dalfsen: Dalfsen, Nieuwleusen" in page
    assert "versie test-1" in page and "2026-12-01 09:00 CET" in page
    assert "Open: november 2026" in page
    assert "oktober 2026; na sluiting nog 1,8 kg (4 stuks)" in page
    assert "R3 (hergebruik), R4 (reparatie) en R5 (opknappen)" in page and "R7 (repurpose)" in page
    assert f"1{NARROW_NBSP}234,6" in page and "234,567" not in page  # the pp line, on paper: one decimal
    assert "Totaal / total" in page and '<tr class="total">' in page
    assert 'class="pct">0,3' in page  # 3500 of 1243572 g reused: 0.28 %


def test_html_for_all_sites_and_an_empty_period(reference: ReferenceData) -> None:
    months = [MonthVolumes(date(2026, 11, 1), date(2026, 11, 30), ())]
    page = to_html(build(ReportKind.CBS, months, reference), meta(reference))
    assert "Alle gemeenten en locaties" in page and "@page { size: A4 portrait" in page
    assert "Geen gegevens in deze periode." in page


def test_filenames_carry_period_and_reference_version(reference: ReferenceData, rows: list[Volume]) -> None:
    report = bkn(rows, reference)
    assert filename(report, meta(reference), Format.CSV_NL) == "sortcentre-bkn-2026-11-01-2026-11-30-ref-test-1-nl.csv"
    odd = changed(reference, version='a"b/c')
    assert filename(report, meta(odd), Format.HTML) == "sortcentre-bkn-2026-11-01-2026-11-30-ref-a_b_c.html"


@pytest.mark.parametrize("name", [" =1+1", "\n=1+1", "＝1+1", "\u3000@SUM(A1)"])
@pytest.mark.parametrize("output", [Format.CSV, Format.CSV_NL])
def test_hidden_formulas_are_text_in_both_csvs(reference: ReferenceData, name: str, output: Format) -> None:
    """Before: only a cell starting with = + - @ tab or CR was quoted; a leading space, LF or ＝ went through."""
    hostile = changed(reference, categories=[named(reference, name)])
    body = to_csv(bkn([Volume("dalfsen", "textile", "creme", 1, 1)], hostile), output).decode().removeprefix(BOM)
    delimiter = ";" if output is Format.CSV_NL else ","
    line = next(r for r in csv.reader(io.StringIO(body), delimiter=delimiter) if r[0] == "data")
    assert line[5] == "'" + name


def test_kg_on_paper_has_one_decimal_and_a_narrow_space() -> None:
    assert kg_printed(1234567) == f"1{NARROW_NBSP}234,6"
    assert kg_printed(1234549) == f"1{NARROW_NBSP}234,5" and kg_printed(1234550) == f"1{NARROW_NBSP}234,6"
    assert kg_printed(49) == "0,0" and kg_printed(-125) == "-0,1" and kg_printed(-49) == "0,0"
    assert kg_printed(999_950) == f"1{NARROW_NBSP}000,0"


def test_the_page_shows_names_not_slugs_and_the_sources_as_footnotes_in_both_languages() -> None:
    reference = load_reference()
    volumes = (
        Volume("dalfsen", "plastic", "pp", 1_234_567, 10),
        Volume("dalfsen", "textile", "creme", 2500, 3),
        Volume("ommen", "plastic", "pet", 700, 1),
        Volume("nieuwleusen", "plastic", "pp", 300, 1),  # a site the reference data does not name
    )
    months = [MonthVolumes(date(2026, 11, 1), date(2026, 11, 30), volumes)]
    text = {}
    for kind in (ReportKind.BKN, ReportKind.CO2E):
        page = to_html(build(kind, months, reference), meta(reference, scope=frozenset({"dalfsen", "ommen"})))
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page)
        assert not {"pp", "pet", "plastic", "textile", "creme", "nl"} & set(cells), cells  # no slug has a cell
        assert "location dalfsen" not in page and "locatie / location" not in page.lower()
        assert 'Kunststof <span class="en" lang="en">Plastic</span>' in page
        assert 'PP (polypropeen) <span class="en" lang="en">PP (polypropylene)</span>' in page
        assert re.search(f"1{NARROW_NBSP}234,[0-9]<", page) and not re.search("234[.,][0-9]{2}", page)
        text[kind] = page
    assert "<th" in text[ReportKind.BKN] and ">Dalfsen<" in text[ReportKind.BKN]
    assert "Nieuwleusen (geen gemeente / no municipality)" in text[ReportKind.BKN]
    co2e = text[ReportKind.CO2E]
    pp = reference.factor("plastic", "pp")
    assert pp is not None and pp.source_nl and pp.source_nl != pp.source
    assert "<td>[1]</td>" in co2e and '<ol class="sources">' in co2e
    # Every source once, in Dutch with the English below it, and no citation squeezed into the table.
    assert co2e.count(escape(pp.source_nl)) == 1 and co2e.count(escape(pp.source)) == 1
    assert co2e.index('<ol class="sources">') < co2e.index(escape(pp.source_nl))
    assert all(len(cell) < 80 for cell in re.findall(r"<td[^>]*>(.*?)</td>", co2e)), "a long text in a cell"
    # The CSV keeps the slugs a program joins on, and both source texts.
    table = list(csv.DictReader(io.StringIO(to_csv(build(ReportKind.CO2E, months, reference), Format.CSV).decode())))
    first = next(line for line in table if line["category"] == "pp")
    assert first["stream"] == "plastic" and first["source"] == pp.source and first["source_nl"] == pp.source_nl
    assert "source_note" not in first and "stream_name" not in first
