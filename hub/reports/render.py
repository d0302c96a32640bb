"""Reports written out: CSV (international or Dutch Excel) and one printable, self-contained HTML page.

Numbers are written from integer grams with integer arithmetic (kg with three decimals is the exact gram),
shares with Decimal, so no float ever rounds a figure on its way to paper. Every text that reaches the page
goes through html.escape: category names and factor sources come from a configuration file, and a report is
opened by people who did not write it.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from html import escape

from hub.reports.csv_writer import Cell as CsvCell
from hub.reports.csv_writer import Dialect, Number, write_csv
from hub.reports.meta import MONTHS_NL, Meta, month_label
from hub.reports.table import Cell, Column, Count, Factor, Kg, KgShare, Report, Row, RowKind, Text


class Format(StrEnum):
    HTML = "html"
    CSV = "csv"  # comma, decimal point: RFC 4180 for programs
    CSV_NL = "csv-nl"  # semicolon, decimal comma, UTF-8 with BOM: what Dutch Excel opens correctly


NUMERIC = ' class="num"'
NARROW_NBSP = "\u202f"  # thousands separator on paper (ISO 80000): reads the same to Dutch and English eyes
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# -- numbers --------------------------------------------------------------------------------------------------


def kg(grams: int, decimal: str = ".", thousands: str = "") -> str:
    """Grams as kg with three decimals, exactly: 1234567 -> "1234.567"; -125 -> "-0.125"."""
    whole, rest = divmod(abs(grams), 1000)
    digits = f"{whole:,}".replace(",", thousands)
    return f"{'-' if grams < 0 else ''}{digits}{decimal}{rest:03d}"


def kg_printed(grams: int, decimal: str = ",", thousands: str = NARROW_NBSP) -> str:
    """Grams as kg with one decimal for the printed page, rounded half up: 1234567 -> "1 234,6" (a narrow
    space between thousands, which no reader takes for a decimal sign). The gram is in the CSV."""
    tenths = (abs(grams) + 50) // 100
    whole, rest = divmod(tenths, 10)
    digits = f"{whole:,}".replace(",", thousands)
    return f"{'-' if grams < 0 and tenths else ''}{digits}{decimal}{rest}"


def percent(part: int, whole: int, places: int, decimal: str = ".") -> str:
    """``part`` as a percentage of ``whole``, rounded half up; "" when there is no (positive) whole."""
    if whole <= 0:
        return ""
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return f"{value:f}".replace(".", decimal)


def factor(value: Decimal, decimal: str = ".") -> str:
    return f"{value:f}".replace(".", decimal)


# -- CSV ------------------------------------------------------------------------------------------------------


def _csv_columns(report: Report) -> list[tuple[int, Column]]:
    return [(i, c) for i, c in enumerate(report.columns) if c.csv]


def csv_header(report: Report) -> list[str]:
    header = ["row_type"]
    for _i, column in _csv_columns(report):
        header.extend([f"{column.key}_kg", column.percent_header] if column.share else [column.key])
    return header


def _number(text: str) -> Number | None:
    return Number(text) if text else None  # a share of nothing is an empty cell


def _csv_cell(cell: Cell, share: bool, decimal: str) -> list[CsvCell]:
    """Numbers as ``Number`` (written as they are), names as text (protected against formulas by the writer)."""
    if isinstance(cell, KgShare):
        return [Number(kg(cell.grams, decimal)), _number(percent(cell.grams, cell.whole, 2, decimal))]
    out: CsvCell
    if isinstance(cell, Kg):
        out = Number(kg(cell.grams, decimal))
    elif isinstance(cell, Count):
        out = cell.value
    elif isinstance(cell, Factor):
        out = None if cell.value is None else Number(factor(cell.value, decimal))
    else:
        out = cell.value
    return [out, None] if share else [out]


def to_csv(report: Report, output: Format) -> bytes:
    """One line per data, subtotal and total row (``row_type`` says which); group headings are left out,
    since every line names its location or month in its own columns."""
    dutch = output is Format.CSV_NL
    decimal = "," if dutch else "."
    columns = _csv_columns(report)
    lines = []
    for row in report.rows:
        if row.kind is RowKind.GROUP:
            continue
        line: list[CsvCell] = [row.kind.value]
        for index, column in columns:
            line.extend(_csv_cell(row.cells[index], column.share, decimal))
        lines.append(line)
    return write_csv(csv_header(report), lines, Dialect.DUTCH if dutch else Dialect.PLAIN)


# -- HTML -----------------------------------------------------------------------------------------------------

STYLE = """
@page { size: A4 %(orientation)s; margin: 12mm 10mm 14mm 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 10pt/1.35 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #111; margin: 0 auto;
       padding: 10mm; max-width: %(width)s; background: #fff; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
h1 .en { display: block; font-size: 10.5pt; font-weight: normal; color: #555; }
.en { color: #555; font-weight: normal; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 1mm 5mm; margin: 4mm 0; font-size: 9pt; }
dl.meta dt { font-weight: 600; }
dl.meta dt .en, dl.meta dd .en { display: block; font-size: 7.5pt; }
dl.meta dd { margin: 0; }
.status.closed { border-color: #555; background: #f2f2f2; }
.status { border: 0.75pt solid #b36b00; background: #fff4e0; padding: 1.5mm 3mm; margin: 0 0 4mm; font-size: 8.5pt; }
table { border-collapse: collapse; width: 100%%; font-size: 8.5pt; font-variant-numeric: tabular-nums; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { padding: 1mm 1.5mm; border-bottom: 0.5pt solid #c8c8c8; vertical-align: top; text-align: left; }
thead th { border-bottom: 1pt solid #111; font-size: 8pt; vertical-align: bottom; }
thead th .en { display: block; font-size: 7pt; }
.num { text-align: right; white-space: nowrap; }
thead th.num { white-space: normal; }
tbody th { white-space: nowrap; text-align: left; }
.pct { display: block; color: #555; font-size: 7.5pt; }
.zero { color: #999; }
.none { color: #8a4b00; font-style: italic; }
tr.group th { background: #ececec; font-size: 9pt; padding-top: 1.5mm; border-bottom: 0.75pt solid #888; }
tr.subtotal th, tr.subtotal td { font-weight: 600; border-top: 0.75pt solid #555; }
tr.total th, tr.total td { font-weight: 700; border-top: 1.5pt solid #111; border-bottom: 1.5pt solid #111; }
tr.total .pct, tr.subtotal .pct { font-weight: 600; }
.empty { margin: 4mm 0; font-style: italic; }
footer { margin-top: 5mm; font-size: 8pt; color: #222; }
footer p { margin: 0 0 1.5mm; }
footer .en { display: block; }
footer h2 { font-size: 9pt; margin: 3mm 0 1mm; }
footer h2 .en { display: inline; }
ol.sources { list-style: none; margin: 0; padding: 0; }
ol.sources li { margin: 0 0 1.5mm; break-inside: avoid; }
td .en { display: block; font-size: 7.5pt; }
@media print { body { padding: 0; max-width: none; } }
"""


def _both(nl: str, en: str) -> str:
    return f'{escape(nl)} <span class="en" lang="en">{escape(en)}</span>'


def _date_nl(day: date) -> str:
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def _date_en(day: date) -> str:
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def _kg_html(grams: int) -> str:
    if grams == 0:
        return '<span class="zero">–</span>'
    return escape(kg_printed(grams))


def _cell_html(cell: Cell) -> str:
    if isinstance(cell, Text):
        if cell.en and cell.en != cell.value:
            return f"<td>{_both(cell.value, cell.en)}</td>"
        return f"<td>{escape(cell.value)}</td>"
    if isinstance(cell, Kg):
        return f'<td class="num">{_kg_html(cell.grams)}</td>'
    if isinstance(cell, Count):
        return f'<td class="num">{cell.value:,}</td>'.replace(",", NARROW_NBSP)
    if isinstance(cell, KgShare):
        share = percent(cell.grams, cell.whole, 1, ",")
        below = f'<span class="pct">{escape(share)}{NARROW_NBSP}%</span>' if share and cell.grams else ""
        return f'<td class="num">{_kg_html(cell.grams)}{below}</td>'
    if cell.value is None:
        return '<td class="num none">geen factor<span class="pct">no factor</span></td>'
    return f'<td class="num">{escape(factor(cell.value, ","))}</td>'


def _row_html(row: Row, visible: list[tuple[int, Column]]) -> str:
    if row.kind is RowKind.GROUP:
        return f'<tr class="group"><th colspan="{len(visible)}" scope="rowgroup">{escape(row.label)}</th></tr>'
    cells = [(column, row.cells[index]) for index, column in visible]
    parts = []
    if row.label:
        # The label takes the place of the leading text columns, which a total row leaves empty.
        leading = next((n for n, (column, _cell) in enumerate(cells) if column.numeric), len(cells))
        parts.append(f'<th colspan="{max(leading, 1)}" scope="row">{escape(row.label)}</th>')
        cells = cells[max(leading, 1) :]
    parts.extend(_cell_html(cell) for _column, cell in cells)
    return f'<tr class="{row.kind.value}">{"".join(parts)}</tr>'


def _scope_html(meta: Meta) -> str:
    if meta.scope is None:
        return _both("Alle gemeenten en locaties", "all municipalities and sites")
    lines = []
    for line in meta.scope:
        sites = escape(", ".join(line.sites))
        if line.municipality:
            lines.append(f"{escape(line.municipality)}: {sites}")
        else:
            lines.append(f"{sites} (zonder gemeente / no municipality)")
    return "<br>".join(lines) if lines else _both("geen locaties", "no sites")


def _meta_html(meta: Meta) -> str:
    period_nl = f"{_date_nl(meta.first)} t/m {_date_nl(meta.last)}"
    period_en = f"{_date_en(meta.first)} to {_date_en(meta.last)}, inclusive (Europe/Amsterdam)"
    items = [
        (("Periode", "Period"), _both(period_nl, period_en)),
        (("Bereik", "Scope"), _scope_html(meta)),
        (("Referentiedata", "Reference data"), _both(f"versie {meta.reference_version}", "version")),
        (("Gegenereerd", "Generated"), escape(meta.generated)),
    ]
    body = "".join(f"<dt>{_both(*term)}</dt><dd>{value}</dd>" for term, value in items)
    return f'<dl class="meta">{body}</dl>'


def _status_html(meta: Meta) -> str:
    """Open months are live and can still change; closed months are frozen, and what arrived after closing is
    named as an adjustment that the figures do not include (as in the volume feed)."""
    parts = []
    if meta.open_months:
        months = ", ".join(month_label(m.first, m.last) for m in meta.open_months)
        parts.append(
            '<p class="status">'
            + _both(
                f"Open: {months}. Deze cijfers zijn van het moment van genereren en kunnen nog veranderen: late "
                "meldingen van stations worden in hun eigen periode geteld.",
                "Open: figures as of the generation time; they can still change, since late events from stations "
                "are counted in the period they belong to.",
            )
            + "</p>"
        )
    if meta.closed_months:
        lines = []
        for month in meta.closed_months:
            late = ""
            if month.adjustment_grams or month.adjustment_items:
                late = (
                    f"; na sluiting nog {kg_printed(month.adjustment_grams)} kg "
                    f"({month.adjustment_items} stuks) gemeld, niet in dit rapport"
                )
            lines.append(f"{month_label(month.first, month.last)}{late}")
        parts.append(
            '<p class="status closed">'
            + _both(
                "Gesloten, cijfers bevroren: " + "; ".join(lines) + ".",
                "Closed by an admin: frozen figures; weight reported after closing is named here and is not "
                "included (the volume feed shows it as an adjustment).",
            )
            + "</p>"
        )
    return "".join(parts)


def _notes_html(report: Report, meta: Meta) -> str:
    notes = list(report.notes)
    legend = _both(
        "Gewichten in kg, afgerond op één decimaal (de CSV geeft ze op de gram). Een smalle spatie scheidt "
        "duizendtallen, de komma is het decimaalteken: 1 234,5 kg is ruim twaalfhonderd kilo; – is nul. Totalen "
        "zijn opgeteld vóór het afronden, en percentages zijn afgerond op één decimaal: ze tellen daardoor niet "
        "altijd precies op.",
        "Weights in kg, rounded to one decimal (the CSV has them to the gram). A narrow space separates "
        "thousands and the comma is the decimal sign: 1 234,5 kg is about twelve hundred kilos; – is zero. Totals "
        "are summed before rounding and percentages are rounded to one decimal, so they need not add up exactly.",
    ).replace("1 234,5", f"1{NARROW_NBSP}234,5")
    paragraphs = [f"<p>{_both(n.nl, n.en)}</p>" for n in notes] + [f"<p>{legend}</p>"]
    sources = ""
    if report.sources:
        items = "".join(f"<li>{_both(n.nl, n.en) if n.nl != n.en else escape(n.nl)}</li>" for n in report.sources)
        sources = (
            f'<h2>{_both("Bronnen van de factoren", "Sources of the factors")}</h2><ol class="sources">{items}</ol>'
        )
    return f"<footer>{''.join(paragraphs)}{sources}</footer>"


def _has_figures(row: Row) -> bool:
    return any(
        (isinstance(cell, Kg | KgShare) and cell.grams) or (isinstance(cell, Count) and cell.value)
        for cell in row.cells
    )


def to_html(report: Report, meta: Meta) -> str:
    visible = [(i, c) for i, c in enumerate(report.columns) if c.html]
    head = "".join(f'<th scope="col"{NUMERIC if c.numeric else ""}>{_both(c.nl, c.en)}</th>' for _i, c in visible)
    body = "\n".join(_row_html(row, visible) for row in report.rows)
    empty = ""
    if not any(_has_figures(row) for row in report.rows if row.kind is RowKind.DATA):
        empty = f'<p class="empty">{_both("Geen gegevens in deze periode.", "No figures in this period.")}</p>'
    style = STYLE % {
        "orientation": "landscape" if report.landscape else "portrait",
        "width": "297mm" if report.landscape else "210mm",
    }
    title = f"{report.title_nl} — {meta.first.isoformat()} t/m {meta.last.isoformat()}"
    return (
        "<!doctype html>\n"
        '<html lang="nl">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        f"<header><h1>{_both(report.title_nl, report.title_en)}</h1>{_meta_html(meta)}{_status_html(meta)}</header>\n"
        f"<main><table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>{empty}</main>\n"
        f"{_notes_html(report, meta)}\n</body>\n</html>\n"
    )


def filename(report: Report, meta: Meta, output: Format) -> str:
    """Period and reference version in the name, so a saved file still says what it holds."""
    suffix = "html" if output is Format.HTML else "csv"
    version = "".join(ch if ch.isalnum() or ch in ".-" else "_" for ch in meta.reference_version)
    nl = "-nl" if output is Format.CSV_NL else ""
    return f"sortcentre-{report.kind.value}-{meta.first.isoformat()}-{meta.last.isoformat()}-ref-{version}{nl}.{suffix}"
