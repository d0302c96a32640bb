"""The BKN report: per location and category, intake and the shares reused, recycled, residual and exported."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hub.reference import ReferenceData
from hub.reports.classify import Split, category_name, destination_code, place, sort_categories
from hub.reports.table import Cell, Column, Count, Kg, KgShare, Note, Report, ReportKind, Row, RowKind, Text
from hub.reports.volumes import Volume

# Between "R3" and "R5" in a heading: the dash stays on the line, so a narrow column never breaks "R3–/R5".
RANGE = "\u2060–\u2060"


def bkn(rows: Sequence[Volume], reference: ReferenceData) -> Report:
    """Per location and category: intake, and the shares reused, recycled, residual and exported."""
    per_site: dict[str, dict[tuple[str, str], Split]] = defaultdict(lambda: defaultdict(Split))
    for volume in rows:
        ref = reference.category(volume.stream, volume.category)
        per_site[volume.site][(volume.stream, volume.category)].add(volume, ref)
    unclassified = any(s.unclassified for cats in per_site.values() for s in cats.values())
    columns = (
        Column("site", "Locatie", "Location", html=False),
        Column("municipality", "Gemeente", "Municipality", html=False),
        Column("stream", "Stroom", "Stream"),
        Column("category", "Categorie", "Category"),
        Column("category_name", "Omschrijving", "Description"),
        Column("destination", "R-code", "Destination"),
        Column("market", "Markt", "Market"),
        Column("intake_kg", "Inname kg", "Intake kg", numeric=True),
        Column("items", "Stuks", "Items", numeric=True),
        Column("reused", f"Hergebruik R3{RANGE}R5", "Reused", numeric=True, share=True),
        Column("recycled", f"Recycling R6{RANGE}R8", "Recycled", numeric=True, share=True),
        Column("residual", "Restafval", "Residual", numeric=True, share=True),
        Column("unclassified", "Niet ingedeeld", "Unclassified", numeric=True, share=True, html=unclassified),
        Column("exported", "Export", "Exported", numeric=True, share=True),
    )

    def figures(split: Split) -> tuple[Cell, ...]:
        whole = split.grams
        return (
            Kg(whole),
            Count(split.items),
            KgShare(split.reused, whole),
            KgShare(split.recycled, whole),
            KgShare(split.residual, whole),
            KgShare(split.unclassified, whole),
            KgShare(split.exported, whole),
        )

    out: list[Row] = []
    overall = Split()
    blank = (Text(""),) * 5
    for where in sorted((place(reference, s) for s in per_site), key=lambda p: p.order):
        categories = per_site[where.site]
        location = Split()
        head = (Text(where.site), Text(where.municipality))
        municipality = where.municipality or "onbekend / unknown"
        out.append(
            Row(RowKind.GROUP, (), label=f"Locatie / location {where.site} — gemeente / municipality {municipality}")
        )
        for key in sort_categories(categories, reference):
            split = categories[key]
            location.merge(split)
            ref = reference.category(*key)
            out.append(
                Row(
                    RowKind.DATA,
                    (
                        *head,
                        Text(key[0]),
                        Text(key[1]),
                        Text(category_name(ref)),
                        Text(destination_code(ref)),
                        Text(ref.market.value if ref else ""),
                        *figures(split),
                    ),
                )
            )
        overall.merge(location)
        out.append(Row(RowKind.SUBTOTAL, (*head, *blank, *figures(location)), label=f"Totaal / total {where.site}"))
    out.append(Row(RowKind.TOTAL, (Text(""), Text(""), *blank, *figures(overall)), label="Totaal / total"))
    return Report(
        ReportKind.BKN,
        "BKN-rapportage: inname en bestemming per locatie",
        "BKN-style report: intake and destination per location",
        columns,
        tuple(out),
        notes=(
            Note(
                "Hergebruik telt R3 (hergebruik), R4 (reparatie) en R5 (opknappen); recycling telt R6 "
                "(hervervaardiging), R7 (herbestemming) en R8 (recycling). Restafval is alles zonder R-code.",
                "Reused counts R3 (reuse), R4 (repair) and R5 (refurbish); recycled counts R6 (remanufacture), "
                "R7 (repurpose) and R8 (recycle). Residual is everything without an R-code.",
            ),
            Note(
                "Export is het deel met markt 'export' (hergebruik of recycling buiten Nederland) en telt "
                "ook mee in hergebruik of recycling. Percentages zijn aandelen van de inname in kg.",
                "Exported is the part whose market is 'export' (reuse or recycling outside the Netherlands); it "
                "is also counted in reused or recycled. Percentages are shares of the intake in kg.",
            ),
        ),
        landscape=True,
    )
