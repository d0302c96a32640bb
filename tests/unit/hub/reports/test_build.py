"""Each report built from the hand-made rows of conftest.py, with every figure worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub.local_calendar import local_months
from hub.reference import ReferenceData
from hub.reports.bkn import bkn
from hub.reports.build import build
from hub.reports.cbs import cbs
from hub.reports.co2e import co2e, co2e_grams
from hub.reports.meta import describe_scope, month_label
from hub.reports.table import Cell, Count, Factor, Kg, KgShare, Report, ReportKind, RowKind, Text
from hub.reports.upv_textiel import upv_textiel
from hub.reports.volumes import MonthVolumes, Volume, volumes
from hub.storage.throughput import ThroughputRow


def table(report: Report, kind: RowKind | None = None) -> list[dict[str, Cell | str]]:
    """Rows as {column key: cell}, a text cell as its string."""
    keys = [c.key for c in report.columns]
    return [
        {key: cell.value if isinstance(cell, Text) else cell for key, cell in zip(keys, row.cells, strict=True)}
        for row in report.rows
        if row.kind is not RowKind.GROUP and (kind is None or row.kind is kind)
    ]


def total(report: Report) -> dict[str, Cell | str]:
    (found,) = table(report, RowKind.TOTAL)
    return found


def test_station_rows_become_exact_grams_per_site_and_category() -> None:
    rows = [
        ThroughputRow("dalfsen", "dalfsen-textile-1", "textile", "creme", 100, 1),
        ThroughputRow("dalfsen", "dalfsen-textile-2", "textile", "creme", 200, 2),  # 0.1 + 0.2 kg: 300 g exactly
        ThroughputRow("dalfsen", "dalfsen-textile-2", "textile", "export", 1234567891, 7),
        ThroughputRow("ommen", "ommen-textile-1", "textile", "creme", -125, -1),  # an undo of an earlier item
    ]
    assert volumes(rows) == [
        Volume("dalfsen", "textile", "creme", 300, 3),
        Volume("dalfsen", "textile", "export", 1234567891, 7),
        Volume("ommen", "textile", "creme", -125, -1),
    ]


def test_bkn_per_location_and_category(reference: ReferenceData, rows: list[Volume]) -> None:
    report = bkn(rows, reference)
    data = table(report, RowKind.DATA)
    # Locations by municipality name, then site; a site outside every municipality comes last.
    assert [(r["site"], r["category"]) for r in data] == [
        ("dalfsen", "creme"),
        ("dalfsen", "export"),
        ("nieuwleusen", "recycling"),
        ("nieuwleusen", "f2f"),
        ("ommen", "pp"),
        ("ommen", "wipers"),
        ("ommen", "residual"),
        ("elsewhere", "mystery"),
    ]
    export = data[1]
    assert export["municipality"] == "Dalfsen" and export["destination"] == "R3"
    assert export["reused"] == KgShare(2500, 2500) and export["exported"] == KgShare(2500, 2500)
    wipers = data[5]
    assert wipers["recycled"] == KgShare(700, 700)  # R7 repurpose counts as recycling here
    mystery = data[7]
    assert mystery["destination"] == "?" and mystery["unclassified"] == KgShare(5, 5)

    subtotals = {r["site"]: r for r in table(report, RowKind.SUBTOTAL)}
    ommen = subtotals["ommen"]
    assert ommen["intake_kg"] == Kg(1235567) and ommen["items"] == Count(12)
    assert ommen["recycled"] == KgShare(1235267, 1235567) and ommen["residual"] == KgShare(300, 1235567)

    overall = total(report)
    whole = 8000 + 1000 + 1234567 + 5
    assert overall["intake_kg"] == Kg(whole) and overall["items"] == Count(20)
    assert overall["reused"] == KgShare(3500, whole)
    assert overall["recycled"] == KgShare(4500 + 700 + 1234567, whole)
    assert overall["residual"] == KgShare(300, whole)
    assert overall["unclassified"] == KgShare(5, whole)
    assert overall["exported"] == KgShare(2500, whole)
    shown = [c.key for c in report.columns if c.html]
    assert "unclassified" in shown and "site" not in shown  # the site is the group heading on the page


def test_bkn_hides_the_unclassified_column_when_everything_is_classified(
    reference: ReferenceData, rows: list[Volume]
) -> None:
    report = bkn([r for r in rows if r.category != "mystery"], reference)
    assert "unclassified" not in [c.key for c in report.columns if c.html]
    assert "unclassified" in [c.key for c in report.columns if c.csv]  # CSV keeps its shape


def test_upv_textiel_per_municipality(reference: ReferenceData, rows: list[Volume]) -> None:
    report = upv_textiel(rows, reference)
    lines = {r["municipality"]: r for r in table(report, RowKind.DATA)}
    assert list(lines) == ["Dalfsen", "Ommen", "Staphorst", "Elsewhere (geen gemeente / no municipality)"]
    dalfsen = lines["Dalfsen"]  # dalfsen and nieuwleusen together
    assert dalfsen["intake_kg"] == Kg(8000) and dalfsen["items"] == Count(7)
    assert dalfsen["reuse_nl"] == KgShare(1000, 8000)
    assert dalfsen["reuse_export"] == KgShare(2500, 8000)
    assert dalfsen["recycling"] == KgShare(4500, 8000)
    assert dalfsen["fibre_to_fibre"] == KgShare(1500, 4500)  # a share of recycling, not of intake
    ommen = lines["Ommen"]  # its plastic is not textile
    assert ommen["intake_kg"] == Kg(1000)
    assert ommen["repurpose"] == KgShare(700, 1000) and ommen["residual"] == KgShare(300, 1000)
    assert ommen["recycling"] == KgShare(0, 1000)
    assert lines["Staphorst"]["intake_kg"] == Kg(0)  # listed although it delivered nothing
    assert lines["Elsewhere (geen gemeente / no municipality)"]["unclassified"] == KgShare(5, 5)
    overall = total(report)
    assert overall["intake_kg"] == Kg(9005)
    parts = ("reuse_nl", "reuse_export", "recycling", "repurpose", "residual", "unclassified")
    assert sum(c.grams for k in parts if isinstance(c := overall[k], KgShare)) == 9005
    assert overall["fibre_to_fibre"] == KgShare(1500, 4500)


def test_upv_textiel_lists_only_the_municipalities_in_scope(reference: ReferenceData, rows: list[Volume]) -> None:
    only_ommen = [r for r in rows if r.site == "ommen"]
    report = upv_textiel(only_ommen, reference, frozenset({"ommen"}))
    assert [r["municipality"] for r in table(report, RowKind.DATA)] == ["Ommen"]


def test_cbs_totals_both_ways(reference: ReferenceData, rows: list[Volume]) -> None:
    report = cbs(rows, reference)
    assert [c.key for c in report.columns] == ["municipality", "plastic_kg", "textile_kg", "total_kg"]
    lines = {r["municipality"]: r for r in table(report, RowKind.DATA)}
    assert lines["Dalfsen"] == {
        "municipality": "Dalfsen",
        "plastic_kg": Kg(0),
        "textile_kg": Kg(8000),
        "total_kg": Kg(8000),
    }
    assert lines["Ommen"]["total_kg"] == Kg(1235567)
    assert lines["Staphorst"]["total_kg"] == Kg(0)
    assert lines["Elsewhere (geen gemeente / no municipality)"]["textile_kg"] == Kg(5)
    assert total(report) == {
        "municipality": "",
        "plastic_kg": Kg(1234567),
        "textile_kg": Kg(9005),
        "total_kg": Kg(1243572),
    }


def test_co2e_per_month_with_exact_factors_and_no_factor(reference: ReferenceData) -> None:
    october = MonthVolumes(
        date(2026, 10, 25),
        date(2026, 10, 31),
        (Volume("dalfsen", "textile", "creme", 1000, 1), Volume("ommen", "textile", "creme", 234, 1)),
    )
    november = MonthVolumes(
        date(2026, 11, 1),
        date(2026, 11, 30),
        (
            Volume("ommen", "textile", "recycling", 3000, 1),  # the stream's factor comes before R8's
            Volume("ommen", "plastic", "pp", 4500, 1),  # R8: 4500 x 0.333 = 1498.5, half up
            Volume("ommen", "plastic", "mixed", 200, 1),  # residual, and no factor at all
        ),
    )
    report = co2e([october, november], reference)
    groups = [r.label for r in report.rows if r.kind is RowKind.GROUP]
    assert groups == [
        "oktober 2026 (25–31) — open: kan nog veranderen / can still change",
        "november 2026 — open: kan nog veranderen / can still change",
    ]
    data = table(report, RowKind.DATA)
    assert [(r["month"], r["destination"], r["category"]) for r in data] == [
        ("2026-10", "R3", "creme"),  # both sites summed
        ("2026-11", "R8", "pp"),  # by destination, then stream and category
        ("2026-11", "R8", "recycling"),
        ("2026-11", "residual", "mixed"),
    ]
    assert data[0]["kg"] == Kg(1234) and data[0]["factor"] == Factor(Decimal("10.0"))
    assert data[0]["co2e_kg"] == Kg(12340) and data[0]["source"] == "creme source"
    assert data[1]["factor"] == Factor(Decimal("0.333")) and data[1]["co2e_kg"] == Kg(1499)
    assert data[2]["factor"] == Factor(Decimal("1.5")) and data[2]["co2e_kg"] == Kg(4500)
    assert data[3]["factor"] == Factor(None) and data[3]["co2e_kg"] == Kg(0)
    assert data[3]["source"] == "geen factor / no factor"
    subtotals = table(report, RowKind.SUBTOTAL)
    assert [(s["kg"], s["co2e_kg"]) for s in subtotals] == [(Kg(1234), Kg(12340)), (Kg(7700), Kg(5999))]
    assert (total(report)["kg"], total(report)["co2e_kg"]) == (Kg(8934), Kg(18339))


def test_co2e_rounds_each_line_half_up_from_the_written_decimal() -> None:
    assert co2e_grams(4500, Decimal("0.333")) == 1499  # round(0.333 * 4500) in floats: 1498 (half to even)
    assert co2e_grams(-4500, Decimal("0.333")) == -1499
    assert co2e_grams(1, Decimal("0.5")) == 1
    assert co2e_grams(7, Decimal("0")) == 0


def test_local_months_cut_to_the_range() -> None:
    assert local_months(date(2026, 10, 25), date(2026, 12, 3)) == [
        (date(2026, 10, 25), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 3)),
    ]
    assert local_months(date(2027, 12, 31), date(2028, 2, 29)) == [
        (date(2027, 12, 31), date(2027, 12, 31)),
        (date(2028, 1, 1), date(2028, 1, 31)),
        (date(2028, 2, 1), date(2028, 2, 29)),
    ]
    assert month_label(date(2028, 2, 1), date(2028, 2, 29)) == "februari 2028"
    assert month_label(date(2028, 2, 1), date(2028, 2, 28)) == "februari 2028 (1–28)"


def test_build_sums_months_for_every_report_but_co2e(reference: ReferenceData, rows: list[Volume]) -> None:
    months = [
        MonthVolumes(date(2026, 10, 1), date(2026, 10, 31), tuple(rows[:4])),
        MonthVolumes(date(2026, 11, 1), date(2026, 11, 30), (*rows[4:], rows[0])),
    ]
    merged = build(ReportKind.CBS, months, reference)
    assert total(merged)["total_kg"] == Kg(1243572 + 1000)
    assert total(build(ReportKind.CO2E, months, reference))["kg"] == Kg(1243572 + 1000)
    assert total(build(ReportKind.BKN, months, reference))["items"] == Count(22)
    assert total(build(ReportKind.UPV_TEXTIEL, months, reference))["intake_kg"] == Kg(9005 + 1000)


def test_empty_period_still_has_a_total(reference: ReferenceData) -> None:
    for kind in ReportKind:
        report = build(kind, [MonthVolumes(date(2026, 11, 1), date(2026, 11, 30), ())], reference)
        assert [r.kind for r in report.rows if r.kind is RowKind.TOTAL] == [RowKind.TOTAL]


def test_scope_by_municipality(reference: ReferenceData) -> None:
    assert describe_scope(None, reference) is None
    lines = describe_scope(frozenset({"nieuwleusen", "ommen", "dalfsen", "elsewhere"}), reference)
    assert lines is not None
    assert [(line.municipality, line.sites) for line in lines] == [
        ("Dalfsen", ("Dalfsen", "Nieuwleusen")),  # names, for the page
        ("Ommen", ("Ommen",)),
        ("", ("Elsewhere",)),
    ]
